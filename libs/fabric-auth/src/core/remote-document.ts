import { BodyTooLargeError, readBoundedText } from './bounded-body.js';
import { type CheckedAddress, checkedAddress, pinnedFetch, type PinnedRequest } from './checked-address.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Why a URL a tenant gave is refused, or undefined: https (http only on a loopback host, where private networks are allowed), no credentials, no fragment. */
export function tenantUrlProblem(raw: string, allowPrivate: boolean): string | undefined {
  if (!URL.canParse(raw)) return 'is not an absolute URL';
  const url = new URL(raw);
  if (url.username || url.password) return 'must not carry credentials';
  if (url.hash) return 'must not have a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && allowPrivate && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return allowPrivate ? 'must be an https URL (http only on localhost)' : 'must be an https URL';
}

/**
 * A URL a tenant gave, once `tenantUrlProblem` passes, and where a request to it connects: its
 * host's checked address (`checkedAddress`), or none when private networks are allowed (nothing
 * to check: the request resolves the name itself). Throws an Error saying what is wrong.
 */
export async function checkedTenantUrl(raw: string, allowPrivate: boolean): Promise<{ url: URL; target: CheckedAddress | undefined }> {
  const problem = tenantUrlProblem(raw, allowPrivate);
  if (problem) throw new Error(`the URL ${problem}`);
  const url = new URL(raw);
  return { url, target: allowPrivate ? undefined : await checkedAddress(url.hostname, false) };
}

/**
 * A request to a URL a tenant gave, to the address that was checked (`checkedTenantUrl`): the
 * tenant's name cannot rebind between the check and the connection. No redirect is followed.
 */
export function fetchTenantUrl({ url, target }: { url: URL; target: CheckedAddress | undefined }, init: PinnedRequest): Promise<Response> {
  if (target) return pinnedFetch(url, target, init);
  const signal = init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(init.timeoutMs)]) : AbortSignal.timeout(init.timeoutMs);
  return fetch(url, { method: init.method, headers: init.headers, body: init.body, redirect: 'manual', signal });
}

/**
 * A fetch for the URLs a tenant's server names (an organization's IdP: its discovery names its
 * keys and endpoints): each request is checked by the tenant rules (`checkedTenantUrl`: https, no
 * private address unless allowed) and connects to the address that was checked, no redirect
 * followed, bounded in time. The body is the caller's to read, bounded.
 */
export function tenantFetch(allowPrivate: boolean): (raw: string, init: PinnedRequest) => Promise<Response> {
  return async (raw, init) => fetchTenantUrl(await checkedTenantUrl(raw, allowPrivate), init);
}

export interface RemoteDocumentLimits {
  timeoutMs: number;
  maxBytes: number;
  accept: string;
  /** Loopback and private addresses allowed (development, tests). */
  allowPrivate: boolean;
}

/**
 * GETs a document at a URL a tenant (an organization admin) gave: refused when it is not https
 * or its host resolves to a loopback, private or link-local address (unless allowed), no
 * redirect followed, bounded in time and size, connected to the address that was checked (a
 * name that rebinds meanwhile is not followed). Throws an Error whose message says what went
 * wrong, for the tenant to read.
 */
export async function fetchTenantDocument(raw: string, limits: RemoteDocumentLimits): Promise<string> {
  const checked = await checkedTenantUrl(raw, limits.allowPrivate);
  const { url } = checked;
  let response: Response;
  try {
    response = await fetchTenantUrl(checked, { timeoutMs: limits.timeoutMs, headers: { accept: limits.accept } });
  } catch (error) {
    const reason =
      (error as Error).name === 'TimeoutError' ? `no answer within ${limits.timeoutMs / 1000} s` : ((error as { cause?: Error }).cause?.message ?? (error as Error).message);
    throw new Error(`${url.host} could not be read: ${reason}`, { cause: error });
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    throw new Error(`${url.host} answered a redirect (${response.status}); give the final URL`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`${url.host} answered ${response.status}`);
  }
  try {
    return await readBoundedText(response, limits.maxBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw new Error(`the document is larger than ${limits.maxBytes} bytes`, { cause: error });
    throw new Error(`${url.host} could not be read: ${(error as Error).message}`, { cause: error });
  }
}
