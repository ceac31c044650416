/**
 * Every option of nestjs-fabric-auth, declared once: its doc comment, its default (the property's
 * initializer, or a `derive` when it follows from other options), its YAML key and its rule.
 * `resolveFabricAuthOptions` (resolve-options.ts) reads these classes through one walker.
 */

import type { JsonWebKey } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { type ClaimPath, parseClaimPath } from '../core/claim-path.js';
import { invalidProxyEntry } from '../core/client-ip.js';
import { isCommonPassword } from '../core/common-passwords.js';
import { ARGON2_LIMITS, SCRYPT_LIMITS } from '../core/password-hashes.js';
import { ASYMMETRIC_ALGORITHMS, type AsymmetricAlgorithm, keyProblem, privateKeyFrom, type SigningAlgorithm, thumbprintOf } from '../core/jws.js';
import { Field, type FieldContext, INVALID, isPlainObject, Problem, readSection } from './option-field.js';
import {
  bool,
  int,
  intInSection,
  isHttpUrl,
  isRpId,
  isWebAuthnOrigin,
  nonEmptyListProblem,
  oneOf,
  ORIGINS_RULE,
  PERMISSION_PATTERN,
  permissionListProblem,
  ROLE_NAME_PATTERN,
  roleMap,
  roleMapping,
  roleNamesProblem,
  RP_ID_RULE,
  stringList,
  text,
  url,
} from './option-rules.js';
import { tablePrefixProblem } from './table-prefix.js';
import { OrganizationsOptions, type ResolvedOrganizationsOptions } from './organizations.options.js';
import { type ResolvedSamlProviderOptions, samlConnectionProblems, SamlProviderOptions } from './saml-provider.options.js';
import { type ResolvedScimOptions, ScimOptions } from './scim.options.js';
import { ConsoleOptions, type ResolvedConsoleOptions } from './console.options.js';
import { type ResolvedWebhooksOptions, WebhooksOptions } from './webhooks.options.js';

const claimPath = (raw: unknown) => {
  const path = parseClaimPath(raw);
  return Array.isArray(path) ? structuredClone(raw) : new Problem(path.problem);
};

/** Reads a nested section through its class; `INVALID` when any of its values was refused. */
function section(type: new () => object, notAMapping = 'must be a mapping', refine?: (read: Record<string, unknown>, context: FieldContext) => void) {
  return (value: unknown, { at, naming, problems, root }: FieldContext) => {
    // A section's own shape is named by its YAML path in both namings, like the keys inside it.
    if (!isPlainObject(value)) {
      problems.push(`${at}: ${notAMapping}`);
      return INVALID;
    }
    const before = problems.length;
    const read = readSection(type, value, { where: at, naming, problems, root });
    refine?.(read, { at, naming, problems, root, siblings: read });
    return problems.length === before ? read : INVALID;
  };
}

export type { ResolvedSamlProviderOptions, SamlProviderOptions } from './saml-provider.options.js';

/** The SAML connections among `auth.providers`. */
export function samlProviders(options: Pick<FabricAuthOptions, 'providers'>): Record<string, ResolvedSamlProviderOptions> {
  return Object.fromEntries(Object.entries(options.providers ?? {}).filter((e): e is [string, ResolvedSamlProviderOptions] => e[1]?.type === 'saml'));
}

/** Name of the provider configured as `auth.providers.oidc`, served by `/auth/oidc/login`. */
export const DEFAULT_OIDC_PROVIDER = 'oidc';

/** What tokens and authenticator apps call this service when nothing else names it. */
const UNNAMED_SERVICE = 'nestjs-fabric-auth';

const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** @publicApi */
export class OidcProviderOptions {
  /** `oidc` (the default); `saml` makes the entry a SAML connection (`SamlProviderOptions`). */
  @Field('type', 'string', oneOf(['oidc'], 'must be "oidc" or "saml"'))
  type? = 'oidc' as const;

  /**
   * Issuer URL; discovery is read from `<issuer>/.well-known/openid-configuration` and its
   * `issuer` must equal this value. https, or http on a loopback host (development).
   */
  @Field('issuer', 'string', url, { required: true })
  issuer!: string;

  @Field('client_id', 'string', text(), { required: true })
  clientId!: string;

  /** Absent: a public client (PKCE only). */
  @Field('client_secret', 'string', text())
  clientSecret?: string;

  /** Absolute callback URL registered at the provider; it must reach this provider's callback route. */
  @Field('redirect_uri', 'string', url, { required: true })
  redirectUri!: string;

  /** Create unknown users on their first login. Default false. */
  @Field('jit_provisioning', 'bool', bool)
  jitProvisioning?: boolean = false;

  /** Scopes requested; must include `openid`. Default `openid email profile`. */
  @Field('scopes', 'list', (raw) => {
    if (!Array.isArray(raw) || raw.some((v) => typeof v !== 'string' || !SCOPE_PATTERN.test(v))) return new Problem('must be a list of scope names');
    return raw.includes('openid') ? raw : new Problem('must include openid');
  })
  scopes?: string[] = ['openid', 'email', 'profile'];

  /** Roles given to users created by JIT provisioning. Default none. */
  @Field('default_roles', 'list', (raw) => {
    const problem = roleNamesProblem(raw);
    return problem ? new Problem(problem) : raw;
  })
  defaultRoles?: string[] = [];

  /** Link an unknown identity to the local account with the same email when both sides verified it. Default false. */
  @Field('link_verified_email', 'bool', bool)
  linkVerifiedEmail?: boolean = false;

  /**
   * Claim (from the ID token or UserInfo) whose values `roleMapping` maps to roles: `groups`,
   * a dotted path (`realm_access.roles`), or a list of segments taken literally
   * (`['resource_access', 'my.client', 'roles']`, `['https://example.com/roles']`).
   */
  @Field('role_claim', 'string', claimPath)
  roleClaim?: ClaimPath;

  /** Claim value → role names, re-applied at every login. Default none. Needs `roleClaim`. */
  @Field('role_mapping', 'mapping', (raw, { at, problems, siblings }) => {
    const mapping = roleMapping(raw);
    if (!(mapping instanceof Problem) && Object.keys(mapping).length > 0 && siblings.roleClaim === undefined) {
      problems.push(`${at}: needs role_claim (the claim whose values it maps)`);
      return INVALID;
    }
    return mapping;
  })
  roleMapping?: Record<string, string[]> = {};

  /**
   * Absolute URL the provider sends the browser to after an RP-initiated logout; it must be
   * registered at the provider. Default none (the provider shows its own page).
   */
  @Field('post_logout_redirect_uri', 'string', url)
  postLogoutRedirectUri?: string;

  /**
   * What a second factor means for this provider's logins. `idp_amr` (default): the ID
   * token's `amr` counts (an IdP login with `mfa`, or two methods, is a second-factor
   * session); `local`: the IdP's `amr` is ignored and a user with a local factor completes
   * the login with it (the callback redirects with `#mfa_token=…` instead of a session).
   */
  @Field('mfa', 'string', oneOf(['idp_amr', 'local'], 'must be idp_amr or local'))
  mfa?: 'idp_amr' | 'local' = 'idp_amr';

  /**
   * Fewest seconds between two reads of the provider's JWKS caused by an ID token signed
   * with a key we do not hold (the provider rotated its keys). Default 30.
   */
  @Field('jwks_cooldown', 'int', intInSection(1, 3600))
  jwksCooldown?: number = 30;
}

export type ResolvedOidcProviderOptions = Required<Omit<OidcProviderOptions, 'clientSecret' | 'roleClaim' | 'postLogoutRedirectUri'>> &
  Pick<OidcProviderOptions, 'clientSecret' | 'roleClaim' | 'postLogoutRedirectUri'>;

const PROVIDER_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

const providers = (value: unknown, context: FieldContext) => {
  const { at, problems } = context;
  if (!isPlainObject(value)) {
    problems.push(`${at}: must be a mapping of provider name to settings`);
    return INVALID;
  }
  const result: Record<string, unknown> = {};
  for (const [name, provider] of Object.entries(value)) {
    if (!PROVIDER_NAME_PATTERN.test(name)) {
      problems.push(`${at}.${name}: provider names are lowercase letters, digits, _ and - (at most 32)`);
      continue;
    }
    const where = `${at}.${name}`;
    const saml = isPlainObject(provider) && provider.type === 'saml';
    if (saml && name === DEFAULT_OIDC_PROVIDER) {
      problems.push(`${where}: names the default OpenID provider; give the SAML connection another name`);
      continue;
    }
    const read = section(saml ? SamlProviderOptions : OidcProviderOptions)(provider, { ...context, at: where });
    if (read === INVALID) continue;
    const more = saml ? samlConnectionProblems(read, where) : [];
    problems.push(...more);
    if (more.length === 0) result[name] = read;
  }
  return result;
};

/** How single sign-on meets people (`auth.sso`). */
export class SsoOptions {
  /**
   * Where a failed SSO login sends the browser, with `?error=<code>` added: a path on this
   * site or an absolute http(s) URL. Default: the small page the module serves at
   * `<prefix>/auth/oidc/error`.
   */
  @Field('error_url', 'string', (raw) => {
    const problem = errorUrlProblem(raw);
    return problem ? new Problem(problem) : raw;
  })
  errorUrl?: string;
}

/** A same-site path (`/…`, not `//…`) or an absolute http(s) URL, without a fragment. */
function errorUrlProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) return 'must be a path (/…) or an http(s) URL';
  if (/[\\\u0000-\u0020\u007f#]/.test(raw)) return 'must not contain spaces, backslashes, control characters or a fragment';
  if (raw.startsWith('/')) return raw.startsWith('//') ? 'must be a path (/…) or an http(s) URL' : undefined;
  if (!isHttpUrl(raw)) return 'must be a path (/…) or an http(s) URL';
  return undefined;
}

export interface SigningKeyOptions {
  /** Default: the key's RFC 7638 thumbprint. */
  kid?: string;
  /** PEM (PKCS#8, PKCS#1 or SEC1) or a private JWK (object or JSON text). */
  privateKey: string | JsonWebKey;
}

const KID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** The configured signing keys: each must suit the section's algorithm; a kid defaults to the key's thumbprint. */
const signingKeys = (value: unknown, { at: where, naming, problems, siblings }: FieldContext) => {
  if (!Array.isArray(value)) return new Problem('must be a list of {kid, private_key}');
  const algorithm = siblings.algorithm as SigningAlgorithm | undefined;
  if (algorithm === 'HS256' && value.length > 0) return new Problem('only for EdDSA, ES256 or RS256 (HS256 signs with secret_key)');
  const before = problems.length;
  const keys: Array<{ kid: string; privateKey: string | JsonWebKey }> = [];
  value.forEach((entry: unknown, index) => {
    const at = `${where}[${index}]`;
    if (!isPlainObject(entry)) return void problems.push(`${at}: must be a mapping with private_key`);
    for (const key of Object.keys(entry)) {
      if (!['kid', 'private_key', ...(naming === 'option' ? ['privateKey'] : [])].includes(key)) problems.push(`${at}.${key}: unknown key`);
    }
    const material = entry.private_key ?? entry.privateKey;
    if (typeof material !== 'string' && !isPlainObject(material)) return void problems.push(`${at}.private_key: is required (PEM or JWK)`);
    let problem: string | undefined;
    let kid: string | undefined;
    try {
      const key = privateKeyFrom(material);
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
    keys.push({ kid: kid!, privateKey: structuredClone<string | JsonWebKey>(material) });
  });
  return problems.length === before ? keys : INVALID;
};

export class SigningOptions {
  /** `HS256` (default: `secret_key` signs), or `EdDSA` (Ed25519), `ES256` (P-256), `RS256` (RSA ≥ 2048). */
  @Field('algorithm', 'string', oneOf(['HS256', ...ASYMMETRIC_ALGORITHMS], `must be one of HS256, ${ASYMMETRIC_ALGORITHMS.join(', ')}`))
  algorithm?: SigningAlgorithm = 'HS256';

  /** Seconds between re-reads of the database key set (how soon another instance's rotation is seen). Default 30. */
  @Field('refresh_interval', 'int', intInSection(1, 3600))
  refreshInterval?: number = 30;

  /**
   * Asymmetric keys from configuration: the first signs, every one verifies (rotate by
   * putting the new key first and removing the old one after `access_token_expire`).
   * Absent: keys are generated and kept in the database, and rotated with
   * `POST /signing-keys/rotate`.
   */
  @Field('keys', 'list', signingKeys)
  keys?: SigningKeyOptions[] = [];
}

export interface ResolvedSigningOptions {
  algorithm: SigningAlgorithm;
  keys: Array<{ kid: string; privateKey: string | JsonWebKey }>;
  refreshInterval: number;
}

export const TRUSTED_ISSUER_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type TrustedIssuerAlgorithm = (typeof TRUSTED_ISSUER_ALGORITHMS)[number];

const TOKEN_TYPE_PATTERN = /^[A-Za-z0-9!#$&^_.+-]{1,64}$/;
const NEVER_ACCESS_TOKEN_TYPES = ['id', 'id_token', 'id_token+jwt', 'refresh', 'logout+jwt'];
// Absent or wrong, these two get the same message: it says what to write.
const AUDIENCE_REQUIRED = 'is required (the aud your tokens carry, or a list of them)';
const ALGORITHMS_REQUIRED = `must be a non-empty list of ${TRUSTED_ISSUER_ALGORITHMS.join(', ')}`;

/** An external issuer (Keycloak, Entra ID, Auth0, another instance) whose JWT access tokens FabricGuard accepts. */
export class TrustedIssuerOptions {
  /** Exactly the tokens' `iss`; discovery is read from `<issuer>/.well-known/openid-configuration` unless `jwksUri` is given. */
  @Field('issuer', 'string', url, { required: true })
  issuer!: string;

  /** JWKS URL; default: the `jwks_uri` of the issuer's discovery document. */
  @Field('jwks_uri', 'string', url)
  jwksUri?: string;

  /** The `aud` this app's tokens must carry, or several (Entra ID: `api://…` and the client id); a token must carry one of them. */
  @Field(
    'audience',
    'list',
    (raw) => {
      const audiences = typeof raw === 'string' ? [raw] : raw;
      return Array.isArray(audiences) && audiences.length > 0 && audiences.every((a) => typeof a === 'string' && a.length > 0 && a.length <= 512)
        ? [...audiences]
        : new Problem(AUDIENCE_REQUIRED);
    },
    { required: AUDIENCE_REQUIRED },
  )
  audience!: string | string[];

  /** Signature algorithms accepted from this issuer (asymmetric only); a token's `alg` outside the list is refused. */
  @Field(
    'algorithms',
    'list',
    (raw) => (Array.isArray(raw) && raw.length > 0 && raw.every((a) => TRUSTED_ISSUER_ALGORITHMS.includes(a)) ? [...raw] : new Problem(ALGORITHMS_REQUIRED)),
    {
      required: ALGORITHMS_REQUIRED,
    },
  )
  algorithms!: TrustedIssuerAlgorithm[];

  /** Claim naming the subject (a claim path, see `rolesClaim`). Default `sub`. */
  @Field('subject_claim', 'string', claimPath)
  subjectClaim?: ClaimPath = 'sub';

  /**
   * Claim whose values `roleMapping` maps to local roles: a dotted path (`realm_access.roles`)
   * or a list of segments taken literally (`['resource_access', 'my.client', 'roles']`,
   * `['https://example.com/roles']`; an absolute URL string is one claim too).
   */
  @Field('roles_claim', 'string', claimPath)
  rolesClaim?: ClaimPath;

  /**
   * The token types this issuer's access tokens declare, in the JOSE header `typ` or a `typ`
   * claim: a token declaring any other type (`ID`, `Refresh`, `logout+jwt`, …) is refused.
   * `JWT` admits tokens that declare no type (Entra ID, Auth0), unless they carry an ID
   * token's `nonce`, `at_hash` or `c_hash`. Default `['at+jwt', 'Bearer', 'JWT']`.
   */
  @Field('token_types', 'list', (raw) => {
    const problem = nonEmptyListProblem(raw, TOKEN_TYPE_PATTERN);
    if (problem) return new Problem(problem);
    const types = raw as string[];
    return types.some((t) => NEVER_ACCESS_TOKEN_TYPES.includes(t.toLowerCase())) ? new Problem('ID, refresh and logout tokens are never access tokens') : [...types];
  })
  tokenTypes?: string[] = ['at+jwt', 'Bearer', 'JWT'];

  /** When set, the token's `azp` (or `client_id`) must be one of these clients. Default: any. */
  @Field('authorized_parties', 'list', (raw) => {
    const problem = nonEmptyListProblem(raw, /^[^\u0000-\u001f\u007f]{1,512}$/);
    return problem ? new Problem(problem) : raw;
  })
  authorizedParties?: string[];

  /**
   * `none` (default): an `external` principal whose permissions come from `roleMapping`;
   * `by_subject`: the local user linked to (issuer, subject) by single sign-on;
   * `by_verified_email`: the local user with the token's `email` when `email_verified` is true.
   */
  @Field('link', 'string', oneOf(['none', 'by_subject', 'by_verified_email'], 'must be none, by_subject or by_verified_email'))
  link?: 'none' | 'by_subject' | 'by_verified_email' = 'none';

  /** Claim value → local role names (their permissions become the principal's). Default none. Needs `rolesClaim`. */
  @Field('role_mapping', 'mapping', (raw, { at, problems, siblings }) => {
    const mapping = roleMapping(raw);
    if (!(mapping instanceof Problem) && Object.keys(mapping).length > 0 && siblings.rolesClaim === undefined) {
      problems.push(`${at}: needs roles_claim (the claim whose values it maps)`);
      return INVALID;
    }
    return mapping;
  })
  roleMapping?: Record<string, string[]> = {};

  /** Fewest seconds between two JWKS fetches caused by an unknown `kid` (and between retries after a failed fetch). Default 30. */
  @Field('jwks_cooldown', 'int', intInSection(1, 3600))
  jwksCooldown?: number = 30;
}

export type ResolvedTrustedIssuerOptions = Required<Omit<TrustedIssuerOptions, 'jwksUri' | 'rolesClaim' | 'authorizedParties' | 'audience'>> &
  Pick<TrustedIssuerOptions, 'jwksUri' | 'rolesClaim' | 'authorizedParties'> & { audience: string[] };

const trustedIssuers = (value: unknown, context: FieldContext) => {
  const { at: where, problems } = context;
  if (!Array.isArray(value)) {
    problems.push(`${where}: must be a list of {issuer, audience, algorithms, …}`);
    return INVALID;
  }
  const before = problems.length;
  const resolved: Array<Record<string, unknown>> = [];
  value.forEach((entry: unknown, index) => {
    const at = `${where}[${index}]`;
    const read = section(TrustedIssuerOptions)(entry, { ...context, at });
    if (read === INVALID) return;
    if (resolved.some((r) => r.issuer === read.issuer)) problems.push(`${at}.issuer: "${read.issuer as string}" is listed twice`);
    else resolved.push(read);
  });
  return problems.length === before ? resolved : INVALID;
};

/**
 * A label derived from the issuer in a form its own validation accepts: a URL issuer gives its
 * host name (`https://auth.example.com` → `auth.example.com`), anything else loses its colons.
 */
function issuerLabelOf(issuer: string): string | undefined {
  const label = (isHttpUrl(issuer) ? new URL(issuer).hostname : issuer).replace(/[:\p{Cc}]/gu, '').slice(0, 64);
  return label.length > 0 ? label : undefined;
}

const names = (pattern: (v: string) => boolean, what: string) => (raw: unknown) =>
  Array.isArray(raw) && raw.every((v) => typeof v === 'string' && pattern(v)) ? [...new Set(raw as string[])] : new Problem(`must be a list of ${what}`);

export class MfaOptions {
  /**
   * Permission or role names whose holders must have a second factor: without one, a
   * password login opens a session limited to enrolling one (`mfa_enrollment_required`).
   * `system_admin` names the system admin. Default none.
   */
  @Field('required_for', 'list', names((v) => PERMISSION_PATTERN.test(v) || ROLE_NAME_PATTERN.test(v), 'permission or role names'))
  requiredFor?: string[] = [];

  /** Permissions whose routes also demand a session that used a second factor (as `@RequireMfa()`). Default none. */
  @Field('require_mfa', 'list', names((v) => PERMISSION_PATTERN.test(v), 'permission names'))
  requireMfa?: string[] = [];

  /** Issuer shown by authenticator apps (`otpauth://totp/<label>:<user>`). Default: `auth.issuer` (a URL issuer's host). */
  // The label goes into an otpauth URI before a colon: keep it printable and colon-free.
  @Field('issuer_label', 'string', (raw) => (typeof raw === 'string' && /^[^:\p{Cc}]{1,64}$/u.test(raw) ? raw : new Problem('1–64 printable characters, no colon')), {
    derive: ({ root }) => (typeof root.issuer === 'string' ? issuerLabelOf(root.issuer) : undefined),
  })
  issuerLabel?: string = UNNAMED_SERVICE;

  /**
   * Seconds after a login that used a second factor during which its session counts as
   * stepped up: removing or resetting factors (one's own or, as an admin, another user's)
   * needs such a session. 60–86400. Default 900.
   */
  @Field('step_up_seconds', 'int', intInSection(60, 86_400))
  stepUpSeconds?: number = 900;
}

export interface ResolvedMfaOptions {
  requiredFor: string[];
  requireMfa: string[];
  issuerLabel: string;
  stepUpSeconds: number;
}

/**
 * Explicit `rp_id`/`origins` win and are checked here; unset, they are derived when a ceremony
 * runs (`relyingPartyOf`: from `public_base_url`, else the listening port). Here only what is
 * known before listening: each origin on the RP ID (without `public_base_url` the origin's host is
 * `localhost` whatever the port).
 */
function originsOnRpId(read: Record<string, unknown>, { at, root, problems }: FieldContext): void {
  const rpId = read.rpId as string | undefined;
  const origins = read.origins as string[] | undefined;
  if (rpId === undefined && origins === undefined) return;
  const publicBaseUrl = root.publicBaseUrl as string | undefined;
  const base = new URL(publicBaseUrl && URL.canParse(publicBaseUrl) ? publicBaseUrl : 'http://localhost');
  const effectiveRpId = rpId ?? base.hostname;
  for (const origin of origins ?? [base.origin]) {
    const host = new URL(origin).hostname;
    const shown = origins || publicBaseUrl ? origin : 'http://localhost:<port> (the server’s own origin without auth.public_base_url)';
    if (host !== effectiveRpId && !host.endsWith(`.${effectiveRpId}`)) problems.push(`${at}.origins: ${shown} is not on rp_id ${effectiveRpId} (or a subdomain of it)`);
  }
}

export class WebAuthnOptions {
  /** Relying-party id: the site's registrable domain (`example.com`). Default: the host of `public_base_url`, else `localhost`. */
  @Field('rp_id', 'string', (raw) => (isRpId(raw) ? raw : new Problem(RP_ID_RULE)))
  rpId?: string;

  /**
   * Origins a ceremony may come from (`https://app.example.com`), each on `rpId` or a subdomain of
   * it. Default: the origin of `public_base_url`, else `http://localhost:<the port the server listens on>`.
   */
  @Field('origins', 'list', (raw) => (Array.isArray(raw) && raw.length > 0 && raw.every(isWebAuthnOrigin) ? [...raw] : new Problem(ORIGINS_RULE)))
  origins?: string[];

  /** Name browsers show when registering. Default `auth.mfa.issuer_label`. */
  @Field('rp_name', 'string', (raw) => (typeof raw === 'string' && raw.length > 0 && raw.length <= 64 ? raw : new Problem('1–64 characters')), {
    derive: ({ root }) => (root.mfa as ResolvedMfaOptions | undefined)?.issuerLabel,
  })
  rpName?: string;
}

export interface ResolvedWebAuthnOptions {
  /** Absent unless set: derived from `public_base_url` or the listening port (`relyingPartyOf`). */
  rpId?: string;
  rpName: string;
  /** Absent unless set: derived from `public_base_url` or the listening port (`relyingPartyOf`). */
  origins?: string[];
}

/** Values people paste from samples: refused whatever their length. */
const KNOWN_WEAK_SECRETS = new Set(['32-char-minimum', 'changeme', 'secret', 'your-secret-key']);
const USERNAME_PATTERN = /^[a-z0-9][a-z0-9_.@-]{0,149}$/;

/** Password hashes at once: the cores, leaving libuv's pool (`UV_THREADPOOL_SIZE`, 4 unless set) one thread for file and DNS work. */
function defaultHashConcurrency(): number {
  return Math.max(1, Math.min(availableParallelism(), (Number(process.env.UV_THREADPOOL_SIZE) || 4) - 1));
}

/**
 * The module's options (`FabricAuthModule.forRoot(options)`), and in YAML the `auth` and `server`
 * sections (`auth.secret_key` is `secretKey`).
 *
 * @publicApi
 */
export class FabricAuthOptions {
  /** Signs access tokens (HS256) and derives the refresh-token and CSRF keys. At least 32 characters. */
  @Field(
    'auth.secret_key',
    'string',
    text((s) => {
      if (s.length < 32) return 'must be at least 32 characters';
      if (KNOWN_WEAK_SECRETS.has(s.toLowerCase()) || new Set(s).size < 10) return 'is too predictable; use 32+ random characters (e.g. `openssl rand -base64 48`)';
      return undefined;
    }),
    { required: true },
  )
  secretKey!: string;

  /** Password of the system admin created at startup when it does not exist yet; required unless `seedSystemAdmin` is false. */
  @Field(
    'auth.system_admin_password',
    'string',
    text((s) => {
      if (s.length < 8) return 'must be at least 8 characters';
      return isCommonPassword(s) ? 'is a commonly used password; choose another' : undefined;
    }),
    // Only the seeding of the system admin uses it.
    { required: (input) => input.seedSystemAdmin !== false },
  )
  systemAdminPassword?: string;

  /** Default `admin`. */
  @Field('auth.system_admin_username', 'string', text((s) => (USERNAME_PATTERN.test(s) ? undefined : 'must be lowercase letters, digits, and . _ @ - (at most 150)')))
  systemAdminUsername?: string = 'admin';

  /** Default none. */
  @Field('auth.system_admin_email', 'string', text())
  systemAdminEmail?: string;

  /** Seconds an access token lives. Default 900. */
  @Field('auth.access_token_expire', 'int', int(30, 86_400))
  accessTokenExpire?: number = 900;

  /** Seconds a refresh token lives after its last use. Default 86400. */
  @Field('auth.refresh_token_expire', 'int', int(60, 31_536_000))
  refreshTokenExpire?: number = 86_400;

  /** Seconds a session lives at most, however often it is refreshed. Default 2592000 (30 days). */
  @Field('auth.session_max_age', 'int', int(60, 31_536_000))
  sessionMaxAge?: number = 2_592_000;

  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. Default 10, at most 60. */
  @Field('auth.clock_skew', 'int', int(0, 60))
  clockSkew?: number = 10;

  /**
   * Public base URL of the app: links sent for activation and reset, the issuer metadata's URLs,
   * the default `issuer`. Never taken from the request. Default: `http://localhost:<the port the
   * server listens on>` (development).
   */
  // No default here: unset, URLs are built from the port the server listens on (PublicBaseUrl).
  @Field('auth.public_base_url', 'string', text((s) => (/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(s) ? undefined : 'must be an http(s) URL without query or fragment')))
  publicBaseUrl?: string;

  /**
   * `iss` of issued access tokens. Default: `publicBaseUrl` when it is set, else
   * `nestjs-fabric-auth`. Must be an http(s) URL with asymmetric signing (RFC 8414 §2: other
   * services compare it with the URL they fetched the metadata from).
   */
  @Field('auth.issuer', 'string', text(), { derive: ({ root }) => (root.publicBaseUrl as string | undefined)?.replace(/\/+$/, '') || undefined })
  issuer?: string = UNNAMED_SERVICE;

  /** `aud` of issued access tokens. Default `nestjs-fabric-auth`. */
  @Field('auth.audience', 'string', text())
  audience?: string = UNNAMED_SERVICE;

  /**
   * Algorithm of new password hashes: `argon2id` (@node-rs/argon2, off the event loop),
   * `scrypt` (node:crypto, off the event loop) or `bcrypt` (pure JavaScript, for user tables
   * shared with systems that read only bcrypt). Hashes of another algorithm or setting still
   * verify and are re-hashed at the next login. Default `argon2id`.
   */
  @Field('auth.password_hash', 'string', text((s) => (s === 'argon2id' || s === 'scrypt' || s === 'bcrypt' ? undefined : 'must be argon2id, scrypt or bcrypt')))
  passwordHash?: 'argon2id' | 'scrypt' | 'bcrypt' = 'argon2id';

  /** argon2id's memory per hash in KiB (m), 7168–262144. Default 19456 (19 MiB; with the defaults below, OWASP's m=19 MiB, t=2, p=1). */
  @Field('auth.argon2_memory', 'int', int(...ARGON2_LIMITS.memory))
  argon2Memory?: number = 19_456;

  /** argon2id's passes over its memory (t), 1–10. Default 2. Memory × iterations must be at least 7168 × 5 (OWASP's minimum). */
  @Field('auth.argon2_iterations', 'int', int(...ARGON2_LIMITS.iterations))
  argon2Iterations?: number = 2;

  /** argon2id's lanes (p), 1–16. Default 1. */
  @Field('auth.argon2_parallelism', 'int', int(...ARGON2_LIMITS.parallelism))
  argon2Parallelism?: number = 1;

  /** log2 of scrypt's N, 13–20. Default 13 (N = 8192; with the defaults below, OWASP's N=2^13, r=8, p=10). */
  @Field('auth.scrypt_cost', 'int', int(...SCRYPT_LIMITS.cost))
  scryptCost?: number = 13;

  /** scrypt's r (block size), 8–32. Default 8. */
  @Field('auth.scrypt_block_size', 'int', int(...SCRYPT_LIMITS.blockSize))
  scryptBlockSize?: number = 8;

  /** scrypt's p (parallelisation), 1–16. Default 10. 2^cost × r × p must be at least 2^13 × 8 × 10 (OWASP's minimum), 128 × 2^cost × r bytes at most 256 MiB. */
  @Field('auth.scrypt_parallelism', 'int', int(...SCRYPT_LIMITS.parallelism))
  scryptParallelism?: number = 10;

  /** bcrypt cost factor of new hashes when `passwordHash` is `bcrypt`, 10–15. Default 12. */
  @Field('auth.bcrypt_cost', 'int', int(10, 15))
  bcryptCost?: number = 12;

  /**
   * Password hashes run at once; the rest queue. Default: CPU cores, at most one less than
   * libuv's thread pool (`UV_THREADPOOL_SIZE`, 4 unless set), so file and DNS work keep a thread.
   */
  @Field('auth.password_hash_concurrency', 'int', int(1, 64))
  passwordHashConcurrency?: number = defaultHashConcurrency();

  /**
   * Password checks that may wait for a hashing slot (and, times four, checks of one account
   * from one address under way); past that a check is refused with 503 and `Retry-After`. Default 16.
   */
  @Field('auth.password_queue_depth', 'int', int(1, 10_000))
  passwordQueueDepth?: number = 16;

  /** Minimum password length in characters. Default 8. */
  @Field('auth.password_min_length', 'int', int(8, 64))
  passwordMinLength?: number = 8;

  /** Refuse the built-in list of common passwords. Default true. */
  @Field('auth.refuse_common_passwords', 'bool', bool)
  refuseCommonPasswords?: boolean = true;

  /** Extra passwords the policy refuses (compared case-insensitively), e.g. your product's name. */
  @Field('auth.refused_passwords', 'list', stringList())
  refusedPasswords?: string[] = [];

  /** Seconds a password-reset token lives. Default 3600, at most 3600. */
  @Field('auth.password_reset_expire', 'int', int(60, 3600))
  passwordResetExpire?: number = 3600;

  /** Seconds an activation token lives. Default 259200 (3 days). */
  @Field('auth.activation_expire', 'int', int(300, 2_592_000))
  activationExpire?: number = 259_200;

  /** Days an API key lives when its creator does not say. Default 90. */
  @Field('auth.api_key_default_days', 'int', int(1, 3650))
  apiKeyDefaultDays?: number = 90;

  /** Longest lifetime a creator may ask for, in days. Default 365. */
  @Field('auth.api_key_max_days', 'int', int(1, 3650))
  apiKeyMaxDays?: number = 365;

  /** Seconds the old secret of a rerolled key keeps working. Default 3600. */
  @Field('auth.api_key_reroll_grace', 'int', int(0, 604_800))
  apiKeyRerollGrace?: number = 3600;

  /** Roles created or updated at startup: name → permissions. */
  @Field('auth.roles', 'mapping', roleMap)
  roles?: Record<string, string[]> = {};

  /** The host application's own permissions (e.g. `reports:read`), added to the registry. */
  @Field('auth.permissions', 'list', stringList(permissionListProblem))
  permissions?: string[] = [];

  /** Create the system admin at startup when missing. Default true. */
  @Field('auth.seed_system_admin', 'bool', bool)
  seedSystemAdmin?: boolean = true;

  /** Seconds a resolved principal stays cached when no invalidation arrives. Default 60. */
  @Field('auth.principal_cache_ttl', 'int', int(0, 3600))
  principalCacheTtl?: number = 60;

  /** Seconds between runs of the pruning job (expired sessions and tokens, old revoked keys, old audit events). Default 3600; 0 turns it off. */
  @Field('auth.prune_interval', 'int', int(0, 604_800))
  pruneInterval?: number = 3600;

  /** Days a revoked or expired API key stays listed before pruning deletes it. Default 30. */
  @Field('auth.revoked_key_retention_days', 'int', int(0, 3650))
  revokedKeyRetentionDays?: number = 30;

  /** Days audit events are kept; older ones are pruned. Default 0: kept forever. */
  @Field('auth.audit_retention_days', 'int', int(0, 36_500))
  auditRetentionDays?: number = 0;

  /**
   * Single sign-on providers by name: `oidc` is the default one (`/auth/oidc/login`), any
   * other name needs `type: oidc` and is served under `/auth/oidc/<name>/login`, or
   * `type: saml` (a SAML 2.0 connection, `SamlProviderOptions`) under `/auth/saml/<name>/…`.
   */
  @Field('auth.providers', 'mapping', providers, { nested: { type: OidcProviderOptions, join: '.<name>.', variants: [SamlProviderOptions] } })
  providers?: Record<string, OidcProviderOptions | SamlProviderOptions> = {};

  /** How access tokens are signed. Default HS256 with `secret_key`. */
  @Field('auth.signing', 'mapping', section(SigningOptions, 'must be a mapping (algorithm, keys, refresh_interval)'), { nested: { type: SigningOptions, join: '.' } })
  signing?: SigningOptions = {};

  /** External issuers whose access tokens FabricGuard accepts (resource-server mode). Default none. */
  @Field('auth.trusted_issuers', 'list', trustedIssuers, { nested: { type: TrustedIssuerOptions, join: '[].' } })
  trustedIssuers?: TrustedIssuerOptions[] = [];

  /** Multi-factor policy (`auth.mfa`); its defaults follow `issuer`. */
  @Field('auth.mfa', 'mapping', section(MfaOptions), { nested: { type: MfaOptions, join: '.' } })
  mfa?: MfaOptions = {};

  /** Passkeys (`auth.webauthn`); its defaults follow `public_base_url` and `auth.mfa.issuer_label`. */
  @Field('auth.webauthn', 'mapping', section(WebAuthnOptions, 'must be a mapping', originsOnRpId), { nested: { type: WebAuthnOptions, join: '.' } })
  webauthn?: WebAuthnOptions = {};

  /** Encrypts private signing keys kept in the database (at least 32 characters). Default: derived from `secret_key`. */
  @Field('auth.encryption_key', 'string', text((s) => (s.length < 32 || new Set(s).size < 10 ? 'must be at least 32 random characters' : undefined)))
  encryptionKey?: string;

  /** Pages and links around single sign-on. */
  @Field('auth.sso', 'mapping', section(SsoOptions), { nested: { type: SsoOptions, join: '.' } })
  sso?: SsoOptions = {};

  /** Organizations (`auth.organizations`, SPEC §15): off by default; its role template may name `auth.permissions`. */
  @Field('auth.organizations', 'mapping', section(OrganizationsOptions), { nested: { type: OrganizationsOptions, join: '.' } })
  organizations?: OrganizationsOptions = {};

  /** SCIM 2.0 provisioning (`auth.scim`, SPEC §17): off by default. */
  @Field('auth.scim', 'mapping', section(ScimOptions), { nested: { type: ScimOptions, join: '.' } })
  scim?: ScimOptions = {};

  /** The admin console in the browser (`auth.console`, SPEC §19): off by default. */
  @Field('auth.console', 'mapping', section(ConsoleOptions), { nested: { type: ConsoleOptions, join: '.' } })
  console?: ConsoleOptions = {};

  /** Signed webhooks (`auth.webhooks`, SPEC §18): off by default. */
  @Field('auth.webhooks', 'mapping', section(WebhooksOptions), { nested: { type: WebhooksOptions, join: '.' } })
  webhooks?: WebhooksOptions = {};

  /**
   * Failed password checks of one account from one client address (or one device), within
   * `lockoutWindow`, that lock that pair. Default 5; 0 disables.
   */
  @Field('auth.lockout_threshold', 'int', int(0, 1000))
  lockoutThreshold?: number = 5;

  /**
   * Failed password checks of one account from all addresses, within `lockoutWindow`, after
   * which only clients presenting the account's device token may try its password. Default 100; 0 disables.
   */
  @Field('auth.lockout_account_threshold', 'int', int(0, 1_000_000))
  lockoutAccountThreshold?: number = 100;

  /** Seconds a device token (cookie `fabric_device`, or `device_token`) stays valid. Default 7776000 (90 days); 0 issues none. */
  @Field('auth.device_token_expire', 'int', int(0, 31_536_000))
  deviceTokenExpire?: number = 7_776_000;

  /** Seconds over which failures are counted. Default 900. */
  @Field('auth.lockout_window', 'int', int(10, 86_400))
  lockoutWindow?: number = 900;

  /** Seconds of the first lock; each further lock doubles it. Default 60. */
  @Field('auth.lockout_duration', 'int', int(1, 86_400))
  lockoutDuration?: number = 60;

  /** Longest lock, in seconds. Default 3600. */
  @Field('auth.lockout_max_duration', 'int', int(1, 604_800))
  lockoutMaxDuration?: number = 3600;

  /** `Secure` attribute on auth cookies. Default true; set false only for local HTTP development. */
  @Field('server.secure_cookies', 'bool', bool)
  secureCookies?: boolean = true;

  /** Rate limits on the guessable endpoints (429 + Retry-After). Default true. */
  @Field('server.rate_limits', 'bool', bool)
  rateLimits?: boolean = true;

  /** Proxies (IP or CIDR) whose `X-Forwarded-For` is believed. Default none. */
  @Field(
    'server.trusted_proxies',
    'list',
    stringList((v) => {
      const bad = v.find(invalidProxyEntry);
      return bad === undefined ? undefined : `"${bad}" is not an IP address or CIDR block`;
    }),
  )
  trustedProxies?: string[] = [];

  /** `redis://…`: share counters and broadcast revocations between instances. Default none (one process). */
  @Field('server.redis_url', 'string', text((s) => (/^rediss?:\/\/\S+$/.test(s) ? undefined : 'must be a redis:// or rediss:// URL')))
  redisUrl?: string;

  /** Prefix of every Redis key and channel. Default `fabric-auth:`. */
  @Field('server.redis_key_prefix', 'string', text())
  redisKeyPrefix?: string = 'fabric-auth:';

  /**
   * On PostgreSQL, the hot reads (lists, counts, a credential's grants) as named prepared
   * statements, parsed and planned once per pooled connection. Set false behind a pooler that
   * cannot keep them (PgBouncer in transaction mode before 1.21). Default true.
   */
  @Field('server.prepared_statements', 'bool', bool)
  preparedStatements?: boolean = true;

  /**
   * Prefix of the library's tables, indexes and constraints (`fabric_` → `fabric_users`), so it
   * fits beside an app's own `users` or `sessions`. Fixed when the module is declared: with
   * `forRootAsync`, pass it to `forRootAsync({ tablePrefix })` itself. Default none.
   */
  @Field('auth.table_prefix', 'string', text(tablePrefixProblem, { allowEmpty: true }))
  tablePrefix?: string = '';
}

/** @publicApi */
export type ResolvedFabricAuthOptions = Required<
  Omit<
    FabricAuthOptions,
    | 'systemAdminEmail'
    | 'systemAdminPassword'
    | 'providers'
    | 'signing'
    | 'encryptionKey'
    | 'trustedIssuers'
    | 'sso'
    | 'mfa'
    | 'webauthn'
    | 'publicBaseUrl'
    | 'organizations'
    | 'scim'
    | 'console'
    | 'webhooks'
  >
> &
  Pick<FabricAuthOptions, 'systemAdminEmail' | 'encryptionKey' | 'publicBaseUrl'> & {
    /** Present whenever `seedSystemAdmin` is true (required then). */
    systemAdminPassword?: string;
    providers: Record<string, ResolvedOidcProviderOptions | ResolvedSamlProviderOptions>;
    signing: ResolvedSigningOptions;
    trustedIssuers: ResolvedTrustedIssuerOptions[];
    sso: SsoOptions;
    mfa: ResolvedMfaOptions;
    webauthn: ResolvedWebAuthnOptions;
    organizations: ResolvedOrganizationsOptions;
    scim: ResolvedScimOptions;
    console: ResolvedConsoleOptions;
    webhooks: ResolvedWebhooksOptions;
  };

/** The material that encrypts what the library stores encrypted: `encryptionKey`, else (its default) `secretKey`. */
export function encryptionKeyOf(options: Pick<ResolvedFabricAuthOptions, 'encryptionKey' | 'secretKey'>): string {
  return options.encryptionKey ?? options.secretKey;
}
