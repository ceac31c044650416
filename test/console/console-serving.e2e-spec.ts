import { request as httpRequest } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request without a client that decodes bodies or joins headers: what reaches the browser, as sent. */
function raw(url: string, { method = 'GET', headers = {} }: { method?: string; headers?: Record<string, string> } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Every Content-Security-Policy header sent (Node joins repeated ones with ", "): a browser enforces each. */
const policies = (r: Raw) => String(r.headers['content-security-policy'] ?? '').split(/,\s*(?=[a-z-]+-src|default-src|frame-ancestors)/);

function assetsOf(html: string): { script: string; stylesheet: string } {
  const script = /<script type="module" src="([^"]+)"><\/script>/.exec(html)?.[1];
  const stylesheet = /<link rel="stylesheet" href="([^"]+)">/.exec(html)?.[1];
  expect(script).toBeDefined();
  expect(stylesheet).toBeDefined();
  return { script: script!, stylesheet: stylesheet! };
}

describe.each(DATABASES)('the admin console served on %s', (target) => {
  let t: TestApp;
  let off: TestApp;
  beforeAll(async () => {
    [t, off] = await Promise.all([startTestApp(target, { options: { console: { enabled: true } } }), startTestApp(target)]);
  });
  afterAll(async () => {
    await Promise.all([t?.close(), off?.close()]);
  });

  it('is off by default: nothing at /admin', async () => {
    const res = await raw(`${off.url}/admin`);
    expect(res.status).toBe(404);
    expect(res.body.toString()).not.toContain('<!doctype html>');
  });

  it('serves the page at /admin under a strict policy: nothing inline, nothing framed, revalidated every time', async () => {
    const res = await raw(`${t.url}/admin`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const [policy, ...others] = policies(res);
    expect(others).toEqual([]);
    expect(policy.split('; ')).toEqual(
      expect.arrayContaining(["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"]),
    );
    expect(policy).not.toContain('unsafe');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-cache');
    const html = res.body.toString();
    // No inline script or style for the policy to refuse: the script and the stylesheet are files.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(html).toContain(`data-api="${API}"`);
    const { script, stylesheet } = assetsOf(html);
    expect(script).toMatch(/^\/admin\/assets\/console-[A-Z0-9]{8}\.js$/);
    expect(stylesheet).toMatch(/^\/admin\/assets\/console-[A-Z0-9]{8}\.css$/);
  });

  it('answers the page for a screen’s address (a reload of /admin/users/alice), and HEAD without a body', async () => {
    const page = await raw(`${t.url}/admin`);
    const deep = await raw(`${t.url}/admin/users/alice?x=1`);
    expect(deep.status).toBe(200);
    expect(deep.body.equals(page.body)).toBe(true);
    const head = await raw(`${t.url}/admin/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe(String(page.body.length));
  });

  it('serves the hashed assets for a year, brotli or gzip as the browser accepts, the same bytes decoded', async () => {
    const { script, stylesheet } = assetsOf((await raw(`${t.url}/admin`)).body.toString());
    for (const [asset, type] of [
      [script, 'text/javascript; charset=utf-8'],
      [stylesheet, 'text/css; charset=utf-8'],
    ] as const) {
      const plain = await raw(t.url + asset);
      expect(plain.status).toBe(200);
      expect(plain.headers['content-type']).toBe(type);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(plain.headers.vary).toBe('Accept-Encoding');
      expect(plain.headers['x-content-type-options']).toBe('nosniff');
      const br = await raw(t.url + asset, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
      expect(br.headers['content-encoding']).toBe('br');
      expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
      expect(br.body.length).toBeLessThan(plain.body.length / 2);
      const gzip = await raw(t.url + asset, { headers: { 'accept-encoding': 'gzip, br;q=0' } });
      expect(gzip.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gzip.body).equals(plain.body)).toBe(true);
    }
    const page = await raw(`${t.url}/admin`, { headers: { 'accept-encoding': 'br' } });
    expect(page.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(page.body).toString()).toContain(script);
  });

  it('answers 304 to a revalidation of an unchanged page', async () => {
    const first = await raw(`${t.url}/admin`);
    const again = await raw(`${t.url}/admin`, { headers: { 'if-none-match': String(first.headers.etag) } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('an unknown asset is 404 (never the page), and other methods are not the console’s', async () => {
    const missing = await raw(`${t.url}/admin/assets/console-AAAAAAAA.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers['cache-control']).toBe('no-store');
    expect(missing.body.toString()).not.toContain('<!doctype html>');
    expect((await raw(`${t.url}/admin`, { method: 'POST' })).status).toBe(404);
    expect((await raw(`${t.url}/administrator`)).status).toBe(404);
  });

  it('leaves the API’s own headers alone', async () => {
    const res = await raw(`${t.url}${API}/auth/me`);
    expect(res.status).toBe(401);
    expect(res.headers['x-frame-options']).not.toBe(undefined);
    expect(String(res.headers['content-type'])).toContain('application/json');
  });
});

describe('auth.console options', () => {
  it('serves at the configured path, and only there', async () => {
    const t = await startTestApp('sqlite', { options: { console: { enabled: true, path: '/ops/auth' } } });
    try {
      expect((await raw(`${t.url}/ops/auth`)).status).toBe(200);
      expect((await raw(`${t.url}/admin`)).status).toBe(404);
      expect((await raw(`${t.url}/ops/auth`)).body.toString()).toContain('src="/ops/auth/assets/console-');
    } finally {
      await t.close();
    }
  });

  it.each([
    ['admin', /auth\.console\.path: must be a path such as \/admin/],
    ['/admin/', /auth\.console\.path: must be a path such as \/admin/],
    ['/', /auth\.console\.path: must be a path such as \/admin/],
    ['/a/../b', /auth\.console\.path: must be a path such as \/admin/],
    ['/admin?x', /auth\.console\.path: must be a path such as \/admin/],
    [`${API}/console`, /auth\.console\.path: "\/api\/v1\/console" overlaps the library's routes \(\/api\/v1\)/],
  ])('refuses path %j at startup', async (path, message) => {
    await expect(startTestApp('sqlite', { options: { console: { enabled: true, path } } })).rejects.toThrow(message);
  });

  it('refuses enabled: "yes"', async () => {
    await expect(startTestApp('sqlite', { options: { console: { enabled: 'yes' as unknown as boolean } } })).rejects.toThrow(/auth\.console\.enabled: must be true or false/);
  });
});
