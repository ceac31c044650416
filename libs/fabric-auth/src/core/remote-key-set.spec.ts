import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SystemClock } from './clock.js';
import { tenantFetch } from './remote-document.js';
import { type KeySetFetch, KeySetUnavailableError, RemoteKeySet } from './remote-key-set.js';

const JWKS = { keys: [{ kty: 'oct', kid: 'k1', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTAxMjM' }] };

function keySet(uri: string, fetch?: KeySetFetch): RemoteKeySet {
  return new RemoteKeySet({ uri, cooldownMs: 1_000, maxAgeMs: 60_000, timeoutMs: 2_000, clock: new SystemClock(), ...(fetch ? { fetch } : {}) });
}

describe('RemoteKeySet reading through a given fetch', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/jwks') return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(JWKS));
      if (request.url === '/moved') return void response.writeHead(302, { location: 'http://169.254.169.254/jwks' }).end();
      response.writeHead(404).end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  afterEach(() => vi.restoreAllMocks());

  it('asks the given fetch, never the global one', async () => {
    const global = vi.spyOn(globalThis, 'fetch');
    const asked: string[] = [];
    const set = keySet('https://idp.example/jwks', (uri, init) => {
      asked.push(`${uri} ${init.headers.accept}`);
      return Promise.resolve(new Response(JSON.stringify(JWKS), { status: 200 }));
    });
    expect((await set.current()).jwks).toEqual(JWKS);
    expect(asked).toEqual(['https://idp.example/jwks application/jwk-set+json, application/json']);
    expect(global).not.toHaveBeenCalled();
  });

  it('through tenantFetch without private networks: a key set at a loopback, private or link-local address, or over http, is refused before any request', async () => {
    const global = vi.spyOn(globalThis, 'fetch');
    for (const [uri, reason] of [
      ['https://127.0.0.1/jwks', /private, loopback or link-local/],
      ['https://localhost/jwks', /private, loopback or link-local/],
      ['https://169.254.169.254/latest/jwks', /private, loopback or link-local/],
      ['https://[::1]/jwks', /private, loopback or link-local/],
      [`${base}/jwks`, /must be an https URL/],
    ] as const) {
      const failed = await keySet(uri, tenantFetch(false))
        .current()
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failed, uri).toBeInstanceOf(KeySetUnavailableError);
      expect((failed as Error).message, uri).toMatch(reason);
    }
    expect(global).not.toHaveBeenCalled();
  });

  it('through tenantFetch with private networks allowed: read, bounded as ever, and a redirect is not followed', async () => {
    expect((await keySet(`${base}/jwks`, tenantFetch(true)).current()).jwks).toEqual(JWKS);
    await expect(keySet(`${base}/moved`, tenantFetch(true)).current()).rejects.toThrow(/HTTP 302/);
  });
});
