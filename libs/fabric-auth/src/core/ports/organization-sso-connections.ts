/**
 * An organization's own single sign-on connection, enabled, as the protocol features (oidc,
 * saml) sign people in through it. Read at every login, so a connection disabled, changed or
 * deleted is refused or used as it is now, on every instance.
 */
export interface OrganizationSsoConnection {
  id: string;
  organizationId: string;
  protocol: 'oidc' | 'saml';
  /** Milliseconds: changes with every update, so what a feature caches of the IdP is read again after one. */
  version: number;
  oidc?: { issuer: string; clientId: string; clientSecret: string };
  saml?: { idpMetadata: string | null; idpMetadataUrl: string | null };
  /** The claim (OIDC) or attribute (SAML) whose values `roleMapping` maps. */
  roleClaim: string | null;
  /** Claim value → org roles of the organization (never `owner`). */
  roleMapping: Readonly<Record<string, readonly string[]>>;
  jitProvisioning: boolean;
  linkVerifiedEmail: boolean;
  /**
   * The organization's verified email domains: the only ones the connection is trusted to vouch
   * for (an organization admin chooses the IdP, so an email elsewhere counts as unverified).
   */
  emailDomains: readonly string[];
  /** IdP URLs may be on loopback or private networks (`auth.organizations.sso_connections_private_networks`). */
  allowPrivateNetworks: boolean;
}

/**
 * Port through which the organizations feature hands the oidc and saml features an
 * organization's connection by its id (`…/auth/{oidc|saml}/org/{id}/…`). Without organizations'
 * connections (`auth.organizations.sso_connections` off) it is the core's `NoOrganizationSsoConnections`:
 * every id is unknown, and those routes answer 404.
 */
export interface OrganizationSsoConnections {
  readonly available: boolean;
  /** The connection when it exists and is enabled, with its client secret opened; else null. */
  enabledConnection(id: string): Promise<OrganizationSsoConnection | null>;
}

export const OrganizationSsoConnections = Symbol('OrganizationSsoConnections');

/** The core's default: no organization has a connection. */
export class NoOrganizationSsoConnections implements OrganizationSsoConnections {
  readonly available = false;

  enabledConnection(): Promise<OrganizationSsoConnection | null> {
    return Promise.resolve(null);
  }
}

const PROVIDER_NAME = /^org:([A-Za-z0-9_-]{22})$/;

/**
 * The name a sign-in through an organization's connection goes by where a provider's name is
 * kept (sessions, linked identities, audit: 32 characters at most): `org:` and the id's 16
 * bytes in base64url. Never a configured provider's name, which has no `:`.
 */
export function connectionProviderName(connectionId: string): string {
  return `org:${Buffer.from(connectionId.replace(/-/g, ''), 'hex').toString('base64url')}`;
}

/** The connection id a `connectionProviderName` names, or undefined for any other name. */
export function connectionIdOfProvider(name: string): string | undefined {
  const match = PROVIDER_NAME.exec(name);
  if (!match) return undefined;
  const hex = Buffer.from(match[1], 'base64url').toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
