/**
 * The one place where every option of nestjs-fabric-auth is declared: its YAML key,
 * its TypeScript name, its type, its unit, its default and its bounds. The YAML
 * loader and `FabricAuthModule` both validate through `resolveFabricAuthOptions`.
 */

import { availableParallelism } from 'node:os';
import { invalidProxyEntry } from './limits/client-ip.js';
import { isCommonPassword } from './passwords/common-passwords.js';
import { tablePrefixProblem } from './storage/table-prefix.js';

export interface OidcProviderOptions {
  /** `oidc`; required on named providers, optional on the default one (`providers.oidc`). */
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
  /** Claim (from the ID token or UserInfo) whose values `roleMapping` maps to roles, e.g. `groups`. */
  roleClaim?: string;
  /** Claim value → role names, re-applied at every login. Default none. */
  roleMapping?: Record<string, string[]>;
}

export type ResolvedOidcProviderOptions = Required<Omit<OidcProviderOptions, 'clientSecret' | 'roleClaim'>> &
  Pick<OidcProviderOptions, 'clientSecret' | 'roleClaim'>;

/** Name of the provider configured as `auth.providers.oidc`, served by `/auth/oidc/login`. */
export const DEFAULT_OIDC_PROVIDER = 'oidc';

export interface FabricAuthOptions {
  /** Signs access tokens (HS256) and derives the refresh-token and CSRF keys. At least 32 characters. */
  secretKey: string;
  /** Password of the system admin created at startup when it does not exist yet. */
  systemAdminPassword: string;
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
  /** `iss` of issued access tokens. Default `nestjs-fabric-auth`. */
  issuer?: string;
  /** `aud` of issued access tokens. Default `nestjs-fabric-auth`. */
  audience?: string;
  /** bcrypt cost factor, 10–15. Default 12. */
  bcryptCost?: number;
  /** bcrypt hashes run at once; the rest queue so the event loop keeps a core. Default: CPU cores − 1 (at least 1). */
  bcryptConcurrency?: number;
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
  /** Base URL of the links sent for activation and reset; never taken from the request. Default `http://localhost:3000`. */
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
  /** Failed password logins of one account, within `lockoutWindow`, that lock it. Default 5; 0 disables. */
  lockoutThreshold?: number;
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
}

export type ResolvedFabricAuthOptions = Required<Omit<FabricAuthOptions, 'systemAdminEmail' | 'providers'>> &
  Pick<FabricAuthOptions, 'systemAdminEmail'> & { providers: Record<string, ResolvedOidcProviderOptions> };

export class FabricConfigError extends Error {
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
  kind: 'string' | 'int' | 'bool' | 'stringList' | 'roleMap' | 'oidc';
  required?: boolean;
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
    required: true,
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
  { yaml: 'auth.bcrypt_cost', option: 'bcryptCost', kind: 'int', default: 12, check: intBetween(10, 15) },
  {
    yaml: 'auth.bcrypt_concurrency',
    option: 'bcryptConcurrency',
    kind: 'int',
    default: Math.max(1, availableParallelism() - 1),
    check: intBetween(1, 64),
  },
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
    default: 'http://localhost:3000',
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
  { yaml: 'auth.lockout_threshold', option: 'lockoutThreshold', kind: 'int', default: 5, check: intBetween(0, 1000) },
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

type OidcFieldKind = 'string' | 'bool' | 'url' | 'scopes' | 'roleNames' | 'roleMapping' | 'type';

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
  role_claim: { option: 'roleClaim', kind: 'string' },
  role_mapping: { option: 'roleMapping', kind: 'roleMapping', default: {} },
};

const PROVIDER_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function oidcValueProblem(kind: OidcFieldKind, raw: unknown): string | undefined {
  switch (kind) {
    case 'type':
      return raw === 'oidc' ? undefined : 'must be "oidc" (the only provider type)';
    case 'bool':
      return typeof raw === 'boolean' ? undefined : 'must be true or false';
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

function validateProvider(name: string, provider: unknown, where: string, naming: Naming, problems: string[]): ResolvedOidcProviderOptions | undefined {
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
    if (spec.required || (key === 'type' && name !== DEFAULT_OIDC_PROVIDER)) problems.push(`${where}.${key}: is required`);
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
    const resolved = validateProvider(name, provider, `${where}.${name}`, naming, problems);
    if (resolved) result[name] = resolved;
  }
  return result;
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
      if (field.required) problems.push(`${label(field, naming)}: is required`);
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
  if (problems.length > 0) throw new FabricConfigError(problems);
  return resolved as ResolvedFabricAuthOptions;
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
    if (!fields) {
      problems.push(`${section}: unknown section (expected ${[...bySection.keys()].join(', ')})`);
      continue;
    }
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
