/**
 * `external`: a token of a trusted issuer not linked to a local account (resource-server mode).
 * `system`: app code acting without a request (see `systemActor`); FabricGuard never yields it.
 * `scim_token`: an identity provider provisioning through a SCIM token (SPEC §17); FabricGuard
 * lets it reach the SCIM routes only, and refuses every other credential there.
 */
export type PrincipalKind = 'user' | 'service_account' | 'external' | 'system' | 'scim_token';
export type AuthMethod = 'jwt' | 'api_key' | 'cookie' | 'system';

/**
 * The organization an access token acts in (its `org` claim), with what the caller may do
 * there, read when the request's principal was resolved.
 *
 * @publicApi
 */
export interface PrincipalOrganization {
  readonly id: string;
  readonly slug: string;
  /** The caller's org roles in it. */
  readonly roles: readonly string[];
  /** What `@RequirePermission()` checks on an `@OrgScoped()` route. */
  readonly permissions: ReadonlySet<string>;
}

/**
 * Who is calling, as FabricGuard resolved it for this request.
 *
 * @publicApi
 */
export interface Principal {
  readonly kind: PrincipalKind;
  readonly id: string;
  readonly username: string;
  readonly email: string | null;
  readonly roles: readonly string[];
  /** Effective permissions: roles unioned (and, for an API key, intersected with its scopes). */
  readonly permissions: ReadonlySet<string>;
  readonly isSystemAdmin: boolean;
  /** Session behind a JWT or cookie credential. */
  readonly sessionId: string | null;
  /** Key behind an API-key credential. */
  readonly apiKeyId: string | null;
  /**
   * The key's own scopes, when it has any: what it was explicitly allowed, as opposed to
   * what it inherits. Minting keys or changing credentials needs an explicit scope.
   */
  readonly scopes: ReadonlySet<string> | null;
  readonly authMethod: AuthMethod;
  /**
   * RFC 8176 methods the session's login proved (`pwd`, `otp`, `hwk`, `mfa`); absent for API
   * keys and external tokens. `mfa` means a second factor was used (`@RequireMfa()`).
   */
  readonly amr?: readonly string[];
  /** `mfa_enrollment`: a session that may only enrol a second factor (policy `auth.mfa.required_for`). */
  readonly restriction?: string | null;
  /**
   * The active organization: set when the access token carries `org` and the caller is still a
   * member of it; `null` when it carries one they no longer belong to (removed, or the
   * organization deleted); absent without one.
   */
  readonly org?: PrincipalOrganization | null;
  /** A SCIM token's realm: the organization it provisions (null: the platform, organizations off). Set on `scim_token` principals only. */
  readonly scim?: { readonly organizationId: string | null };
}

/**
 * The system admin passes every check, except through a scoped API key, which stays
 * bounded by its scopes (SPEC §3): such principals carry `isSystemAdmin` false.
 *
 * @publicApi
 */
export function principalHasPermission(principal: Principal, permission: string): boolean {
  return principal.isSystemAdmin || principal.permissions.has(permission);
}
