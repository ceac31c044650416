import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FetchBrowser, parseSetCookies, jsonClient } from '../support/oidc/fetch-browser.js';
import { startAppWithOp } from '../support/oidc/fixtures.js';
import { counts, expectRefused } from '../support/oidc/refusals.js';
import { authorizeAt, loginUrl, OIDC_API } from '../support/oidc/sign-in.js';
import type { TestOp } from '../support/oidc/test-op.js';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';
import { withLastCharacterChanged } from '../support/tamper.js';

const HOST = '127.0.0.1';
const STATE_COOKIE = 'fabric_oidc_state_';

/** The one login attempt's state cookie this browser holds: its name and value. */
function attemptCookie(browser: FetchBrowser): [string, string] {
  const names = browser.cookieNames(HOST, STATE_COOKIE);
  expect(names).toHaveLength(1);
  return [names[0], browser.cookie(HOST, names[0])!];
}

describe.each(DATABASES)('OIDC login state: bound to the browser, single use, bound to the provider on %s (SEC-63, SEC-64, SEC-71)', (kind) => {
  let t: TestApp;
  let op: TestOp;
  beforeAll(async () => {
    ({ t, op } = await startAppWithOp(kind, { oidc: { jitProvisioning: true }, second: { jitProvisioning: true } }));
    op.accounts.set('state-user', { email: 'state.user@example.test', email_verified: true, name: 'State User' });
  });
  afterAll(async () => {
    await t?.close();
    await op?.close();
  });
  afterEach(() => t.clock.reset());

  it('the login redirect asks for code with PKCE S256, state and nonce, and sets a signed HttpOnly SameSite=Lax cookie for 10 minutes', async () => {
    const browser = jsonClient();
    const login = await browser.request(loginUrl(t.url));
    expect(login.status).toBe(302);
    const target = new URL(login.location!);
    expect(`${target.origin}${target.pathname}`).toBe(`${op.issuer}/auth`);
    expect(Object.fromEntries(target.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'oidc',
      redirect_uri: `${t.url}${OIDC_API}/callback`,
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    expect(target.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(target.searchParams.get('state')!.length).toBeGreaterThanOrEqual(43);
    expect(target.searchParams.get('nonce')!.length).toBeGreaterThanOrEqual(43);
    const [name] = attemptCookie(browser);
    expect(name).toMatch(/^fabric_oidc_state_[A-Za-z0-9_-]{16}$/);
    const cookie = parseSetCookies(login.setCookie).get(name)!;
    for (const attribute of ['HttpOnly', 'SameSite=Lax', 'Max-Age=600', 'Path=/']) expect(cookie.attributes).toContain(attribute);
    // The state, nonce and verifier sit in the cookie under a MAC, not in plain sight of the provider.
    expect(cookie.value).not.toContain(target.searchParams.get('code_challenge')!);
  });

  it('completes with the cookie of the browser that started the login', async () => {
    const browser = jsonClient();
    const { callbackUrl } = await authorizeAt(browser, t.url, 'state-user');
    const [name] = attemptCookie(browser);
    const callback = await browser.request(callbackUrl);
    expect(callback.status, callback.body).toBe(302);
    expect(parseSetCookies(callback.setCookie).get(name)?.attributes).toContain('Max-Age=0');
    expect(browser.cookieNames(HOST, STATE_COOKIE)).toEqual([]);
  });

  it('a callback in another browser (no state cookie) is refused without asking the provider for tokens', async () => {
    const { callbackUrl } = await authorizeAt(jsonClient(), t.url, 'state-user');
    const before = await counts(t);
    const tokenHits = op.hits('/token');
    await expectRefused(t, before, await jsonClient().request(callbackUrl), 400, 'state_missing');
    expect(op.hits('/token')).toBe(tokenHits);
  });

  it("a callback carrying another login's state is refused (login CSRF)", async () => {
    const victim = jsonClient();
    await victim.request(loginUrl(t.url));
    // The attacker's own, genuine callback, delivered to the victim's browser.
    const { callbackUrl } = await authorizeAt(jsonClient(), t.url, 'state-user');
    const before = await counts(t);
    const tokenHits = op.hits('/token');
    await expectRefused(t, before, await victim.request(callbackUrl), 400, 'state_mismatch');
    expect(op.hits('/token')).toBe(tokenHits);
  });

  it('a callback without state, or with a state parameter changed, is refused', async () => {
    for (const change of [(url: URL) => url.searchParams.delete('state'), (url: URL) => url.searchParams.set('state', 'x'.repeat(43))]) {
      const browser = jsonClient();
      const { callbackUrl } = await authorizeAt(browser, t.url, 'state-user');
      const url = new URL(callbackUrl);
      change(url);
      const before = await counts(t);
      await expectRefused(t, before, await browser.request(url.href), 400, 'state_mismatch');
    }
  });

  it('a replayed callback fails, even with a copy of the state cookie', async () => {
    const browser = jsonClient();
    const { callbackUrl } = await authorizeAt(browser, t.url, 'state-user');
    const [name, stateCookie] = attemptCookie(browser);
    expect((await browser.request(callbackUrl)).status).toBe(302);
    const tokenHits = op.hits('/token');
    let before = await counts(t);
    await expectRefused(t, before, await browser.request(callbackUrl), 400, 'state_missing');
    browser.setCookie(HOST, name, stateCookie);
    before = await counts(t);
    await expectRefused(t, before, await browser.request(callbackUrl), 400, 'state_replayed');
    expect(op.hits('/token')).toBe(tokenHits);
  });

  it('a login older than 10 minutes is refused', async () => {
    const browser = jsonClient();
    const { callbackUrl } = await authorizeAt(browser, t.url, 'state-user');
    t.clock.advance(601);
    const before = await counts(t);
    await expectRefused(t, before, await browser.request(callbackUrl), 400, 'state_expired');
  });

  it('a state cookie altered in any byte is refused', async () => {
    const browser = jsonClient();
    const { callbackUrl } = await authorizeAt(browser, t.url, 'state-user');
    const [name, value] = attemptCookie(browser);
    const [version, body, mac] = value.split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${version}.${Buffer.from(JSON.stringify({ ...payload, returnTo: '/elsewhere' })).toString('base64url')}.${mac}`;
    for (const tampered of [forged, withLastCharacterChanged(value), 'v1.e30.AAAA', 'garbage']) {
      browser.setCookie(HOST, name, tampered);
      const before = await counts(t);
      await expectRefused(t, before, await browser.request(callbackUrl), 400, 'state_invalid');
    }
  });

  it('a callback for one provider carrying the state of a login with another is refused (mix-up)', async () => {
    const browser = jsonClient();
    const { callbackUrl } = await authorizeAt(browser, t.url, 'state-user', { provider: 'second' });
    const mixedUp = new URL(callbackUrl);
    expect(mixedUp.pathname).toBe(`${OIDC_API}/second/callback`);
    mixedUp.pathname = `${OIDC_API}/callback`;
    const before = await counts(t);
    const tokenHits = op.hits('/token');
    await expectRefused(t, before, await browser.request(mixedUp.href), 400, 'provider_mismatch');
    expect(op.hits('/token')).toBe(tokenHits);
  });

  it('a callback repeating a parameter is refused', async () => {
    const browser = jsonClient();
    const { callbackUrl } = await authorizeAt(browser, t.url, 'state-user');
    const url = new URL(callbackUrl);
    url.searchParams.append('code', 'second-code');
    const before = await counts(t);
    await expectRefused(t, before, await browser.request(url.href), 400, 'bad_callback');
  });

  it('the state cookie is no credential: as Bearer or as access cookie it is a 401 (SEC-09)', async () => {
    const browser = jsonClient();
    await browser.request(loginUrl(t.url));
    const [, value] = attemptCookie(browser);
    expect((await t.http.get(`${API}/auth/me`).auth(value, { type: 'bearer' })).status).toBe(401);
    expect((await t.http.get(`${API}/auth/me`).set('cookie', `access_token=${encodeURIComponent(value)}`)).status).toBe(401);
  });

  it('an unconfigured provider is a 404 on both routes', async () => {
    for (const path of ['nope/login', 'nope/callback?code=a&state=b', 'NOPE/login']) {
      const res = await t.http.get(`${OIDC_API}/${path}`);
      expect(res.status, path).toBe(404);
      expect(res.body).toEqual({ statusCode: 404, message: 'Unknown identity provider', error: 'Not Found' });
    }
  });
});

describe('an app without OIDC configuration', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(() => t?.close());

  it('answers 404 on the OIDC routes', async () => {
    for (const path of ['login', 'callback?code=a&state=b', 'google/login', 'google/callback']) {
      const res = await t.http.get(`${OIDC_API}/${path}`);
      expect(res.status, path).toBe(404);
      expect(res.body.statusCode).toBe(404);
    }
  });
});
