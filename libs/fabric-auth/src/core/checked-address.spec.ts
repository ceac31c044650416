import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBoundedText } from './bounded-body.js';
import { checkedAddress, pinnedFetch } from './checked-address.js';

describe('checkedAddress', () => {
  it('resolves a name and refuses one that reaches a private, loopback or link-local address unless allowed', async () => {
    await expect(checkedAddress('localhost', false)).rejects.toThrow('localhost resolves to a private, loopback or link-local address');
    await expect(checkedAddress('[::1]', false)).rejects.toThrow(/private/);
    await expect(checkedAddress('169.254.169.254', false)).rejects.toThrow(/private/);
    await expect(checkedAddress('localhost', true)).resolves.toMatchObject({ address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/) });
    await expect(checkedAddress('no-such-host.invalid', true)).rejects.toThrow('no-such-host.invalid does not resolve');
    await expect(checkedAddress('93.184.215.14', false)).resolves.toEqual({ address: '93.184.215.14', family: 4 });
  });
});

describe('pinnedFetch', () => {
  let server: Server;
  let port: number;
  const seen: Array<{ host: string | undefined; method: string | undefined; body: string }> = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({ host: request.headers.host, method: request.method, body });
        if (request.url === '/redirect') return void response.writeHead(302, { location: 'http://169.254.169.254/' }).end();
        if (request.url === '/slow') return void setTimeout(() => response.writeHead(200).end('late'), 2_000);
        response.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] }).end('{"ok":true}');
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('connects to the checked address whatever the name resolves to now (no rebinding), and answers a Response', async () => {
    // The name resolves nowhere: only the pinned address can have been reached.
    const response = await pinnedFetch(
      new URL(`http://rebound.invalid:${port}/doc`),
      { address: '127.0.0.1', family: 4 },
      { timeoutMs: 2_000, headers: { accept: 'application/json' } },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await readBoundedText(response, 1_000)).toBe('{"ok":true}');
    expect(seen.at(-1)).toEqual({ host: `rebound.invalid:${port}`, method: 'GET', body: '' });
  });

  it('sends a form body, follows no redirect, and gives up at its timeout', async () => {
    const posted = await pinnedFetch(
      new URL(`http://idp.invalid:${port}/token`),
      { address: '127.0.0.1', family: 4 },
      { method: 'POST', body: new URLSearchParams({ code: 'x y' }), timeoutMs: 2_000 },
    );
    expect(posted.status).toBe(200);
    await posted.body?.cancel();
    expect(seen.at(-1)).toMatchObject({ method: 'POST', body: 'code=x+y' });
    const redirect = await pinnedFetch(new URL(`http://idp.invalid:${port}/redirect`), { address: '127.0.0.1', family: 4 }, { timeoutMs: 2_000 });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('http://169.254.169.254/');
    await expect(pinnedFetch(new URL(`http://idp.invalid:${port}/slow`), { address: '127.0.0.1', family: 4 }, { timeoutMs: 300 })).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
