/**
 * The one place where every option of nestjs-fabric-auth is declared: its YAML key,
 * its TypeScript name, its type, its unit, its default and its bounds. The YAML
 * loader and `FabricAuthModule` both validate through `resolveFabricAuthOptions`.
 */

import type { JsonWebKey } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { inspect } from 'node:util';
import { invalidProxyEntry } from './limits/client-ip.js';
import { isCommonPassword } from './passwords/common-passwords.js';
import { ARGON2_LIMITS, argon2WorkProblem, SCRYPT_LIMITS, scryptWorkProblem } from './passwords/password-hashes.js';
import { ASYMMETRIC_ALGORITHMS, type AsymmetricAlgorithm, keyProblem, privateKeyFrom, type SigningAlgorithm, thumbprintOf } from './signing/jws.js';
import { tablePrefixProblem } from './storage/table-prefix.js';
import { type ClaimPath, parseClaimPath } from './common/claim-path.js';
import { isRpId, isWebAuthnOrigin, ORIGINS_RULE, RP_ID_RULE } from './mfa/webauthn-relying-party.js';

export interface OidcProviderOptions {
  /** `oidc`, the only provider type (and the default). */
  type?: 'oidc';
  /**
   * Issuer URL; discovery is read from `<issuer>/.well-known/openid-configuration` and its
   * `issuer` must equal this value. https, or http on a loopback host (development).
   */
  issuer: string;
  clientId: string;
  /** Absent: a public client (PKCE only). */
  clientSecret?: string;
  /** Absolute callback URL registered at the provider; it must reach this provider's callback route. */
  redirectUri: string;
  /** Create unknown users on their first login. Default false. */
  jitProvisioning?: boolean;
  /** Scopes requested; must include `openid`. Default `openid email profile`. */
  scopes?: string[];
  /** Roles given to users created by JIT provisioning. Default none. */
  defaultRoles?: string[];
  /** Link an unknown identity to the local account with the same email when both sides verified it. Default false. */
  linkVerifiedEmail?: boolean;
  /**
   * Claim (from the ID token or UserInfo) whose values `roleMapping` maps to roles: `groups`,
   * a dotted path (`realm_access.roles`), or a list of segments taken literally
   * (`['resource_access', 'my.client', 'roles']`, `['https://example.com/roles']`).
   */
  roleClaim?: ClaimPath;
  /** Claim value → role names, re-applied at every login. Default none. */
  roleMapping?: Record<string, string[]>;
  /**
   * Absolute URL the provider sends the browser to after an RP-initiated logout; it must be
   * registered at the provider. Default none (the provider shows its own page).
   */
  postLogoutRedirectUri?: string;
  /**
   * What a second factor means for this provider's logins. `idp_amr` (default): the ID
   * token's `amr` counts (an IdP login with `mfa`, or two methods, is a second-factor
   * session); `local`: the IdP's `amr` is ignored and a user with a local factor completes
   * the login with it (the callback redirects with `#mfa_token=…` instead of a session).
   */
  mfa?: 'idp_amr' | 'local';
  /**
   * Fewest seconds between two reads of the provider's JWKS caused by an ID token signed
   * with a key we do not hold (the provider rotated its keys). Default 30.
   */
  jwksCooldown?: number;
}

export type ResolvedOidcProviderOptions = Required<Omit<OidcProviderOptions, 'clientSecret' | 'roleClaim' | 'postLogoutRedirectUri'>> &
  Pick<OidcProviderOptions, 'clientSecret' | 'roleClaim' | 'postLogoutRedirectUri'>;

/** How single sign-on meets people (`auth.sso`). */
export interface SsoOptions {
  /**
   * Where a failed SSO login sends the browser, with `?error=<code>` added: a path on this
   * site or an absolute http(s) URL. Default: the small page the module serves at
   * `<prefix>/auth/oidc/error`.
   */
  errorUrl?: string;
}

/** Name of the provider configured as `auth.providers.oidc`, served by `/auth/oidc/login`. */
export const DEFAULT_OIDC_PROVIDER = 'oidc';

export interface SigningKeyOptions {
  /** Default: the key's RFC 7638 thumbprint. */
  kid?: string;
  /** PEM (PKCS#8, PKCS#1 or SEC1) or a private JWK (object or JSON text). */
  privateKey: string | JsonWebKey;
}

export interface SigningOptions {
  /** `HS256` (default: `secret_key` signs), or `EdDSA` (Ed25519), `ES256` (P-256), `RS256` (RSA ≥ 2048). */
  algorithm?: SigningAlgorithm;
  /**
   * Asymmetric keys from configuration: the first signs, every one verifies (rotate by
   * putting the new key first and removing the old one after `access_token_expire`).
   * Absent: keys are generated and kept in the database, and rotated with
   * `POST /signing-keys/rotate`.
   */
  keys?: SigningKeyOptions[];
  /** Seconds between re-reads of the database key set (how soon another instance's rotation is seen). Default 30. */
  refreshInterval?: number;
}

export interface ResolvedSigningOptions {
  algorithm: SigningAlgorithm;
  keys: Array<{ kid: string; privateKey: string | JsonWebKey }>;
  refreshInterval: number;
}

export const TRUSTED_ISSUER_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type TrustedIssuerAlgorithm = (typeof TRUSTED_ISSUER_ALGORITHMS)[number];

/** An external issuer (Keycloak, Entra ID, Auth0, another instance) whose JWT access tokens FabricGuard accepts. */
export interface TrustedIssuerOptions {
  /** Exactly the tokens' `iss`; discovery is read from `<issuer>/.well-known/openid-configuration` unless `jwksUri` is given. */
  issuer: string;
  /** The `aud` this app's tokens must carry, or several (Entra ID: `api://…` and the client id); a token must carry one of them. */
  audience: string | string[];
  /** Signature algorithms accepted from this issuer (asymmetric only); a token's `alg` outside the list is refused. */
  algorithms: TrustedIssuerAlgorithm[];
  /** JWKS URL; default: the `jwks_uri` of the issuer's discovery document. */
  jwksUri?: string;
  /** Claim naming the subject (a claim path, see `rolesClaim`). Default `sub`. */
  subjectClaim?: ClaimPath;
  /**
   * Claim whose values `roleMapping` maps to local roles: a dotted path (`realm_access.roles`)
   * or a list of segments taken literally (`['resource_access', 'my.client', 'roles']`,
   * `['https://example.com/roles']`; an absolute URL string is one claim too).
   */
  rolesClaim?: ClaimPath;
  /** Claim value → local role names (their permissions become the principal's). Default none. */
  roleMapping?: Record<string, string[]>;
  /**
   * `none` (default): an `external` principal whose permissions come from `roleMapping`;
   * `by_subject`: the local user linked to (issuer, subject) by single sign-on;
   * `by_verified_email`: the local user with the token's `email` when `email_verified` is true.
   */
  link?: 'none' | 'by_subject' | 'by_verified_email';
  /** Fewest seconds between two JWKS fetches caused by an unknown `kid` (and between retries after a failed fetch). Default 30. */
  jwksCooldown?: number;
  /**
   * The token types this issuer's access tokens declare, in the JOSE header `typ` or a `typ`
   * claim: a token declaring any other type (`ID`, `Refresh`, `logout+jwt`, …) is refused.
   * `JWT` admits tokens that declare no type (Entra ID, Auth0), unless they carry an ID
   * token's `nonce`, `at_hash` or `c_hash`. Default `['at+jwt', 'Bearer', 'JWT']`.
   */
  tokenTypes?: string[];
  /** When set, the token's `azp` (or `client_id`) must be one of these clients. Default: any. */
  authorizedParties?: string[];
}

export const DEFAULT_TRUSTED_TOKEN_TYPES = ['at+jwt', 'Bearer', 'JWT'];

export type ResolvedTrustedIssuerOptions = Required<Omit<TrustedIssuerOptions, 'jwksUri' | 'rolesClaim' | 'authorizedParties' | 'audience'>> &
  Pick<TrustedIssuerOptions, 'jwksUri' | 'rolesClaim' | 'authorizedParties'> & { audience: string[] };

export interface MfaOptions {
  /**
   * Permission or role names whose holders must have a second factor: without one, a
   * password login opens a session limited to enrolling one (`mfa_enrollment_required`).
   * `system_admin` names the system admin. Default none.
   */
  requiredFor?: string[];
  /** Permissions whose routes also demand a session that used a second factor (as `@RequireMfa()`). Default none. */
  requireMfa?: string[];
  /** Issuer shown by authenticator apps (`otpauth://totp/<label>:<user>`). Default `auth.issuer`. */
  issuerLabel?: string;
  /**
   * Seconds after a login that used a second factor during which its session counts as
   * stepped up: removing or resetting factors (one's own or, as an admin, another user's)
   * needs such a session. 60–86400. Default 900.
   */
  stepUpSeconds?: number;
}

export interface WebAuthnOptions {
  /** Relying-party id: the site's registrable domain (`example.com`). Default: the host of `public_base_url`. */
  rpId?: string;
  /** Name browsers show when registering. Default `auth.mfa.issuer_label`. */
  rpName?: string;
  /**
   * Origins a ceremony may come from (`https://app.example.com`). Default: the origin of
   * `public_base_url`, else `http://localhost:<the port the server listens on>`.
   */
  origins?: string[];
}

export interface ResolvedMfaOptions {
  requiredFor: string[];
  requireMfa: string[];
  issuerLabel: string;
  stepUpSeconds: number;
}

export interface ResolvedWebAuthnOptions {
  /** Absent unless set: derived from `public_base_url` or the listening port (`relyingPartyOf`). */
  rpId?: string;
  rpName: string;
  /** Absent unless set: derived from `public_base_url` or the listening port (`relyingPartyOf`). */
  origins?: string[];
}

export interface FabricAuthOptions {
  /** Signs access tokens (HS256) and derives the refresh-token and CSRF keys. At least 32 characters. */
  secretKey: string;
  /** Password of the system admin created at startup when it does not exist yet; required unless `seedSystemAdmin` is false. */
  systemAdminPassword?: string;
  /** Default `admin`. */
  systemAdminUsername?: string;
  /** Default none. */
  systemAdminEmail?: string;
  /** Seconds an access token lives. Default 900. */
  accessTokenExpire?: number;
  /** Seconds a refresh token lives after its last use. Default 86400. */
  refreshTokenExpire?: number;
  /** Seconds a session lives at most, however often it is refreshed. Default 2592000 (30 days). */
  sessionMaxAge?: number;
  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. Default 10, at most 60. */
  clockSkew?: number;
  /**
   * `iss` of issued access tokens. Default: `publicBaseUrl` when it is set, else
   * `nestjs-fabric-auth`. Must be an http(s) URL with asymmetric signing (RFC 8414 §2: other
   * services compare it with the URL they fetched the metadata from).
   */
  issuer?: string;
  /** `aud` of issued access tokens. Default `nestjs-fabric-auth`. */
  audience?: string;
  /**
   * Algorithm of new password hashes: `argon2id` (@node-rs/argon2, off the event loop),
   * `scrypt` (node:crypto, off the event loop) or `bcrypt` (pure JavaScript, for user tables
   * shared with systems that read only bcrypt). Hashes of another algorithm or setting still
   * verify and are re-hashed at the next login. Default `argon2id`.
   */
  passwordHash?: 'argon2id' | 'scrypt' | 'bcrypt';
  /** argon2id's memory per hash in KiB (m), 7168–262144. Default 19456 (19 MiB; with the defaults below, OWASP's m=19 MiB, t=2, p=1). */
  argon2Memory?: number;
  /** argon2id's passes over its memory (t), 1–10. Default 2. Memory × iterations must be at least 7168 × 5 (OWASP's minimum). */
  argon2Iterations?: number;
  /** argon2id's lanes (p), 1–16. Default 1. */
  argon2Parallelism?: number;
  /** log2 of scrypt's N, 13–20. Default 13 (N = 8192; with the defaults below, OWASP's N=2^13, r=8, p=10). */
  scryptCost?: number;
  /** scrypt's r (block size), 8–32. Default 8. */
  scryptBlockSize?: number;
  /** scrypt's p (parallelisation), 1–16. Default 10. 2^cost × r × p must be at least 2^13 × 8 × 10 (OWASP's minimum), 128 × 2^cost × r bytes at most 256 MiB. */
  scryptParallelism?: number;
  /** bcrypt cost factor of new hashes when `passwordHash` is `bcrypt`, 10–15. Default 12. */
  bcryptCost?: number;
  /**
   * Password hashes run at once; the rest queue. Default: CPU cores, at most one less than
   * libuv's thread pool (`UV_THREADPOOL_SIZE`, 4 unless set), so file and DNS work keep a thread.
   */
  passwordHashConcurrency?: number;
  /**
   * Password checks that may wait for a hashing slot (and, times four, checks of one account
   * from one address under way); past that a check is refused with 503 and `Retry-After`. Default 16.
   */
  passwordQueueDepth?: number;
  /** Minimum password length in characters. Default 8. */
  passwordMinLength?: number;
  /** Refuse the built-in list of common passwords. Default true. */
  refuseCommonPasswords?: boolean;
  /** Extra passwords the policy refuses (compared case-insensitively), e.g. your product's name. */
  refusedPasswords?: string[];
  /** Seconds a password-reset token lives. Default 3600, at most 3600. */
  passwordResetExpire?: number;
  /** Seconds an activation token lives. Default 259200 (3 days). */
  activationExpire?: number;
  /**
   * Public base URL of the app: links sent for activation and reset, the issuer metadata's URLs,
   * the default `issuer`. Never taken from the request. Default: `http://localhost:<the port the
   * server listens on>` (development).
   */
  publicBaseUrl?: string;
  /** Days an API key lives when its creator does not say. Default 90. */
  apiKeyDefaultDays?: number;
  /** Longest lifetime a creator may ask for, in days. Default 365. */
  apiKeyMaxDays?: number;
  /** Seconds the old secret of a rerolled key keeps working. Default 3600. */
  apiKeyRerollGrace?: number;
  /** Roles created or updated at startup: name → permissions. */
  roles?: Record<string, string[]>;
  /** The host application's own permissions (e.g. `reports:read`), added to the registry. */
  permissions?: string[];
  /** Create the system admin at startup when missing. Default true. */
  seedSystemAdmin?: boolean;
  /** Seconds a resolved principal stays cached when no invalidation arrives. Default 60. */
  principalCacheTtl?: number;
  /** Seconds between runs of the pruning job (expired sessions and tokens, old revoked keys, old audit events). Default 3600; 0 turns it off. */
  pruneInterval?: number;
  /** Days a revoked or expired API key stays listed before pruning deletes it. Default 30. */
  revokedKeyRetentionDays?: number;
  /** Days audit events are kept; older ones are pruned. Default 0: kept forever. */
  auditRetentionDays?: number;
  /** `Secure` attribute on auth cookies. Default true; set false only for local HTTP development. */
  secureCookies?: boolean;
  /**
   * Failed password checks of one account from one client address (or one device), within
   * `lockoutWindow`, that lock that pair. Default 5; 0 disables.
   */
  lockoutThreshold?: number;
  /**
   * Failed password checks of one account from all addresses, within `lockoutWindow`, after
   * which only clients presenting the account's device token may try its password. Default 100; 0 disables.
   */
  lockoutAccountThreshold?: number;
  /** Seconds a device token (cookie `fabric_device`, or `device_token`) stays valid. Default 7776000 (90 days); 0 issues none. */
  deviceTokenExpire?: number;
  /** Seconds over which failures are counted. Default 900. */
  lockoutWindow?: number;
  /** Seconds of the first lock; each further lock doubles it. Default 60. */
  lockoutDuration?: number;
  /** Longest lock, in seconds. Default 3600. */
  lockoutMaxDuration?: number;
  /** Rate limits on the guessable endpoints (429 + Retry-After). Default true. */
  rateLimits?: boolean;
  /** Proxies (IP or CIDR) whose `X-Forwarded-For` is believed. Default none. */
  trustedProxies?: string[];
  /** `redis://…`: share counters and broadcast revocations between instances. Default none (one process). */
  redisUrl?: string;
  /** Prefix of every Redis key and channel. Default `fabric-auth:`. */
  redisKeyPrefix?: string;
  /**
   * Prefix of the library's tables, indexes and constraints (`fabric_` → `fabric_users`), so it
   * fits beside an app's own `users` or `sessions`. Fixed when the module is declared: with
   * `forRootAsync`, pass it to `forRootAsync({ tablePrefix })` itself. Default none.
   */
  tablePrefix?: string;
  /**
   * Single sign-on providers by name: `oidc` is the default one (`/auth/oidc/login`), any
   * other name needs `type: oidc` and is served under `/auth/oidc/<name>/login`.
   */
  providers?: Record<string, OidcProviderOptions>;
  /** How access tokens are signed. Default HS256 with `secret_key`. */
  signing?: SigningOptions;
  /** Encrypts private signing keys kept in the database (at least 32 characters). Default: derived from `secret_key`. */
  encryptionKey?: string;
  /** External issuers whose access tokens FabricGuard accepts (resource-server mode). Default none. */
  trustedIssuers?: TrustedIssuerOptions[];
  /** Pages and links around single sign-on. */
  sso?: SsoOptions;
  /** Multi-factor policy (`auth.mfa`). */
  mfa?: MfaOptions;
  /** Passkeys (`auth.webauthn`). */
  webauthn?: WebAuthnOptions;
}

export type ResolvedFabricAuthOptions = Required<
  Omit<FabricAuthOptions, 'systemAdminEmail' | 'systemAdminPassword' | 'providers' | 'signing' | 'encryptionKey' | 'trustedIssuers' | 'sso' | 'mfa' | 'webauthn' | 'publicBaseUrl'>
> &
  Pick<FabricAuthOptions, 'systemAdminEmail' | 'encryptionKey' | 'publicBaseUrl'> & {
    /** Present whenever `seedSystemAdmin` is true (required then). */
    systemAdminPassword?: string;
    providers: Record<string, ResolvedOidcProviderOptions>;
    signing: ResolvedSigningOptions;
    trustedIssuers: ResolvedTrustedIssuerOptions[];
    sso: SsoOptions;
    mfa: ResolvedMfaOptions;
    webauthn: ResolvedWebAuthnOptions;
  };

/**
 * A refusal to start that an operator fixes outside the code (configuration, a database that is
 * down or missing). Logged, it is its message alone: Nest's `ExceptionHandler` and `console.error`
 * print the block without the library's stack frames, which say nothing about the fix. Every
 * other error (a real bug) keeps its stack.
 */
export class FabricStartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FabricStartupError';
  }

  [inspect.custom](): string {
    return this.message;
  }
}

export class FabricConfigError extends FabricStartupError {
  constructor(readonly problems: string[]) {
    super(`Invalid nestjs-fabric-auth configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'FabricConfigError';
  }
}

type Check = (value: unknown) => string | undefined;

interface FieldSpec {
  /** Path in the YAML file, e.g. `auth.secret_key`. */
  yaml: string;
  /** Property of `FabricAuthOptions`. */
  option: keyof FabricAuthOptions;
  kind: 'string' | 'int' | 'bool' | 'stringList' | 'roleMap' | 'oidc' | 'signing' | 'trustedIssuers' | 'sso' | 'mfa' | 'webauthn';
  required?: boolean | ((input: Partial<FabricAuthOptions>) => boolean);
  /** A string field whose empty value means something (e.g. no prefix). */
  allowEmpty?: boolean;
  default?: unknown;
  check?: Check;
}

const PERMISSION_PATTERN = /^[a-z][a-z0-9_-]*:[a-z0-9_*-]+$/;
const ROLE_NAME_PATTERN = /^[a-z][a-z0-9_.-]{0,63}$/;
const USERNAME_PATTERN = /^[a-z0-9][a-z0-9_.@-]{0,149}$/;
/** Values people paste from samples: refused whatever their length. */
const KNOWN_WEAK_SECRETS = new Set(['32-char-minimum', 'changeme', 'secret', 'your-secret-key']);

const intBetween =
  (min: number, max: number): Check =>
  (v) =>
    (v as number) < min || (v as number) > max ? `must be between ${min} and ${max}` : undefined;

const FIELDS: FieldSpec[] = [
  {
    yaml: 'auth.secret_key',
    option: 'secretKey',
    kind: 'string',
    required: true,
    check: (v) => {
      const s = v as string;
      if (s.length < 32) return 'must be at least 32 characters';
      if (KNOWN_WEAK_SECRETS.has(s.toLowerCase()) || new Set(s).size < 10) {
        return 'is too predictable; use 32+ random characters (e.g. `openssl rand -base64 48`)';
      }
      return undefined;
    },
  },
  {
    yaml: 'auth.system_admin_password',
    option: 'systemAdminPassword',
    kind: 'string',
    // Only the seeding of the system admin uses it.
    required: (input) => input.seedSystemAdmin !== false,
    check: (v) => {
      const s = v as string;
      if (s.length < 8) return 'must be at least 8 characters';
      if (isCommonPassword(s)) return 'is a commonly used password; choose another';
      return undefined;
    },
  },
  {
    yaml: 'auth.system_admin_username',
    option: 'systemAdminUsername',
    kind: 'string',
    default: 'admin',
    check: (v) =>
      USERNAME_PATTERN.test(v as string) ? undefined : 'must be lowercase letters, digits, and . _ @ - (at most 150)',
  },
  { yaml: 'auth.system_admin_email', option: 'systemAdminEmail', kind: 'string' },
  { yaml: 'auth.access_token_expire', option: 'accessTokenExpire', kind: 'int', default: 900, check: intBetween(30, 86_400) },
  {
    yaml: 'auth.refresh_token_expire',
    option: 'refreshTokenExpire',
    kind: 'int',
    default: 86_400,
    check: intBetween(60, 31_536_000),
  },
  {
    yaml: 'auth.session_max_age',
    option: 'sessionMaxAge',
    kind: 'int',
    default: 2_592_000,
    check: intBetween(60, 31_536_000),
  },
  { yaml: 'auth.clock_skew', option: 'clockSkew', kind: 'int', default: 10, check: intBetween(0, 60) },
  { yaml: 'auth.issuer', option: 'issuer', kind: 'string', default: 'nestjs-fabric-auth' },
  { yaml: 'auth.audience', option: 'audience', kind: 'string', default: 'nestjs-fabric-auth' },
  {
    yaml: 'auth.password_hash',
    option: 'passwordHash',
    kind: 'string',
    default: 'argon2id',
    check: (v) => (v === 'argon2id' || v === 'scrypt' || v === 'bcrypt' ? undefined : 'must be argon2id, scrypt or bcrypt'),
  },
  { yaml: 'auth.argon2_memory', option: 'argon2Memory', kind: 'int', default: 19_456, check: intBetween(...ARGON2_LIMITS.memory) },
  { yaml: 'auth.argon2_iterations', option: 'argon2Iterations', kind: 'int', default: 2, check: intBetween(...ARGON2_LIMITS.iterations) },
  { yaml: 'auth.argon2_parallelism', option: 'argon2Parallelism', kind: 'int', default: 1, check: intBetween(...ARGON2_LIMITS.parallelism) },
  { yaml: 'auth.scrypt_cost', option: 'scryptCost', kind: 'int', default: 13, check: intBetween(...SCRYPT_LIMITS.cost) },
  { yaml: 'auth.scrypt_block_size', option: 'scryptBlockSize', kind: 'int', default: 8, check: intBetween(...SCRYPT_LIMITS.blockSize) },
  { yaml: 'auth.scrypt_parallelism', option: 'scryptParallelism', kind: 'int', default: 10, check: intBetween(...SCRYPT_LIMITS.parallelism) },
  { yaml: 'auth.bcrypt_cost', option: 'bcryptCost', kind: 'int', default: 12, check: intBetween(10, 15) },
  {
    yaml: 'auth.password_hash_concurrency',
    option: 'passwordHashConcurrency',
    kind: 'int',
    default: Math.max(1, Math.min(availableParallelism(), (Number(process.env.UV_THREADPOOL_SIZE) || 4) - 1)),
    check: intBetween(1, 64),
  },
  { yaml: 'auth.password_queue_depth', option: 'passwordQueueDepth', kind: 'int', default: 16, check: intBetween(1, 10_000) },
  { yaml: 'auth.password_min_length', option: 'passwordMinLength', kind: 'int', default: 8, check: intBetween(8, 64) },
  { yaml: 'auth.refuse_common_passwords', option: 'refuseCommonPasswords', kind: 'bool', default: true },
  { yaml: 'auth.refused_passwords', option: 'refusedPasswords', kind: 'stringList', default: [] },
  {
    yaml: 'auth.password_reset_expire',
    option: 'passwordResetExpire',
    kind: 'int',
    default: 3600,
    check: intBetween(60, 3600),
  },
  {
    yaml: 'auth.activation_expire',
    option: 'activationExpire',
    kind: 'int',
    default: 259_200,
    check: intBetween(300, 2_592_000),
  },
  {
    yaml: 'auth.public_base_url',
    option: 'publicBaseUrl',
    kind: 'string',
    // No default: unset, URLs are built from the port the server listens on (PublicBaseUrl).
    check: (v) => (/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(v as string) ? undefined : 'must be an http(s) URL without query or fragment'),
  },
  { yaml: 'auth.api_key_default_days', option: 'apiKeyDefaultDays', kind: 'int', default: 90, check: intBetween(1, 3650) },
  { yaml: 'auth.api_key_max_days', option: 'apiKeyMaxDays', kind: 'int', default: 365, check: intBetween(1, 3650) },
  { yaml: 'auth.api_key_reroll_grace', option: 'apiKeyRerollGrace', kind: 'int', default: 3600, check: intBetween(0, 604_800) },
  { yaml: 'auth.roles', option: 'roles', kind: 'roleMap', default: {} },
  { yaml: 'auth.permissions', option: 'permissions', kind: 'stringList', default: [], check: permissionList },
  { yaml: 'auth.seed_system_admin', option: 'seedSystemAdmin', kind: 'bool', default: true },
  {
    yaml: 'auth.principal_cache_ttl',
    option: 'principalCacheTtl',
    kind: 'int',
    default: 60,
    check: intBetween(0, 3600),
  },
  { yaml: 'auth.prune_interval', option: 'pruneInterval', kind: 'int', default: 3600, check: intBetween(0, 604_800) },
  { yaml: 'auth.revoked_key_retention_days', option: 'revokedKeyRetentionDays', kind: 'int', default: 30, check: intBetween(0, 3650) },
  { yaml: 'auth.audit_retention_days', option: 'auditRetentionDays', kind: 'int', default: 0, check: intBetween(0, 36_500) },
  { yaml: 'auth.providers', option: 'providers', kind: 'oidc', default: {} },
  { yaml: 'auth.signing', option: 'signing', kind: 'signing', default: {} },
  { yaml: 'auth.trusted_issuers', option: 'trustedIssuers', kind: 'trustedIssuers', default: [] },
  // Resolved after the other fields (their defaults come from `issuer` and `public_base_url`).
  { yaml: 'auth.mfa', option: 'mfa', kind: 'mfa' },
  { yaml: 'auth.webauthn', option: 'webauthn', kind: 'webauthn' },
  {
    yaml: 'auth.encryption_key',
    option: 'encryptionKey',
    kind: 'string',
    check: (v) => ((v as string).length < 32 || new Set(v as string).size < 10 ? 'must be at least 32 random characters' : undefined),
  },
  { yaml: 'auth.sso', option: 'sso', kind: 'sso', default: {} },
  { yaml: 'auth.lockout_threshold', option: 'lockoutThreshold', kind: 'int', default: 5, check: intBetween(0, 1000) },
  { yaml: 'auth.lockout_account_threshold', option: 'lockoutAccountThreshold', kind: 'int', default: 100, check: intBetween(0, 1_000_000) },
  { yaml: 'auth.device_token_expire', option: 'deviceTokenExpire', kind: 'int', default: 7_776_000, check: intBetween(0, 31_536_000) },
  { yaml: 'auth.lockout_window', option: 'lockoutWindow', kind: 'int', default: 900, check: intBetween(10, 86_400) },
  { yaml: 'auth.lockout_duration', option: 'lockoutDuration', kind: 'int', default: 60, check: intBetween(1, 86_400) },
  { yaml: 'auth.lockout_max_duration', option: 'lockoutMaxDuration', kind: 'int', default: 3600, check: intBetween(1, 604_800) },
  { yaml: 'server.secure_cookies', option: 'secureCookies', kind: 'bool', default: true },
  { yaml: 'server.rate_limits', option: 'rateLimits', kind: 'bool', default: true },
  {
    yaml: 'server.trusted_proxies',
    option: 'trustedProxies',
    kind: 'stringList',
    default: [],
    check: (v) => {
      const bad = (v as string[]).find(invalidProxyEntry);
      return bad === undefined ? undefined : `"${bad}" is not an IP address or CIDR block`;
    },
  },
  {
    yaml: 'server.redis_url',
    option: 'redisUrl',
    kind: 'string',
    check: (v) => (/^rediss?:\/\/\S+$/.test(v as string) ? undefined : 'must be a redis:// or rediss:// URL'),
  },
  { yaml: 'server.redis_key_prefix', option: 'redisKeyPrefix', kind: 'string', default: 'fabric-auth:' },
  { yaml: 'auth.table_prefix', option: 'tablePrefix', kind: 'string', allowEmpty: true, default: '', check: tablePrefixProblem },
];

function permissionList(v: unknown): string | undefined {
  const bad = (v as string[]).find((p) => !PERMISSION_PATTERN.test(p));
  return bad === undefined ? undefined : `"${bad}" is not a permission name (resource:action, lowercase)`;
}

/** The YAML sections and keys the loader accepts; anything else is an error. */
export const FABRIC_CONFIG_KEYS: ReadonlyMap<string, FieldSpec['kind']> = new Map(FIELDS.map((f) => [f.yaml, f.kind]));

type Naming = 'yaml' | 'option';

function label(field: FieldSpec, naming: Naming): string {
  return naming === 'yaml' ? field.yaml : `${field.yaml} (${field.option})`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type OidcFieldKind = 'string' | 'bool' | 'url' | 'scopes' | 'roleNames' | 'roleMapping' | 'type' | 'mfaMode' | 'claimPath' | 'cooldown';

const OIDC_FIELDS: Record<string, { option: keyof OidcProviderOptions; kind: OidcFieldKind; required?: boolean; default?: unknown }> = {
  type: { option: 'type', kind: 'type', default: 'oidc' },
  issuer: { option: 'issuer', kind: 'url', required: true },
  client_id: { option: 'clientId', kind: 'string', required: true },
  client_secret: { option: 'clientSecret', kind: 'string' },
  redirect_uri: { option: 'redirectUri', kind: 'url', required: true },
  jit_provisioning: { option: 'jitProvisioning', kind: 'bool', default: false },
  scopes: { option: 'scopes', kind: 'scopes', default: ['openid', 'email', 'profile'] },
  default_roles: { option: 'defaultRoles', kind: 'roleNames', default: [] },
  link_verified_email: { option: 'linkVerifiedEmail', kind: 'bool', default: false },
  role_claim: { option: 'roleClaim', kind: 'claimPath' },
  role_mapping: { option: 'roleMapping', kind: 'roleMapping', default: {} },
  post_logout_redirect_uri: { option: 'postLogoutRedirectUri', kind: 'url' },
  mfa: { option: 'mfa', kind: 'mfaMode', default: 'idp_amr' },
  jwks_cooldown: { option: 'jwksCooldown', kind: 'cooldown', default: 30 },
};

const PROVIDER_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function oidcValueProblem(kind: OidcFieldKind, raw: unknown): string | undefined {
  switch (kind) {
    case 'type':
      return raw === 'oidc' ? undefined : 'must be "oidc" (the only provider type)';
    case 'mfaMode':
      return raw === 'idp_amr' || raw === 'local' ? undefined : 'must be idp_amr or local';
    case 'bool':
      return typeof raw === 'boolean' ? undefined : 'must be true or false';
    case 'claimPath': {
      const path = parseClaimPath(raw);
      return Array.isArray(path) ? undefined : path.problem;
    }
    case 'cooldown':
      return typeof raw === 'number' && Number.isInteger(raw) && raw >= 1 && raw <= 3600 ? undefined : 'must be an integer between 1 and 3600 (seconds)';
    case 'string':
      return typeof raw === 'string' && raw.length > 0 ? undefined : 'must be a non-empty string';
    case 'url': {
      if (typeof raw !== 'string' || !URL.canParse(raw)) return 'must be an absolute URL';
      const url = new URL(raw);
      if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
        return url.search || url.hash ? 'must not have a query or fragment' : undefined;
      }
      return 'must be an https URL (http only on localhost)';
    }
    case 'scopes':
      if (!Array.isArray(raw) || raw.some((v) => typeof v !== 'string' || !SCOPE_PATTERN.test(v))) return 'must be a list of scope names';
      return raw.includes('openid') ? undefined : 'must include openid';
    case 'roleNames': {
      if (!Array.isArray(raw) || raw.some((v) => typeof v !== 'string')) return 'must be a list of role names';
      const bad = raw.find((v) => !ROLE_NAME_PATTERN.test(v as string));
      return bad === undefined ? undefined : `"${bad}" is not a role name`;
    }
    case 'roleMapping': {
      if (!isPlainObject(raw)) return 'must be a mapping of claim value to role names';
      for (const [value, roles] of Object.entries(raw)) {
        const problem = oidcValueProblem('roleNames', roles);
        if (problem) return `${value}: ${problem}`;
      }
      return undefined;
    }
  }
}

function validateProvider(provider: unknown, where: string, naming: Naming, problems: string[]): ResolvedOidcProviderOptions | undefined {
  if (!isPlainObject(provider)) return void problems.push(`${where}: must be a mapping`);
  const before = problems.length;
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(provider)) {
    const spec = OIDC_FIELDS[key] ?? Object.values(OIDC_FIELDS).find((s) => naming === 'option' && s.option === key);
    if (!spec) {
      problems.push(`${where}.${key}: unknown key`);
      continue;
    }
    const problem = oidcValueProblem(spec.kind, raw);
    if (problem) problems.push(`${where}.${key}: ${problem}`);
    else out[spec.option] = structuredClone(raw);
  }
  for (const [key, spec] of Object.entries(OIDC_FIELDS)) {
    if (out[spec.option] !== undefined || problems.slice(before).some((p) => p.startsWith(`${where}.${key}:`))) continue;
    if (spec.required) problems.push(`${where}.${key}: is required`);
    else if (spec.default !== undefined) out[spec.option] = structuredClone(spec.default);
  }
  if (Object.keys(out.roleMapping ?? {}).length > 0 && out.roleClaim === undefined) {
    problems.push(`${where}.role_mapping: needs role_claim (the claim whose values it maps)`);
  }
  return problems.length === before ? (out as ResolvedOidcProviderOptions) : undefined;
}

function validateProviders(value: unknown, where: string, naming: Naming, problems: string[]): Record<string, ResolvedOidcProviderOptions> | undefined {
  if (!isPlainObject(value)) return void problems.push(`${where}: must be a mapping of provider name to settings`);
  const result: Record<string, ResolvedOidcProviderOptions> = {};
  for (const [name, provider] of Object.entries(value)) {
    if (!PROVIDER_NAME_PATTERN.test(name)) {
      problems.push(`${where}.${name}: provider names are lowercase letters, digits, _ and - (at most 32)`);
      continue;
    }
    const resolved = validateProvider(provider, `${where}.${name}`, naming, problems);
    if (resolved) result[name] = resolved;
  }
  return result;
}

const TRUSTED_ISSUER_KEYS: Record<string, keyof TrustedIssuerOptions> = {
  issuer: 'issuer',
  audience: 'audience',
  algorithms: 'algorithms',
  jwks_uri: 'jwksUri',
  subject_claim: 'subjectClaim',
  roles_claim: 'rolesClaim',
  role_mapping: 'roleMapping',
  link: 'link',
  jwks_cooldown: 'jwksCooldown',
  token_types: 'tokenTypes',
  authorized_parties: 'authorizedParties',
};
const TOKEN_TYPE_PATTERN = /^[A-Za-z0-9!#$&^_.+-]{1,64}$/;

function stringListProblem(raw: unknown, pattern: RegExp): string | undefined {
  if (!Array.isArray(raw) || raw.length === 0) return 'must be a non-empty list';
  const bad = raw.find((v) => typeof v !== 'string' || !pattern.test(v));
  return bad === undefined ? undefined : `${JSON.stringify(bad)} is not allowed here`;
}

function validateTrustedIssuers(value: unknown, where: string, naming: Naming, problems: string[]): ResolvedTrustedIssuerOptions[] | undefined {
  if (!Array.isArray(value)) return void problems.push(`${where}: must be a list of {issuer, audience, algorithms, …}`);
  const before = problems.length;
  const resolved: ResolvedTrustedIssuerOptions[] = [];
  value.forEach((entry: unknown, index) => {
    const at = `${where}[${index}]`;
    if (!isPlainObject(entry)) return void problems.push(`${at}: must be a mapping`);
    const input: Partial<Record<keyof TrustedIssuerOptions, unknown>> = {};
    for (const [key, raw] of Object.entries(entry)) {
      const option = TRUSTED_ISSUER_KEYS[key] ?? (naming === 'option' ? Object.values(TRUSTED_ISSUER_KEYS).find((o) => o === key) : undefined);
      if (!option) problems.push(`${at}.${key}: unknown key`);
      else input[option] = raw;
    }
    const url = (key: 'issuer' | 'jwks_uri', raw: unknown, required: boolean) => {
      if (raw === undefined) return required ? void problems.push(`${at}.${key}: is required`) : undefined;
      const problem = oidcValueProblem('url', raw);
      return problem ? void problems.push(`${at}.${key}: ${problem}`) : (raw as string);
    };
    const issuer = url('issuer', input.issuer, true);
    const jwksUri = url('jwks_uri', input.jwksUri, false);
    const audiences = typeof input.audience === 'string' ? [input.audience] : input.audience;
    if (!Array.isArray(audiences) || audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a.length === 0 || a.length > 512)) {
      problems.push(`${at}.audience: is required (the aud your tokens carry, or a list of them)`);
    }
    const algorithms = input.algorithms;
    if (!Array.isArray(algorithms) || algorithms.length === 0 || algorithms.some((a) => !TRUSTED_ISSUER_ALGORITHMS.includes(a))) {
      problems.push(`${at}.algorithms: must be a non-empty list of ${TRUSTED_ISSUER_ALGORITHMS.join(', ')}`);
    }
    for (const key of ['subjectClaim', 'rolesClaim'] as const) {
      const raw = input[key];
      const path = raw === undefined ? [] : parseClaimPath(raw);
      if (!Array.isArray(path)) problems.push(`${at}.${key === 'subjectClaim' ? 'subject_claim' : 'roles_claim'}: ${path.problem}`);
    }
    const tokenTypes = input.tokenTypes ?? DEFAULT_TRUSTED_TOKEN_TYPES;
    const typesProblem = stringListProblem(tokenTypes, TOKEN_TYPE_PATTERN);
    if (typesProblem) problems.push(`${at}.token_types: ${typesProblem}`);
    else if ((tokenTypes as string[]).some((t) => ['id', 'id_token', 'id_token+jwt', 'refresh', 'logout+jwt'].includes(t.toLowerCase()))) {
      problems.push(`${at}.token_types: ID, refresh and logout tokens are never access tokens`);
    }
    const parties = input.authorizedParties;
    const partiesProblem = parties === undefined ? undefined : stringListProblem(parties, /^[^\u0000-\u001f\u007f]{1,512}$/);
    if (partiesProblem) problems.push(`${at}.authorized_parties: ${partiesProblem}`);
    const link = input.link ?? 'none';
    if (!['none', 'by_subject', 'by_verified_email'].includes(link as string)) problems.push(`${at}.link: must be none, by_subject or by_verified_email`);
    let roleMapping: Record<string, string[]> = {};
    if (input.roleMapping !== undefined) {
      const problem = oidcValueProblem('roleMapping', input.roleMapping);
      if (problem) problems.push(`${at}.role_mapping: ${problem}`);
      else roleMapping = structuredClone(input.roleMapping as Record<string, string[]>);
      if (input.rolesClaim === undefined && Object.keys(roleMapping).length > 0) {
        problems.push(`${at}.role_mapping: needs roles_claim (the claim whose values it maps)`);
      }
    }
    const cooldown = input.jwksCooldown ?? 30;
    if (typeof cooldown !== 'number' || !Number.isInteger(cooldown) || cooldown < 1 || cooldown > 3600) problems.push(`${at}.jwks_cooldown: must be an integer between 1 and 3600`);
    if (issuer && resolved.some((r) => r.issuer === issuer)) problems.push(`${at}.issuer: "${issuer}" is listed twice`);
    if (problems.length > before) return;
    resolved.push({
      issuer: issuer!,
      audience: [...(audiences as string[])],
      algorithms: [...(algorithms as TrustedIssuerAlgorithm[])],
      ...(jwksUri !== undefined && { jwksUri }),
      subjectClaim: structuredClone((input.subjectClaim as ClaimPath | undefined) ?? 'sub'),
      ...(input.rolesClaim !== undefined && { rolesClaim: structuredClone(input.rolesClaim as ClaimPath) }),
      roleMapping,
      link: link as ResolvedTrustedIssuerOptions['link'],
      jwksCooldown: cooldown as number,
      tokenTypes: [...(tokenTypes as string[])],
      ...(parties !== undefined && { authorizedParties: [...(parties as string[])] }),
    });
  });
  return problems.length === before ? resolved : undefined;
}

const SIGNING_KEYS: Record<string, keyof SigningOptions> = { algorithm: 'algorithm', keys: 'keys', refresh_interval: 'refreshInterval' };
const KID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

function validateSigning(value: unknown, where: string, naming: Naming, problems: string[]): ResolvedSigningOptions | undefined {
  if (!isPlainObject(value)) return void problems.push(`${where}: must be a mapping (algorithm, keys, refresh_interval)`);
  const before = problems.length;
  const input: Partial<Record<keyof SigningOptions, unknown>> = {};
  for (const [key, raw] of Object.entries(value)) {
    const option = SIGNING_KEYS[key] ?? (naming === 'option' ? Object.values(SIGNING_KEYS).find((o) => o === key) : undefined);
    if (!option) problems.push(`${where}.${key}: unknown key`);
    else input[option] = raw;
  }
  const algorithm = (input.algorithm ?? 'HS256') as SigningAlgorithm;
  if (algorithm !== 'HS256' && !ASYMMETRIC_ALGORITHMS.includes(algorithm as AsymmetricAlgorithm)) {
    problems.push(`${where}.algorithm: must be one of HS256, ${ASYMMETRIC_ALGORITHMS.join(', ')}`);
  }
  let refreshInterval = 30;
  if (input.refreshInterval !== undefined) {
    const n = typeof input.refreshInterval === 'string' && /^\d+$/.test(input.refreshInterval) ? Number(input.refreshInterval) : input.refreshInterval;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 3600) problems.push(`${where}.refresh_interval: must be an integer between 1 and 3600`);
    else refreshInterval = n;
  }
  const keys: ResolvedSigningOptions['keys'] = [];
  if (input.keys !== undefined) {
    if (!Array.isArray(input.keys)) problems.push(`${where}.keys: must be a list of {kid, private_key}`);
    else if (algorithm === 'HS256' && input.keys.length > 0) problems.push(`${where}.keys: only for EdDSA, ES256 or RS256 (HS256 signs with secret_key)`);
    else {
      input.keys.forEach((entry: unknown, index) => {
        const at = `${where}.keys[${index}]`;
        if (!isPlainObject(entry)) return void problems.push(`${at}: must be a mapping with private_key`);
        for (const key of Object.keys(entry)) {
          if (!['kid', 'private_key', ...(naming === 'option' ? ['privateKey'] : [])].includes(key)) problems.push(`${at}.${key}: unknown key`);
        }
        const material = (entry.private_key ?? entry.privateKey) as unknown;
        if (typeof material !== 'string' && !isPlainObject(material)) return void problems.push(`${at}.private_key: is required (PEM or JWK)`);
        let problem: string | undefined;
        let kid: string | undefined;
        try {
          const key = privateKeyFrom(material as string | JsonWebKey);
          problem = keyProblem(key, algorithm as AsymmetricAlgorithm);
          kid = thumbprintOf(key);
        } catch {
          problem = 'is not a private key (PEM or JWK)';
        }
        if (problem) return void problems.push(`${at}.private_key: ${problem}`);
        if (entry.kid !== undefined) {
          if (typeof entry.kid !== 'string' || !KID_PATTERN.test(entry.kid)) return void problems.push(`${at}.kid: 1–64 letters, digits, . _ -`);
          kid = entry.kid;
        }
        if (keys.some((k) => k.kid === kid)) return void problems.push(`${at}.kid: "${kid}" is used twice`);
        keys.push({ kid: kid!, privateKey: structuredClone(material) as string | JsonWebKey });
      });
    }
  }
  return problems.length === before ? { algorithm, keys, refreshInterval } : undefined;
}

/** A same-site path (`/…`, not `//…`) or an absolute http(s) URL, without a fragment. */
function errorUrlProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) return 'must be a path (/…) or an http(s) URL';
  if (/[\\\u0000-\u0020\u007f#]/.test(raw)) return 'must not contain spaces, backslashes, control characters or a fragment';
  if (raw.startsWith('/')) return raw.startsWith('//') ? 'must be a path (/…) or an http(s) URL' : undefined;
  if (!URL.canParse(raw) || !['http:', 'https:'].includes(new URL(raw).protocol)) return 'must be a path (/…) or an http(s) URL';
  return undefined;
}

function validateSso(value: unknown, where: string, naming: Naming, problems: string[]): SsoOptions | undefined {
  if (!isPlainObject(value)) return void problems.push(`${where}: must be a mapping`);
  const out: SsoOptions = {};
  for (const [key, raw] of Object.entries(value)) {
    if (key === 'error_url' || (naming === 'option' && key === 'errorUrl')) {
      const problem = errorUrlProblem(raw);
      if (problem) problems.push(`${where}.${key}: ${problem}`);
      else out.errorUrl = raw as string;
    } else problems.push(`${where}.${key}: unknown key`);
  }
  return out;
}

function validateField(field: FieldSpec, value: unknown, naming: Naming, problems: string[]): unknown {
  const where = label(field, naming);
  switch (field.kind) {
    case 'string':
      if (typeof value !== 'string' || (value.length === 0 && !field.allowEmpty)) return void problems.push(`${where}: must be a non-empty string`);
      break;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) return void problems.push(`${where}: must be an integer`);
      break;
    case 'bool':
      if (typeof value !== 'boolean') return void problems.push(`${where}: must be true or false`);
      break;
    case 'stringList':
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
        return void problems.push(`${where}: must be a list of strings`);
      }
      break;
    case 'roleMap': {
      if (!isPlainObject(value)) return void problems.push(`${where}: must be a mapping of role name to permissions`);
      for (const [role, perms] of Object.entries(value)) {
        if (!ROLE_NAME_PATTERN.test(role)) problems.push(`${where}.${role}: role names are lowercase letters, digits, . _ -`);
        if (!Array.isArray(perms) || perms.some((p) => typeof p !== 'string')) {
          problems.push(`${where}.${role}: must be a list of permission names`);
        } else {
          const bad = permissionList(perms);
          if (bad) problems.push(`${where}.${role}: ${bad}`);
        }
      }
      return value;
    }
    case 'oidc':
      return validateProviders(value, field.yaml, naming, problems);
    case 'signing':
      return validateSigning(value, field.yaml, naming, problems);
    case 'trustedIssuers':
      return validateTrustedIssuers(value, field.yaml, naming, problems);
    case 'sso':
      return validateSso(value, field.yaml, naming, problems);
    case 'mfa':
    case 'webauthn':
      // Needs other fields' values: resolved at the end of `resolveFabricAuthOptions`.
      return value;
  }
  const message = field.check?.(value);
  if (message) return void problems.push(`${where}: ${message}`);
  return value;
}

/**
 * Applies defaults and validates. Throws `FabricConfigError` listing every problem,
 * each prefixed with the YAML key it concerns.
 */
export function resolveFabricAuthOptions(input: FabricAuthOptions, naming: Naming = 'option'): ResolvedFabricAuthOptions {
  const problems: string[] = [];
  if (!isPlainObject(input)) throw new FabricConfigError(['options: must be an object']);
  const known = new Set<string>(FIELDS.map((f) => f.option));
  for (const key of Object.keys(input)) {
    if (!known.has(key)) problems.push(`${key}: unknown option`);
  }
  const resolved: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const value = (input as unknown as Record<string, unknown>)[field.option];
    if (value === undefined || value === null) {
      const required = typeof field.required === 'function' ? field.required(input) : field.required;
      if (required) problems.push(`${label(field, naming)}: is required`);
      else if (field.kind === 'signing') resolved[field.option] = validateSigning({}, field.yaml, naming, problems);
      else if (field.kind === 'mfa' || field.kind === 'webauthn') resolved[field.option] = {};
      else if (field.default !== undefined) resolved[field.option] = structuredClone(field.default);
      continue;
    }
    resolved[field.option] = validateField(field, value, naming, problems);
  }
  if (
    typeof resolved.apiKeyDefaultDays === 'number' &&
    typeof resolved.apiKeyMaxDays === 'number' &&
    resolved.apiKeyDefaultDays > resolved.apiKeyMaxDays
  ) {
    problems.push('auth.api_key_default_days: must not exceed auth.api_key_max_days');
  }
  if (typeof resolved.argon2Memory === 'number' && typeof resolved.argon2Iterations === 'number') {
    const problem = argon2WorkProblem({ memory: resolved.argon2Memory, iterations: resolved.argon2Iterations, parallelism: 1 });
    if (problem) problems.push(`auth.argon2_memory, auth.argon2_iterations: ${problem}`);
  }
  if (typeof resolved.scryptCost === 'number' && typeof resolved.scryptBlockSize === 'number' && typeof resolved.scryptParallelism === 'number') {
    const problem = scryptWorkProblem({ cost: resolved.scryptCost, blockSize: resolved.scryptBlockSize, parallelism: resolved.scryptParallelism });
    if (problem) problems.push(`auth.scrypt_cost, auth.scrypt_block_size, auth.scrypt_parallelism: ${problem}`);
  }
  const base = typeof resolved.publicBaseUrl === 'string' ? resolved.publicBaseUrl.replace(/\/+$/, '') : undefined;
  if (input.issuer === undefined && base) resolved.issuer = base;
  const algorithm = (resolved.signing as ResolvedSigningOptions | undefined)?.algorithm;
  if (algorithm && algorithm !== 'HS256' && typeof resolved.issuer === 'string' && !isHttpUrl(resolved.issuer)) {
    problems.push(
      `${naming === 'yaml' ? 'auth.issuer' : 'issuer'}: "${resolved.issuer}" is not a URL, which ${algorithm} signing needs (other services fetch ` +
        '<issuer>/.well-known/openid-configuration and compare its issuer); set auth.issuer (https://auth.example.com) or auth.public_base_url, which it defaults to',
    );
  }
  const trusted = resolved.trustedIssuers as ResolvedTrustedIssuerOptions[] | undefined;
  if (trusted?.some((t) => t.issuer === resolved.issuer)) {
    problems.push('auth.trusted_issuers: must not list auth.issuer (our own tokens are verified with our own keys)');
  }
  resolved.mfa = validateMfa(resolved.mfa, naming, String(resolved.issuer ?? 'nestjs-fabric-auth'), problems);
  resolved.webauthn = validateWebAuthn(resolved.webauthn, naming, resolved.publicBaseUrl as string | undefined, (resolved.mfa as ResolvedMfaOptions | undefined)?.issuerLabel, problems);
  if (problems.length > 0) throw new FabricConfigError(problems);
  return resolved as ResolvedFabricAuthOptions;
}

/** Reads a section whose keys are snake_case in YAML and camelCase in the TypeScript options. */
function sectionInput<K extends string>(value: unknown, where: string, keys: Record<string, K>, naming: Naming, problems: string[]): Partial<Record<K, unknown>> | undefined {
  if (!isPlainObject(value)) return void problems.push(`${where}: must be a mapping`);
  const input: Partial<Record<K, unknown>> = {};
  for (const [key, raw] of Object.entries(value)) {
    const option = keys[key] ?? (naming === 'option' ? Object.values(keys).find((o) => o === key) : undefined);
    if (!option) problems.push(`${where}.${key}: unknown key`);
    else input[option] = raw;
  }
  return input;
}

const MFA_KEYS: Record<string, keyof MfaOptions> = { required_for: 'requiredFor', require_mfa: 'requireMfa', issuer_label: 'issuerLabel', step_up_seconds: 'stepUpSeconds' };

function validateMfa(value: unknown, naming: Naming, issuer: string, problems: string[]): ResolvedMfaOptions | undefined {
  const input = sectionInput(value ?? {}, 'auth.mfa', MFA_KEYS, naming, problems);
  if (!input) return undefined;
  const names = (key: string, raw: unknown, pattern: (v: string) => boolean, what: string): string[] => {
    if (raw === undefined) return [];
    if (!Array.isArray(raw) || raw.some((v) => typeof v !== 'string' || !pattern(v))) {
      problems.push(`auth.mfa.${key}: must be a list of ${what}`);
      return [];
    }
    return [...new Set(raw as string[])];
  };
  const requiredFor = names('required_for', input.requiredFor, (v) => PERMISSION_PATTERN.test(v) || ROLE_NAME_PATTERN.test(v), 'permission or role names');
  const requireMfa = names('require_mfa', input.requireMfa, (v) => PERMISSION_PATTERN.test(v), 'permission names');
  let issuerLabel = defaultIssuerLabel(issuer);
  if (input.issuerLabel !== undefined) {
    // The label goes into an otpauth URI before a colon: keep it printable and colon-free.
    if (typeof input.issuerLabel !== 'string' || !/^[^:\p{Cc}]{1,64}$/u.test(input.issuerLabel)) problems.push('auth.mfa.issuer_label: 1–64 printable characters, no colon');
    else issuerLabel = input.issuerLabel;
  }
  let stepUpSeconds = 900;
  if (input.stepUpSeconds !== undefined) {
    const raw = typeof input.stepUpSeconds === 'string' && /^\d{1,6}$/.test(input.stepUpSeconds) ? Number(input.stepUpSeconds) : input.stepUpSeconds;
    if (!Number.isInteger(raw) || (raw as number) < 60 || (raw as number) > 86_400) problems.push('auth.mfa.step_up_seconds: an integer from 60 to 86400');
    else stepUpSeconds = raw as number;
  }
  return { requiredFor, requireMfa, issuerLabel, stepUpSeconds };
}

function isHttpUrl(value: string): boolean {
  return URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol);
}

/**
 * A label derived from the issuer in a form its own validation accepts: a URL issuer gives its
 * host name (`https://auth.example.com` → `auth.example.com`), anything else loses its colons.
 */
function defaultIssuerLabel(issuer: string): string {
  const label = (isHttpUrl(issuer) ? new URL(issuer).hostname : issuer).replace(/[:\p{Cc}]/gu, '').slice(0, 64);
  return label.length > 0 ? label : 'nestjs-fabric-auth';
}

const WEBAUTHN_KEYS: Record<string, keyof WebAuthnOptions> = { rp_id: 'rpId', rp_name: 'rpName', origins: 'origins' };

/**
 * Explicit `rp_id`/`origins` are checked here and win; unset, they are derived when a ceremony
 * runs (`relyingPartyOf`: from `public_base_url`, else the listening port). Here only what is
 * known before listening: each origin on the RP ID (without `public_base_url` the origin's host is
 * `localhost` whatever the port).
 */
function validateWebAuthn(value: unknown, naming: Naming, publicBaseUrl: string | undefined, issuerLabel: string | undefined, problems: string[]): ResolvedWebAuthnOptions | undefined {
  const input = sectionInput(value ?? {}, 'auth.webauthn', WEBAUTHN_KEYS, naming, problems);
  if (!input) return undefined;
  const base = new URL(publicBaseUrl && URL.canParse(publicBaseUrl) ? publicBaseUrl : 'http://localhost');
  let rpId: string | undefined;
  if (input.rpId !== undefined) {
    if (!isRpId(input.rpId)) problems.push(`auth.webauthn.rp_id: ${RP_ID_RULE}`);
    else rpId = input.rpId;
  }
  let origins: string[] | undefined;
  if (input.origins !== undefined) {
    if (!Array.isArray(input.origins) || input.origins.length === 0 || !input.origins.every(isWebAuthnOrigin)) problems.push(`auth.webauthn.origins: ${ORIGINS_RULE}`);
    else origins = [...(input.origins as string[])];
  }
  if (rpId !== undefined || origins !== undefined) {
    const effectiveRpId = rpId ?? base.hostname;
    for (const origin of origins ?? [base.origin]) {
      const host = new URL(origin).hostname;
      const shown = origins || publicBaseUrl ? origin : 'http://localhost:<port> (the server’s own origin without auth.public_base_url)';
      if (host !== effectiveRpId && !host.endsWith(`.${effectiveRpId}`)) problems.push(`auth.webauthn.origins: ${shown} is not on rp_id ${effectiveRpId} (or a subdomain of it)`);
    }
  }
  let rpName = issuerLabel ?? 'nestjs-fabric-auth';
  if (input.rpName !== undefined) {
    if (typeof input.rpName !== 'string' || input.rpName.length === 0 || input.rpName.length > 64) problems.push('auth.webauthn.rp_name: 1–64 characters');
    else rpName = input.rpName;
  }
  return { ...(rpId !== undefined && { rpId }), rpName, ...(origins && { origins }) };
}

/** Turns the YAML view (`{auth: {secret_key}, server: {...}}`) into module options, reporting YAML paths. */
export function optionsFromYamlTree(tree: Record<string, unknown>): { options: FabricAuthOptions; problems: string[] } {
  const problems: string[] = [];
  const options: Record<string, unknown> = {};
  const bySection = new Map<string, Map<string, FieldSpec>>();
  for (const field of FIELDS) {
    const [section, key] = field.yaml.split('.') as [string, string];
    if (!bySection.has(section)) bySection.set(section, new Map());
    bySection.get(section)!.set(key, field);
  }
  for (const [section, body] of Object.entries(tree)) {
    const fields = bySection.get(section);
    // The file is the app's own: sections other than auth and server belong to it.
    if (!fields) continue;
    if (body === null || body === undefined) continue;
    if (!isPlainObject(body)) {
      problems.push(`${section}: must be a mapping`);
      continue;
    }
    for (const [key, value] of Object.entries(body)) {
      const field = fields.get(key);
      if (!field) problems.push(`${section}.${key}: unknown key`);
      else options[field.option] = value;
    }
  }
  return { options: options as unknown as FabricAuthOptions, problems };
}

/** The kind of a YAML key, used to coerce `FABRIC_…` environment strings. */
export function yamlKeyKind(path: string): FieldSpec['kind'] | undefined {
  return FABRIC_CONFIG_KEYS.get(path);
}

/**
 * Every key the YAML file accepts, nested ones included: `<name>` stands for a provider's
 * name, `[]` for each entry of a list (`auth.trusted_issuers[].issuer`). The README's
 * configuration table documents exactly these (test/package/readme.e2e-spec.ts).
 */
export function fabricConfigKeyPaths(): string[] {
  const nested: Record<string, string[]> = {
    'auth.providers': Object.keys(OIDC_FIELDS).map((key) => `.<name>.${key}`),
    'auth.trusted_issuers': Object.keys(TRUSTED_ISSUER_KEYS).map((key) => `[].${key}`),
    'auth.signing': Object.keys(SIGNING_KEYS).map((key) => `.${key}`),
    'auth.sso': ['.error_url'],
    'auth.mfa': Object.keys(MFA_KEYS).map((key) => `.${key}`),
    'auth.webauthn': Object.keys(WEBAUTHN_KEYS).map((key) => `.${key}`),
  };
  return FIELDS.flatMap((field) => nested[field.yaml]?.map((key) => field.yaml + key) ?? [field.yaml]);
}
