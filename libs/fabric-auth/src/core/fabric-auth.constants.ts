/** Metadata key of `@RequirePermission()`. */
export const FABRIC_PERMISSIONS_KEY = 'fabric-auth:permissions';
/** Metadata key of `@Public()`. */
export const FABRIC_PUBLIC_KEY = 'fabric-auth:public';
/** Injection token of the revocation bus port (`FabricRevocationBus`). */
export const FABRIC_REVOCATION_BUS = Symbol('FABRIC_REVOCATION_BUS');
/** Injection token of the API-key authenticator (`FabricApiKeyAuthenticator`) FabricGuard uses for `X-API-Key`. */
export const FABRIC_API_KEY_AUTHENTICATOR = Symbol('FABRIC_API_KEY_AUTHENTICATOR');
/** Passport strategy names, for apps that compose `AuthGuard(...)` themselves. */
export const FABRIC_JWT_STRATEGY = 'fabric-jwt';
export const FABRIC_COOKIE_STRATEGY = 'fabric-cookie';
/** Redirects to the provider, or completes the login at its callback; `req.user` is an `OidcLoginResult`. */
export const FABRIC_OIDC_STRATEGY = 'fabric-oidc';
export const FABRIC_API_KEY_STRATEGY = 'fabric-api-key';
/** Cookie names of the browser session (SPEC §5). */
export const ACCESS_TOKEN_COOKIE = 'access_token';
export const REFRESH_TOKEN_COOKIE = 'refresh_token';
export const CSRF_TOKEN_COOKIE = 'csrf_token';
export const CSRF_HEADER = 'x-csrf-token';
export const API_KEY_HEADER = 'x-api-key';
/**
 * Injection token of the notifier port (`FabricNotifier`) delivering activation and reset links.
 *
 * @publicApi
 */
export const FABRIC_NOTIFIER = Symbol('FABRIC_NOTIFIER');
/** Injection token of `@nestjs/throttler`'s storage the rate limits count in (memory, or Redis when configured). */
export const FABRIC_THROTTLER_STORAGE = Symbol('FABRIC_THROTTLER_STORAGE');
/** Injection token of the lockout store (`FabricLockoutStore`). */
export const FABRIC_LOCKOUT_STORE = Symbol('FABRIC_LOCKOUT_STORE');
/** Metadata key of `@RequireMfa()`. */
export const FABRIC_REQUIRE_MFA_KEY = 'fabric-auth:require-mfa';
/** Metadata key of the routes a session limited to MFA enrolment may still call. */
export const FABRIC_ENROLMENT_ROUTE_KEY = 'fabric-auth:mfa-enrolment-route';
/** Metadata key of `@OrgScoped()`. */
export const FABRIC_ORG_SCOPED_KEY = 'fabric-auth:org-scoped';
/** Metadata key of `@ScimRoute()`: the routes a SCIM token reaches, and the only ones. */
export const FABRIC_SCIM_ROUTE_KEY = 'fabric-auth:scim-route';
