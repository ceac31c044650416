/** Adapter-neutral access to the parts of a request/response we need (Express and Fastify). */
export interface HttpRequestLike {
  method?: string;
  headers: Record<string, string | string[] | undefined>;
  ip?: string;
  socket?: { remoteAddress?: string; destroyed?: boolean };
}

/**
 * Whether the client that sent the request still waits for the answer (its connection is
 * open). Express's request and Fastify's both expose the socket; a request built by app code
 * without one counts as connected.
 */
export function clientConnected(request: HttpRequestLike): boolean {
  return request.socket?.destroyed !== true;
}

export function headerValue(request: HttpRequestLike, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function clientIp(request: HttpRequestLike): string | null {
  return (request.ip ?? request.socket?.remoteAddress ?? null)?.slice(0, 64) ?? null;
}

export function userAgent(request: HttpRequestLike): string | null {
  return headerValue(request, 'user-agent')?.slice(0, 512) ?? null;
}

/**
 * Cookie header → map; malformed pairs are skipped, values percent-decoded when valid. A
 * name sent twice with different values (cookie tossing from a sibling domain) maps to
 * '' so that it counts as a present but invalid credential.
 */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name) continue;
    const value = cookieText(part.slice(eq + 1));
    const seen = cookies.get(name);
    cookies.set(name, seen === undefined || seen === value ? value : '');
  }
  return cookies;
}

/** One raw cookie value as `parseCookies` reads it: unquoted, then percent-decoded ('' when invalid). */
function cookieText(raw: string): string {
  let value = raw.trim();
  if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  // Only a '%' can change or break the value; tokens hold none, so they skip the decoder's scan.
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return '';
  }
}

/** Whitespace as `String.prototype.trim` sees it. */
function isTrimmedSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** `header.slice(start, end).trim() === name`, without making the slice of every other cookie's name. */
function isNameAt(header: string, start: number, end: number, name: string): boolean {
  while (start < end && isTrimmedSpace(header.charCodeAt(start))) start++;
  while (end > start && isTrimmedSpace(header.charCodeAt(end - 1))) end--;
  return end - start === name.length && header.startsWith(name, start);
}

/**
 * `parseCookies(header).get(name)` without building the map: the guard reads one cookie of
 * a header that also carries the refresh token and the CSRF token, on every request.
 */
export function cookieValue(request: HttpRequestLike, name: string): string | undefined {
  const header = headerValue(request, 'cookie');
  if (!header) return undefined;
  let found: string | undefined;
  // The next '=' is searched for once and kept until passed: a header of many pairs without one stays linear.
  let eq = -1;
  for (let start = 0; start < header.length;) {
    let end = header.indexOf(';', start);
    if (end < 0) end = header.length;
    if (eq < start) eq = header.indexOf('=', start);
    if (eq < 0) break;
    if (eq < end && eq - start >= name.length && isNameAt(header, start, eq, name)) {
      const value = cookieText(header.slice(eq + 1, end));
      found = found === undefined || found === value ? value : '';
    }
    start = end + 1;
  }
  return found;
}

interface ExpressLikeResponse {
  statusCode: number;
  getHeader(name: string): unknown;
  setHeader(name: string, value: string | string[]): unknown;
  end(): unknown;
}
interface FastifyLikeReply {
  getHeader(name: string): unknown;
  header(name: string, value: string | string[]): unknown;
  code(status: number): FastifyLikeReply;
  send(): unknown;
}

function isExpressLike(response: unknown): response is ExpressLikeResponse {
  return typeof (response as Partial<ExpressLikeResponse>).setHeader === 'function';
}

function isFastifyLike(response: unknown): response is FastifyLikeReply {
  return typeof (response as Partial<FastifyLikeReply>).header === 'function';
}

export function setResponseHeader(response: unknown, name: string, value: string): void {
  if (isExpressLike(response)) response.setHeader(name, value);
  else if (isFastifyLike(response)) response.header(name, value);
}

/** Adds cookies to the ones the response already sets (a second write never repeats the first). */
export function appendSetCookie(response: unknown, cookies: string[]): void {
  if (isExpressLike(response)) {
    const existing = response.getHeader('set-cookie');
    response.setHeader('Set-Cookie', [...(Array.isArray(existing) ? existing : existing ? [String(existing)] : []), ...cookies]);
  } else if (isFastifyLike(response)) {
    // Fastify's reply.header() appends to set-cookie rather than replacing it.
    response.header('set-cookie', cookies);
  } else {
    throw new TypeError('appendSetCookie: not an Express response or a Fastify reply');
  }
}

/** Ends the exchange with a 302 to `location`, without a body. */
export function sendRedirect(response: unknown, location: string): void {
  if (isExpressLike(response)) {
    response.statusCode = 302;
    response.setHeader('Location', location);
    response.setHeader('Content-Length', '0');
    response.end();
  } else if (isFastifyLike(response)) {
    response.code(302).header('location', location);
    response.send();
  } else {
    throw new TypeError('sendRedirect: not an Express response or a Fastify reply');
  }
}

export interface CookieAttributes {
  maxAgeSeconds: number;
  httpOnly: boolean;
  secure: boolean;
  /** `Lax` by default; `None` (with `secure` only: browsers drop it otherwise) for a cookie a cross-site POST must carry (SAML's ACS). */
  sameSite?: 'Lax' | 'None';
}

export function serializeCookie(name: string, value: string, attrs: CookieAttributes): string {
  const sameSite = attrs.sameSite === 'None' && attrs.secure ? 'None' : 'Lax';
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', `Max-Age=${attrs.maxAgeSeconds}`, `SameSite=${sameSite}`];
  if (attrs.maxAgeSeconds === 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (attrs.httpOnly) parts.push('HttpOnly');
  if (attrs.secure) parts.push('Secure');
  return parts.join('; ');
}

/**
 * A cookie-carried request is cross-site when the browser says so (Fetch Metadata) or
 * when its Origin names another host than the one it was sent to.
 */
export function isCrossSiteRequest(request: HttpRequestLike): boolean {
  if (headerValue(request, 'sec-fetch-site') === 'cross-site') return true;
  const origin = headerValue(request, 'origin');
  if (!origin || origin === 'null') return origin === 'null';
  const host = headerValue(request, 'host');
  try {
    return new URL(origin).host !== host;
  } catch {
    return true;
  }
}
