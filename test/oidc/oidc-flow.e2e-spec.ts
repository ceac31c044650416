import { AuditEventEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchBrowser, parseSetCookies, jsonClient } from '../support/oidc/fetch-browser.js';
import { startAppWithOp } from '../support/oidc/fixtures.js';
import { signIn } from '../support/oidc/sign-in.js';
import type { TestOp } from '../support/oidc/test-op.js';
import { API, DATABASES, type TestApp } from '../support/test-app.js';

const HOST = '127.0.0.1';

/** SEC-70's open-redirect forms, as the app receives them (already URL-decoded once). */
const OPEN_REDIRECTS = [
  'https://evil.example',
  '//evil.example',
  '/\\evil.example',
  'https://app.example.com.evil.example',
  'https:evil.example',
  'javascript:alert(1)',
  '%2F%2Fevil.example',
  '/%2F/evil.example',
  '/%5Cevil.example',
  '/%09/evil.example',
  '/\t/evil.example',
  'http://[',
  '',
  // Collapsed by the URL parser into `//evil.example` (SEC-90).
  '/.//evil.example/',
  '/x/..//evil.example/',
  '/%2e//evil.example/',
  '/%2E%2E//evil.example/',
];

describe.each(DATABASES)('OIDC single sign-on against a real OpenID Provider on %s', (kind) => {
  let t: TestApp;
  let op: TestOp;
  beforeAll(async () => {
    ({ t, op } = await startAppWithOp(kind, { oidc: { jitProvisioning: true, defaultRoles: ['viewer'] }, partner: { jitProvisioning: true } }));
    op.accounts.set('sub-alice', { email: 'alice.sso@example.test', email_verified: true, name: 'Alice SSO', preferred_username: 'Alice.SSO' });
  });
  afterAll(async () => {
    await t?.close();
    await op?.close();
  });

  function sessionHeader(browser: FetchBrowser): string {
    return ['access_token', 'refresh_token', 'csrf_token'].map((name) => `${name}=${browser.cookie(HOST, name)}`).join('; ');
  }

  it('a first login creates the user and ends in the cookie session of the token endpoint', async () => {
    const browser = jsonClient();
    const callback = await signIn(browser, t.url, 'sub-alice');
    expect(callback.status, callback.body).toBe(302);
    expect(callback.location).toBe(`${t.url}/`);
    const cookies = parseSetCookies(callback.setCookie);
    const stateCookies = [...cookies.keys()].filter((name) => name.startsWith('fabric_oidc_state_'));
    expect(stateCookies).toHaveLength(1);
    expect(cookies.get(stateCookies[0])?.attributes).toContain('Max-Age=0');
    // Each cookie once: Fastify appends to set-cookie where Express replaces it.
    const names = callback.setCookie.map((line) => line.slice(0, line.indexOf('=')));
    expect(names.sort()).toEqual(['access_token', 'csrf_token', stateCookies[0], 'refresh_token'].sort());

    // Exactly the cookies of POST /auth/token with set_cookies=true.
    const { user, password } = await t.createUser();
    const local = await t.http.post(`${API}/auth/token`).send({ grant_type: 'password', username: user.username, password, set_cookies: true });
    const expected = parseSetCookies(local.headers['set-cookie'] as unknown as string[]);
    // Max-Age is the session's remaining lifetime, read at two moments: equal to the second, or one apart.
    const withoutMaxAge = (attributes: string | undefined) => attributes?.replace(/Max-Age=\d+/, 'Max-Age');
    const maxAge = (attributes: string | undefined) => Number(/Max-Age=(\d+)/.exec(attributes ?? '')?.[1]);
    for (const name of ['access_token', 'refresh_token', 'csrf_token']) {
      expect(withoutMaxAge(cookies.get(name)?.attributes), name).toBe(withoutMaxAge(expected.get(name)!.attributes));
      expect(Math.abs(maxAge(cookies.get(name)?.attributes) - maxAge(expected.get(name)!.attributes)), name).toBeLessThanOrEqual(1);
    }

    const me = await t.http.get(`${API}/auth/me`).set('cookie', sessionHeader(browser));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'alice.sso', email: 'alice.sso@example.test', roles: ['viewer'], auth_method: 'cookie' });
    const sessions = await t.http.get(`${API}/users/alice.sso/sessions`).set('cookie', sessionHeader(browser));
    expect(sessions.body.items.map((s: { login_method: string }) => s.login_method)).toEqual(['oidc']);
    const success = await t.dataSource.getRepository(AuditEventEntity).findOneByOrFail({ action: 'login.success', actorId: me.body.id });
    expect(success.details).toEqual({ method: 'oidc', amr: 'fed', provider: 'oidc' });
  });

  it('the session works like any cookie session: CSRF on unsafe methods, refresh from the cookie, logout', async () => {
    const browser = jsonClient();
    expect((await signIn(browser, t.url, 'sub-alice')).status).toBe(302);
    const header = sessionHeader(browser);
    expect((await t.http.post(`${API}/auth/logout`).set('cookie', header)).status).toBe(403);
    const refreshed = await t.http.post(`${API}/auth/token`).set('cookie', header).send({ grant_type: 'refresh_token' });
    expect(refreshed.status).toBe(200);
    const renewed = parseSetCookies(refreshed.headers['set-cookie'] as unknown as string[]);
    const after = `access_token=${renewed.get('access_token')!.value}; csrf_token=${browser.cookie(HOST, 'csrf_token')}`;
    const logout = await t.http.post(`${API}/auth/logout`).set('cookie', after).set('x-csrf-token', browser.cookie(HOST, 'csrf_token')!);
    expect(logout.status).toBe(204);
    expect((await t.http.get(`${API}/auth/me`).set('cookie', after)).status).toBe(401);
  });

  it('a named provider has its own routes, and ends in the same kind of session', async () => {
    op.accounts.set('sub-partner', { preferred_username: 'partner.user' });
    const browser = jsonClient();
    const callback = await signIn(browser, t.url, 'sub-partner', { provider: 'partner', returnTo: '/partners' });
    expect(callback.status, callback.body).toBe(302);
    expect(callback.location).toBe(`${t.url}/partners`);
    const me = await t.http.get(`${API}/auth/me`).set('cookie', sessionHeader(browser));
    expect(me.body).toMatchObject({ username: 'partner.user', roles: [] });
  });

  it('lands on a same-origin return_to', async () => {
    for (const [returnTo, landing] of [
      ['/reports?q=1#top', '/reports?q=1#top'],
      ['/a/../b', '/b'],
    ]) {
      const callback = await signIn(jsonClient(), t.url, 'sub-alice', { returnTo });
      expect(callback.location).toBe(`${t.url}${landing}`);
    }
  });

  it.each(OPEN_REDIRECTS)('return_to %j lands on / (SEC-70)', async (returnTo) => {
    const callback = await signIn(jsonClient(), t.url, 'sub-alice', { returnTo });
    expect(callback.status).toBe(302);
    expect(callback.location).toBe(`${t.url}/`);
  });
});
