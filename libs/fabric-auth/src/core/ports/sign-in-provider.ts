import { FabricError } from '../fabric-error.js';

/**
 * What a sign-in provider (OIDC today, SAML next) vouches for about a person, once its own
 * protocol checks have passed (signature, audience, state…). `issuer` and `subject` are the
 * identity's key; the rest keeps the local account in step.
 */
export interface ExternalIdentity {
  issuer: string;
  subject: string;
  email: string | null;
  /** The provider verified the email: only then is it stored, or used to link an existing account. */
  emailVerified: boolean;
  name: string | null;
  preferredUsername: string | null;
  /** The values of the provider's role or group claim (attribute), mapped to roles through `roleMapping`. */
  groups: string[];
}

/** How a provider's identities become local accounts: the account-resolution options every provider kind shares. */
export interface ExternalAccountPolicy {
  /** Create an account for an identity no account is linked to (JIT). */
  jitProvisioning: boolean;
  /** Link an identity to the existing account holding the same email, when both sides verified it. */
  linkVerifiedEmail: boolean;
  /** Roles of an account this provider creates. */
  defaultRoles: readonly string[];
  /** Group value → roles; a role named here is held exactly when the groups map to it, re-evaluated at every sign-in. */
  roleMapping: Readonly<Record<string, readonly string[]>>;
}

/**
 * A configured sign-in provider, as the core's account resolution (`ExternalSignIn`) sees it:
 * its name, its protocol (which names its audit events: `oidc.identity.link`, `via: oidc_jit`)
 * and its account policy. A provider feature (OIDC, SAML) does the protocol work and hands the
 * core a verified `ExternalIdentity`; JIT creation, linking, role mapping, the second factor
 * and the session are the core's, so every provider kind behaves and fails alike.
 */
export interface SignInProvider {
  name: string;
  protocol: 'oidc' | 'saml';
  accounts: ExternalAccountPolicy;
  /**
   * An organization's own connection (SPEC §16): its mapping gives org roles in that
   * organization, never global ones (`accounts` then maps none), and the person joins it.
   */
  organization?: OrganizationSignIn;
}

/** What an organization's connection adds to a sign-in through it. */
export interface OrganizationSignIn {
  organizationId: string;
  connectionId: string;
  /** Claim value → org roles. */
  roleMapping: Readonly<Record<string, readonly string[]>>;
  /**
   * The organization's verified domains: an email elsewhere is taken as unverified (not stored,
   * never linked), since the organization's admin chose the IdP that vouches for it.
   */
  emailDomains: readonly string[];
}

/** Why the core refused an external sign-in: the stable codes every provider kind reports (and audits) as they are. */
export type ExternalSignInRefusal = 'no_linked_account' | 'account_inactive' | 'account_exists' | 'identity_in_use' | 'link_session_ended' | 'second_factor_unavailable';

/**
 * A refused external sign-in (`sso_login_failed`); the provider feature turns it into its own
 * answer, keeping `reason` (OIDC: `OidcLoginFailure`, with the reason's status and message).
 */
export class ExternalSignInRefused extends FabricError {
  constructor(
    readonly reason: ExternalSignInRefusal,
    /** For the server log only: never a token or secret. */
    detail?: string,
    /** The local account concerned, once known (for the audit event's actor). */
    readonly user?: { id: string; username: string },
  ) {
    super('sso_login_failed', undefined, { detail });
    this.message = detail ? `${reason}: ${detail}` : reason;
  }
}
