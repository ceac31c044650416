import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { isPrivateAddress } from './private-address.js';

/** Where a request to a URL someone else chose goes: the one address that was checked. */
export interface CheckedAddress {
  address: string;
  family: number;
}

/**
 * The address to connect to for `hostname` (a webhook target, an IdP an organization admin
 * named): resolved now, every answer checked against the private-address rule unless private
 * networks are allowed, the first one returned. A request then connects to that address
 * (`pinnedLookup`, `pinnedFetch`), so a name that answers otherwise a moment later (DNS
 * rebinding) still reaches what was checked. Throws an Error saying what is wrong.
 */
export async function checkedAddress(hostname: string, allowPrivate: boolean): Promise<CheckedAddress> {
  const host = hostname.replace(/^\[|\]$/g, '');
  const answers = isIP(host)
    ? [{ address: host, family: isIP(host) }]
    : await lookup(host, { all: true, verbatim: true }).catch((): Array<{ address: string; family: number }> => []);
  if (answers.length === 0) throw new Error(`${hostname} does not resolve`);
  if (!allowPrivate && answers.some((a) => isPrivateAddress(a.address))) throw new Error(`${hostname} resolves to a private, loopback or link-local address`);
  return answers[0];
}

/** A `lookup` for node's http(s) requests that answers the checked address, whatever the name resolves to now. */
export function pinnedLookup(target: CheckedAddress): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) =>
    options.all ? callback(null, [target]) : callback(null, target.address, target.family)) as unknown as LookupFunction;
}

export interface PinnedRequest {
  method?: string;
  headers?: ConstructorParameters<typeof Headers>[0];
  body?: string | URLSearchParams | Uint8Array | null;
  timeoutMs: number;
  signal?: AbortSignal | null;
}

/**
 * A fetch of `url` connecting to `target` only (TLS still checks the certificate for the URL's
 * host name); no redirect followed (a 3xx is answered as it is), no connection reuse. The
 * answer is a `Response` whose body is read by the caller (`readBoundedText`).
 */
export function pinnedFetch(url: URL, target: CheckedAddress, init: PinnedRequest): Promise<Response> {
  const body =
    init.body === undefined || init.body === null
      ? undefined
      : typeof init.body === 'string'
        ? init.body
        : init.body instanceof URLSearchParams
          ? init.body.toString()
          : Buffer.from(init.body);
  const given = new Headers(init.headers ?? {});
  // Node's http does not decode: the answer is asked for as it is, so its body is its text.
  given.delete('accept-encoding');
  const headers = Object.fromEntries(given);
  const signal = init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(init.timeoutMs)]) : AbortSignal.timeout(init.timeoutMs);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<Response>((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: init.method ?? 'GET',
        agent: false,
        lookup: pinnedLookup(target),
        headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
        signal,
      },
      (answer) => {
        const received = new Headers();
        for (const [name, value] of Object.entries(answer.headers)) {
          for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) received.append(name, v);
        }
        const status = answer.statusCode ?? 502;
        const empty = status === 204 || status === 205 || status === 304 || init.method === 'HEAD';
        if (empty) answer.resume();
        resolve(new Response(empty ? null : (Readable.toWeb(answer) as ReadableStream<Uint8Array>), { status, headers: received }));
      },
    );
    // An abort's reason (a TimeoutError for the timeout) says more than the socket's error.
    request.on('error', (error) => reject(signal.aborted ? (signal.reason as Error) : error));
    request.end(body);
  });
}
