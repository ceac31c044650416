import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchTenantDocument, tenantUrlProblem } from './remote-document.js';

describe('tenantUrlProblem', () => {
  it('takes https, and http on a loopback host only where private networks are allowed', () => {
    expect(tenantUrlProblem('https://idp.example/metadata', false)).toBeUndefined();
    expect(tenantUrlProblem('http://idp.example/metadata', false)).toBe('must be an https URL');
    expect(tenantUrlProblem('http://127.0.0.1:8080/m', false)).toBe('must be an https URL');
    expect(tenantUrlProblem('http://127.0.0.1:8080/m', true)).toBeUndefined();
    expect(tenantUrlProblem('http://10.0.0.1/m', true)).toBe('must be an https URL (http only on localhost)');
    expect(tenantUrlProblem('https://user:pw@idp.example/', false)).toBe('must not carry credentials');
    expect(tenantUrlProblem('https://idp.example/#x', false)).toBe('must not have a fragment');
    expect(tenantUrlProblem('file:///etc/passwd', true)).toBe('must be an https URL (http only on localhost)');
    expect(tenantUrlProblem('not a url', false)).toBe('is not an absolute URL');
  });
});

describe('fetchTenantDocument', () => {
  let server: Server;
  let base: string;
  const limits = { timeoutMs: 1_000, maxBytes: 1_000, accept: 'application/json', allowPrivate: true };

  beforeAll(async () => {
    server = createServer((request, response) => {
      const path = request.url ?? '/';
      if (path === '/ok') return void response.writeHead(200).end('{"ok":true}');
      if (path === '/redirect') return void response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      if (path === '/big') return void response.writeHead(200).end('x'.repeat(5_000));
      if (path === '/slow') return void setTimeout(() => response.writeHead(200).end('late'), 3_000);
      response.writeHead(404).end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('reads a document within its limits', async () => {
    await expect(fetchTenantDocument(`${base}/ok`, limits)).resolves.toBe('{"ok":true}');
  });

  it('follows no redirect, says what the server answered, and stops at the size and time limits', async () => {
    await expect(fetchTenantDocument(`${base}/redirect`, limits)).rejects.toThrow('answered a redirect (302); give the final URL');
    await expect(fetchTenantDocument(`${base}/missing`, limits)).rejects.toThrow(/answered 404$/);
    await expect(fetchTenantDocument(`${base}/big`, limits)).rejects.toThrow('the document is larger than 1000 bytes');
    await expect(fetchTenantDocument(`${base}/slow`, limits)).rejects.toThrow('no answer within 1 s');
  });

  it('without private networks: loopback, private, link-local and IPv6 loopback hosts are refused before any request', async () => {
    const strict = { ...limits, allowPrivate: false };
    for (const url of [
      'https://127.0.0.1/x',
      'https://10.20.30.40/x',
      'https://172.16.0.1/x',
      'https://192.168.1.1/x',
      'https://169.254.169.254/x',
      'https://[::1]/x',
      'https://[fe80::1]/x',
      'https://localhost/x',
    ]) {
      await expect(fetchTenantDocument(url, strict), url).rejects.toThrow('resolves to a private, loopback or link-local address');
    }
    await expect(fetchTenantDocument(`${base}/ok`, strict)).rejects.toThrow('the URL must be an https URL');
  });
});
