import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { BodyTooLargeError, readBoundedText } from './bounded-body.js';
import { isPrivateAddress } from './private-address.js';

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
 * A URL a tenant gave, once `tenantUrlProblem` passes and its host resolves to public
 * addresses only (unless private networks are allowed). Throws an Error saying what is wrong.
 */
export async function checkedTenantUrl(raw: string, allowPrivate: boolean): Promise<URL> {
  const problem = tenantUrlProblem(raw, allowPrivate);
  if (problem) throw new Error(`the URL ${problem}`);
  const url = new URL(raw);
  if (allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host)
    ? [host]
    : await lookup(host, { all: true, verbatim: true }).then(
        (found) => found.map((a) => a.address),
        () => [],
      );
  if (addresses.length === 0) throw new Error(`${url.hostname} does not resolve`);
  if (addresses.some(isPrivateAddress)) throw new Error(`${url.hostname} resolves to a private, loopback or link-local address`);
  return url;
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
 * redirect followed, bounded in time and size. Throws an Error whose message says what went
 * wrong, for the tenant to read. (The address is checked before the request: a name whose
 * answer changes between the two is not caught here; the network's egress rules are the
 * backstop.)
 */
export async function fetchTenantDocument(raw: string, limits: RemoteDocumentLimits): Promise<string> {
  const url = await checkedTenantUrl(raw, limits.allowPrivate);
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(limits.timeoutMs), headers: { accept: limits.accept } });
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
