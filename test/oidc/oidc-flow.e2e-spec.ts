import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, type TestApp } from '../support/test-app.js';
import { FetchBrowser, parseSetCookies } from '../support/oidc/fetch-browser.js';
import { startAppWithOp } from '../support/oidc/fixtures.js';
import { signIn } from '../support/oidc/sign-in.js';
import type { TestOp } from '../support/oidc/test-op.js';

describe.each(DATABASES)('OIDC single sign-on against a real OpenID Provider on %s', (kind) => {
  let t: TestApp;
  let op: TestOp;
  beforeAll(async () => {
    ({ t, op } = await startAppWithOp(kind, { oidc: { jitProvisioning: true, defaultRoles: ['viewer'] } }));
  });
  afterAll(async () => {
    await t?.close();
    await op?.close();
  });

  it('a first login creates the user and ends in a cookie session', async () => {
    op.accounts.set('sub-alice', { email: 'alice.sso@example.test', email_verified: true, name: 'Alice SSO', preferred_username: 'Alice.SSO' });
    const browser = new FetchBrowser();
    const callback = await signIn(browser, t.url, 'sub-alice');
    expect(callback.status, callback.body).toBe(302);
    expect(callback.location).toBe(`${t.url}/`);
    const cookies = parseSetCookies(callback.setCookie);
    expect(cookies.get('fabric_oidc_state')?.attributes).toContain('Max-Age=0');
    const me = await t.http.get(`${API}/auth/me`).set('cookie', `access_token=${browser.cookie('127.0.0.1', 'access_token')}`);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'alice.sso', email: 'alice.sso@example.test', roles: ['viewer'], auth_method: 'cookie' });
  });
});
