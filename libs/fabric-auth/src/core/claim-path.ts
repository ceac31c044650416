/**
 * Where a claim sits in a token. Written either as a string, dots for nesting
 * (`realm_access.roles`), or as a list of segments taken literally
 * (`[resource_access, my.client, roles]`, `["https://example.com/roles"]`). A string that
 * is an absolute URL (`https://example.com/roles`, the namespaced claims of Auth0 and Okta)
 * names one claim: a URL is never a path of nested objects.
 */
export type ClaimPath = string | string[];

const MAX_DEPTH = 8;
const MAX_SEGMENT = 256;
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);
/** Claims that are never objects (RFC 7519 §4.1, OIDC Core §5.1, §2): a path through one can never match. */
const SCALAR_CLAIMS = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'azp',
  'nonce',
  'at_hash',
  'c_hash',
  'auth_time',
  'sid',
  'acr',
  'name',
  'given_name',
  'family_name',
  'middle_name',
  'nickname',
  'preferred_username',
  'email',
  'email_verified',
  'phone_number',
  'phone_number_verified',
  'locale',
  'zoneinfo',
  'picture',
  'website',
  'profile',
  'updated_at',
  'scope',
  'client_id',
]);

/** The path's segments, or why it can never match a claim. */
export function parseClaimPath(raw: unknown): string[] | { problem: string } {
  let segments: unknown[];
  if (typeof raw === 'string') segments = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? [raw] : raw.split('.');
  else if (Array.isArray(raw)) segments = raw;
  else return { problem: 'must be a claim name (dots for nesting) or a list of segments' };
  if (segments.length === 0 || segments.length > MAX_DEPTH) return { problem: `must have 1 to ${MAX_DEPTH} segments` };
  for (const segment of segments) {
    if (typeof segment !== 'string' || segment.length === 0) return { problem: 'has an empty segment' };
    if (segment.length > MAX_SEGMENT || /[\u0000-\u001f\u007f]/.test(segment)) return { problem: `segment "${segment.slice(0, 40)}" is not a claim name` };
    if (FORBIDDEN_SEGMENTS.has(segment)) return { problem: `segment "${segment}" can never match a claim` };
  }
  if (segments.length > 1 && SCALAR_CLAIMS.has(segments[0] as string)) {
    return { problem: `"${segments[0] as string}" is never an object, so a path into it can never match` };
  }
  return segments as string[];
}

/** The value at `path`, own properties only. */
export function claimAt(claims: unknown, path: readonly string[]): unknown {
  let node: unknown = claims;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/**
 * True when the issuer left the claim out and said where else to read it: a distributed
 * claim (OIDC Core §5.6.2), which is how Entra ID answers for a user in more than 200 groups
 * (`_claim_names.groups`), or Entra's implicit-flow `hasgroups: true`.
 */
export function claimMovedElsewhere(claims: Record<string, unknown>, path: readonly string[]): boolean {
  const top = path[0];
  if (Object.hasOwn(claims, top)) return false;
  const names = claims._claim_names;
  if (typeof names === 'object' && names !== null && Object.hasOwn(names, top)) return true;
  return top === 'groups' && (claims.hasgroups === true || claims.hasgroups === 'true');
}

/** A claim's values as strings: a list, or one string (split on spaces when `spaceSeparated`, as `scope`). */
export function claimValues(value: unknown, spaceSeparated: boolean): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') return spaceSeparated ? value.split(' ').filter(Boolean) : [value];
  return [];
}
