import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/demo-process.js';
import { decodePayload } from '../support/jwt-forge.js';
import { totpCode } from '../support/mfa.js';
import { FetchBrowser } from '../support/oidc/fetch-browser.js';
import { callbackPath } from '../support/oidc/fixtures.js';
import { HostileOp } from '../support/oidc/hostile-op.js';
import { loginUrl } from '../support/oidc/sign-in.js';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

describe.each(DATABASES)('second factors of SSO logins (provider option mfa) on %s', (kind) => {
  let t: TestApp;
  const ops = {} as Record<'trusting' | 'strict' | 'auditors', HostileOp>;

  beforeAll(async () => {
    ops.trusting = await new HostileOp().start();
    ops.strict = await new HostileOp().start();
    ops.auditors = await new HostileOp().start();
    const port = await freePort();
    const provider = (name: 'trusting' | 'strict' | 'auditors', mfa: 'idp_amr' | 'local', defaultRoles: string[] = []) => ({
      type: 'oidc' as const,
      issuer: ops[name].issuer,
      clientId: ops[name].clientId,
      clientSecret: ops[name].clientSecret,
      redirectUri: `http://127.0.0.1:${port}${callbackPath(name)}`,
      jitProvisioning: true,
      mfa,
      defaultRoles,
    });
    t = await startTestApp(kind, {
      port,
      options: {
        providers: { trusting: provider('trusting', 'idp_amr'), strict: provider('strict', 'local'), auditors: provider('auditors', 'idp_amr', ['auditor']) },
        mfa: { requiredFor: ['auditor'] },
      },
    });
    for (const op of Object.values(ops)) op.now = () => t.clock.now();
  });
  afterAll(async () => {
    await t?.close();
    for (const op of Object.values(ops)) await op?.close();
  });

  async function login(provider: 'trusting' | 'strict' | 'auditors') {
    const browser = new FetchBrowser();
    const hops = await browser.follow(loginUrl(t.url, provider), (next) => next.origin !== new URL(t.url).origin);
    const callback = await browser.request(new URL(hops.at(-1)!.location!).href);
    return { browser, callback };
  }

  it('idp_amr: the IdP’s amr counts; a login it says used two factors is a second-factor session', async () => {
    ops.trusting.reset();
    ops.trusting.idToken = { claims: () => ({ amr: ['pwd', 'mfa'] }) };
    const { browser, callback } = await login('trusting');
    expect(callback.status).toBe(302);
    const access = browser.cookie(new URL(t.url).hostname, 'access_token')!;
    expect(decodePayload(access).amr).toEqual(['fed', 'pwd', 'mfa']);
    expect((await t.http.get(`${API}/demo/sensitive`).set('Authorization', `Bearer ${access}`)).status).toBe(200);
    ops.trusting.reset();
    ops.trusting.idToken = { claims: () => ({ amr: ['pwd'] }) };
    const single = await login('trusting');
    const plain = single.browser.cookie(new URL(t.url).hostname, 'access_token')!;
    expect(decodePayload(plain).amr).toEqual(['fed', 'pwd']);
    expect((await t.http.get(`${API}/demo/sensitive`).set('Authorization', `Bearer ${plain}`)).status).toBe(403);
  });

  it('local: the IdP’s amr is ignored, and a user with a local factor completes the login with it', async () => {
    ops.strict.reset();
    ops.strict.idToken = { claims: () => ({ amr: ['pwd', 'mfa'] }) };
    const first = await login('strict');
    const access = first.browser.cookie(new URL(t.url).hostname, 'access_token')!;
    expect(decodePayload(access).amr).toEqual(['fed']);
    const me = (await t.http.get(`${API}/auth/me`).set('Authorization', `Bearer ${access}`)).body;
    const started = await t.http.post(`${API}/users/${me.username}/mfa/totp`).set('Authorization', `Bearer ${access}`);
    const secret = started.body.secret as string;
    expect(
      (
        await t.http
          .post(`${API}/users/${me.username}/mfa/totp/confirm`)
          .set('Authorization', `Bearer ${access}`)
          .send({ code: totpCode(secret, t.clock.now()) })
      ).status,
    ).toBe(200);
    t.clock.advance(31);
    const second = await login('strict');
    expect(second.callback.status).toBe(302);
    const location = new URL(second.callback.location!, t.url);
    expect(location.pathname).toBe('/');
    const fragment = new URLSearchParams(location.hash.slice(1));
    expect(fragment.get('factors')).toBe('totp,recovery_code');
    expect(second.browser.cookie(new URL(t.url).hostname, 'access_token')).toBeUndefined();
    const done = await t.http
      .post(`${API}/auth/token`)
      .type('form')
      .send({ grant_type: 'mfa_otp', mfa_token: fragment.get('mfa_token'), otp: totpCode(secret, t.clock.now()) });
    expect(done.status).toBe(200);
    expect(decodePayload(done.body.access_token).amr).toEqual(['fed', 'otp', 'mfa']);
  });

  it('SEC-113: a required_for holder whose IdP login was single-factor gets an enrolment-only session, on every path', async () => {
    const host = new URL(t.url).hostname;
    ops.auditors.reset();
    ops.auditors.idToken = { claims: () => ({ amr: ['pwd'] }) };
    const single = await login('auditors');
    expect(single.callback.status).toBe(302);
    const access = single.browser.cookie(host, 'access_token')!;
    const refresh = single.browser.cookie(host, 'refresh_token')!;
    const audit = await t.http.get(`${API}/audit`).set('Authorization', `Bearer ${access}`);
    expect(audit.status).toBe(403);
    expect(audit.body.error).toBe('mfa_enrollment_required');
    expect((await t.http.get(`${API}/auth/me`).set('Authorization', `Bearer ${access}`)).status).toBe(200);
    const refreshed = await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'refresh_token', refresh_token: refresh });
    expect(refreshed.body.mfa_enrollment_required).toBe(true);
    expect((await t.http.get(`${API}/audit`).set('Authorization', `Bearer ${refreshed.body.access_token}`)).body.error).toBe('mfa_enrollment_required');
    // The provider vouching for two factors: a full session.
    ops.auditors.reset();
    ops.auditors.idToken = { claims: () => ({ amr: ['pwd', 'otp'] }) };
    const multi = await login('auditors');
    expect((await t.http.get(`${API}/audit`).set('Authorization', `Bearer ${multi.browser.cookie(host, 'access_token')!}`)).status).toBe(200);
  });
});
