/** Rules shared by the options classes' fields; each returns the value to keep or a `Problem`. */

import { type FieldContext, isPlainObject, Problem } from './option-field.js';

type Check = (value: never) => string | undefined;

function problemOr<T>(value: T, check?: Check): T | Problem {
  const message = check?.(value as never);
  return message ? new Problem(message) : value;
}

export const PERMISSION_PATTERN = /^[a-z][a-z0-9_-]*:[a-z0-9_*-]+$/;
export const ROLE_NAME_PATTERN = /^[a-z][a-z0-9_.-]{0,63}$/;
export const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A non-empty string (or an empty one when it means something, as "no prefix"). */
export const text =
  (check?: (value: string) => string | undefined, { allowEmpty = false } = {}) =>
  (v: unknown) =>
    typeof v !== 'string' || (v.length === 0 && !allowEmpty) ? new Problem('must be a non-empty string') : problemOr(v, check as Check);

/** A top-level integer (environment text is typed by the loader first). */
export const int = (min: number, max: number) => (v: unknown) => {
  if (typeof v !== 'number' || !Number.isInteger(v)) return new Problem('must be an integer');
  return v < min || v > max ? new Problem(`must be between ${min} and ${max}`) : v;
};

/** An integer inside a section, one message for both faults (environment text is typed by the loader first). */
export const intInSection = (min: number, max: number) => (v: unknown) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : new Problem(`must be an integer between ${min} and ${max}`);

export const bool = (v: unknown) => (typeof v === 'boolean' ? v : new Problem('must be true or false'));

export const oneOf =
  <T extends string>(values: readonly T[], message: string) =>
  (v: unknown) =>
    values.includes(v as T) ? v : new Problem(message);

export const stringList = (check?: (value: string[]) => string | undefined) => (v: unknown) =>
  !Array.isArray(v) || v.some((s) => typeof s !== 'string') ? new Problem('must be a list of strings') : problemOr(v as string[], check as Check);

export function permissionListProblem(v: string[]): string | undefined {
  const bad = v.find((p) => !PERMISSION_PATTERN.test(p));
  return bad === undefined ? undefined : `"${bad}" is not a permission name (resource:action, lowercase)`;
}

/** An absolute https URL (http on a loopback host, for development), without query or fragment. */
export function urlProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || !URL.canParse(raw)) return 'must be an absolute URL';
  const url = new URL(raw);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    return url.search || url.hash ? 'must not have a query or fragment' : undefined;
  }
  return 'must be an https URL (http only on localhost)';
}

export const url = (v: unknown) => problemOr(v, urlProblem as Check);

export function isHttpUrl(value: string): boolean {
  return URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol);
}

export function roleNamesProblem(raw: unknown): string | undefined {
  if (!Array.isArray(raw) || raw.some((v) => typeof v !== 'string')) return 'must be a list of role names';
  const bad = raw.find((v) => !ROLE_NAME_PATTERN.test(v as string));
  return bad === undefined ? undefined : `"${bad}" is not a role name`;
}

/** Claim value → role names (single sign-on and trusted issuers). */
export const roleMapping = (raw: unknown) => {
  if (!isPlainObject(raw)) return new Problem('must be a mapping of claim value to role names');
  for (const [value, roles] of Object.entries(raw)) {
    const problem = roleNamesProblem(roles);
    if (problem) return new Problem(`${value}: ${problem}`);
  }
  return raw;
};

/** Role name → permissions (`auth.roles`); each problem names its role. */
export const roleMap = (value: unknown, { at, problems }: FieldContext) => {
  if (!isPlainObject(value)) return new Problem('must be a mapping of role name to permissions');
  for (const [role, perms] of Object.entries(value)) {
    if (!ROLE_NAME_PATTERN.test(role)) problems.push(`${at}.${role}: role names are lowercase letters, digits, . _ -`);
    if (!Array.isArray(perms) || perms.some((p) => typeof p !== 'string')) {
      problems.push(`${at}.${role}: must be a list of permission names`);
    } else {
      const bad = permissionListProblem(perms as string[]);
      if (bad) problems.push(`${at}.${role}: ${bad}`);
    }
  }
  return structuredClone(value);
};

/** A non-empty list of strings each matching `pattern`. */
export function nonEmptyListProblem(raw: unknown, pattern: RegExp): string | undefined {
  if (!Array.isArray(raw) || raw.length === 0) return 'must be a non-empty list';
  const bad = raw.find((v) => typeof v !== 'string' || !pattern.test(v));
  return bad === undefined ? undefined : `${JSON.stringify(bad)} is not allowed here`;
}

export const RP_ID_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
export const RP_ID_RULE = 'must be a lowercase host name (no scheme, no port)';
export const ORIGINS_RULE = 'must be a non-empty list of origins (https://host[:port]; http only on localhost)';

/** A WebAuthn relying-party id: a lowercase host name. */
export function isRpId(value: unknown): value is string {
  return typeof value === 'string' && RP_ID_PATTERN.test(value);
}

/** What browsers run WebAuthn on: https, or http on the machine itself. */
export function isWebAuthnOrigin(value: unknown): value is string {
  if (typeof value !== 'string' || !URL.canParse(value)) return false;
  const url = new URL(value);
  return url.origin === value && (url.protocol === 'https:' || LOOPBACK_HOSTS.has(url.hostname));
}
