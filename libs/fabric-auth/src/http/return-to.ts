const FALLBACK = '/';
const PROBE_ORIGIN = 'http://return-to.invalid';
const MAX_LENGTH = 2048;
/** Backslashes (browsers read `/\host` as `//host`) and control characters (`/\t/host`). */
const FORBIDDEN = /[\\\u0000-\u001f\u007f]/;

function isLocalPath(value: string): boolean {
  return value.startsWith('/') && !value.startsWith('//') && !FORBIDDEN.test(value);
}

/**
 * The path to send the browser to after a login: a path on this origin, or `/`. Anything
 * that could leave the origin — a scheme, `//host`, `/\host`, control characters, and the
 * same once more percent-decoded (a layer a proxy or framework may peel off) — falls back.
 */
export function safeReturnPath(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_LENGTH || !isLocalPath(raw)) return FALLBACK;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return FALLBACK;
  }
  if (!isLocalPath(decoded)) return FALLBACK;
  const url = new URL(raw, PROBE_ORIGIN);
  if (url.origin !== PROBE_ORIGIN) return FALLBACK;
  // Serialised by the URL parser: dot segments resolved (`%2e` counts as a dot), anything
  // outside ASCII percent-encoded. Resolving `/.//host` or `/x/..//host` yields `//host`, so
  // what the browser will be sent is checked again, as is and decoded once.
  const normalized = `${url.pathname}${url.search}${url.hash}`;
  if (!isLocalPath(normalized)) return FALLBACK;
  try {
    if (!isLocalPath(decodeURIComponent(normalized))) return FALLBACK;
  } catch {
    return FALLBACK;
  }
  return normalized;
}
