import { resolveFabricAuthOptions } from '../../libs/fabric-auth/src/options/resolve-options.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePayload } from '../support/jwt-forge.js';
import { firstStep, totpCode, userWithTotp } from '../support/mfa.js';
import { ADMIN_PASSWORD, API, DATABASES, startTestApp, TEST_OPTIONS, type TestApp } from '../support/test-app.js';

describe.each(DATABASES)('MFA policy (auth.mfa) and @RequireMfa() on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind, { options: { mfa: { requiredFor: ['auditor'], requireMfa: ['audit:read'] } } });
  });
  afterAll(() => t?.close());

  const bearer = (access: string) => ({ Authorization: `Bearer ${access}` });
  const password = (username: string, secret: string) => t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'password', username, password: secret });

  it('@RequireMfa(): 403 mfa_required for a password-only session or an API key, 200 after a second factor', async () => {
    const plain = await t.actor();
    const refused = await t.http.get(`${API}/demo/sensitive`).set(bearer(plain.token));
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ statusCode: 403, error: 'mfa_required' });
    const key = await t.http
      .post(`${API}/users/${plain.user.username}/api-keys`)
      .set(bearer(await t.adminToken()))
      .send({ name: 'k' });
    expect((await t.http.get(`${API}/demo/sensitive`).set('X-API-Key', key.body.key)).status).toBe(403);
    const u = await userWithTotp(t);
    const mfaToken = await firstStep(t, u.username, u.password);
    const done = await t.http
      .post(`${API}/auth/token`)
      .type('form')
      .send({ grant_type: 'mfa_otp', mfa_token: mfaToken, otp: totpCode(u.secret, t.clock.now()) });
    const ok = await t.http.get(`${API}/demo/sensitive`).set(bearer(done.body.access_token));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ok: true, amr: ['pwd', 'otp', 'mfa'] });
  });

  it('required_for: a holder without a factor gets a session limited to enrolment, then a full one after enrolling', async () => {
    const { user, password: secret } = await t.createUser({ roles: ['auditor'] });
    const login = await password(user.username, secret);
    expect(login.status).toBe(200);
    expect(login.body.mfa_enrollment_required).toBe(true);
    const limited = login.body.access_token as string;
    const elsewhere = await t.http.get(`${API}/audit`).set(bearer(limited));
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error).toBe('mfa_enrollment_required');
    expect((await t.http.get(`${API}/users/${user.username}`).set(bearer(limited))).body.error).toBe('mfa_enrollment_required');
    expect((await t.http.get(`${API}/auth/me`).set(bearer(limited))).status).toBe(200);
    const state = await t.http.get(`${API}/users/${user.username}/mfa`).set(bearer(limited));
    expect(state.body).toMatchObject({ required: true, factors: [] });
    // The refresh of a limited session stays limited.
    const refreshed = await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'refresh_token', refresh_token: login.body.refresh_token });
    expect(refreshed.body.mfa_enrollment_required).toBe(true);
    const started = await t.http.post(`${API}/users/${user.username}/mfa/totp`).set(bearer(limited));
    expect(started.status).toBe(201);
    const confirmed = await t.http
      .post(`${API}/users/${user.username}/mfa/totp/confirm`)
      .set(bearer(limited))
      .send({ code: totpCode(started.body.secret, t.clock.now()) });
    expect(confirmed.status).toBe(200);
    t.clock.advance(31);
    const mfaToken = await firstStep(t, user.username, secret);
    const full = await t.http
      .post(`${API}/auth/token`)
      .type('form')
      .send({ grant_type: 'mfa_otp', mfa_token: mfaToken, otp: totpCode(started.body.secret, t.clock.now()) });
    expect(full.status).toBe(200);
    expect(full.body.mfa_enrollment_required).toBeUndefined();
    // audit:read is listed in require_mfa: a second-factor session passes.
    expect((await t.http.get(`${API}/audit`).set(bearer(full.body.access_token))).status).toBe(200);
  });

  it('a session limited to enrolment reads its own factors only, whatever its permissions', async () => {
    const { user, password: secret } = await t.createUser({ roles: ['auditor', 'viewer'] });
    const limited = (await password(user.username, secret)).body.access_token as string;
    const other = await t.createUser();
    const res = await t.http.get(`${API}/users/${other.user.username}/mfa`).set(bearer(limited));
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('mfa_enrollment_required');
    // An account that does not exist gets the same answer: a limited session learns no names.
    const missing = await t.http.get(`${API}/users/no-such-user-${Date.now()}/mfa`).set(bearer(limited));
    expect(missing.status).toBe(403);
    expect(missing.body.error).toBe('mfa_enrollment_required');
    expect((await t.http.get(`${API}/users/${user.username}/mfa`).set(bearer(limited))).status).toBe(200);
  });

  it('require_mfa on a permission: its routes refuse a session without a second factor, even the system admin’s', async () => {
    const admin = (await password('admin', ADMIN_PASSWORD)).body;
    expect(admin.mfa_enrollment_required).toBeUndefined();
    const res = await t.http.get(`${API}/audit`).set(bearer(admin.access_token));
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('mfa_required');
    expect(decodePayload(admin.access_token).amr).toEqual(['pwd']);
  });

  it('validates auth.mfa and auth.webauthn with messages naming the key', () => {
    const bad = (extra: object) => () => resolveFabricAuthOptions({ ...TEST_OPTIONS, ...extra });
    expect(bad({ mfa: { requiredFor: 'auditor' } })).toThrow(/auth\.mfa\.required_for: must be a list/);
    expect(bad({ mfa: { nope: 1 } })).toThrow(/auth\.mfa\.nope: unknown key/);
    expect(bad({ mfa: { issuerLabel: 'a:b' } })).toThrow(/auth\.mfa\.issuer_label/);
    for (const stepUpSeconds of [59, 86_401, 1.5, 'soon']) expect(bad({ mfa: { stepUpSeconds } })).toThrow(/auth\.mfa\.step_up_seconds: must be an integer between 60 and 86400/);
    expect(resolveFabricAuthOptions({ ...TEST_OPTIONS, mfa: { stepUpSeconds: 300 } }).mfa.stepUpSeconds).toBe(300);
    expect(bad({ webauthn: { rpId: 'https://x' } })).toThrow(/auth\.webauthn\.rp_id/);
    expect(bad({ webauthn: { rpId: 'example.com', origins: ['https://evil.example'] } })).toThrow(/not on rp_id example\.com/);
    expect(bad({ webauthn: { origins: ['http://example.com'] } })).toThrow(/auth\.webauthn\.origins/);
    // The issuer defaults to the public base URL; the label and the passkey name derive from it in a form they accept.
    const ok = resolveFabricAuthOptions({ ...TEST_OPTIONS, publicBaseUrl: 'https://app.example.com', webauthn: { rpId: 'example.com' } });
    expect(ok.issuer).toBe('https://app.example.com');
    expect(ok.webauthn).toEqual({ rpId: 'example.com', rpName: 'app.example.com' });
    expect(ok.mfa).toEqual({ requiredFor: [], requireMfa: [], issuerLabel: 'app.example.com', stepUpSeconds: 900 });
    const plain = resolveFabricAuthOptions(TEST_OPTIONS);
    expect([plain.issuer, plain.mfa.issuerLabel, plain.publicBaseUrl]).toEqual(['nestjs-fabric-auth', 'nestjs-fabric-auth', undefined]);
    // Without public_base_url the passkey origin is the server's own as it listens (no constant port): derived per ceremony.
    expect(plain.webauthn).toEqual({ rpName: 'nestjs-fabric-auth' });
    expect(bad({ webauthn: { rpId: 'example.com' } })).toThrow(
      /auth\.webauthn\.origins: http:\/\/localhost:<port> \(the server’s own origin without auth\.public_base_url\) is not on rp_id example\.com/,
    );
    expect(bad({ publicBaseUrl: 'https://app.example.org', webauthn: { rpId: 'example.com' } })).toThrow(
      /auth\.webauthn\.origins: https:\/\/app\.example\.org is not on rp_id example\.com/,
    );
    // An issuer URL with a port, as the README recommends, starts: the label is its host name.
    expect(resolveFabricAuthOptions({ ...TEST_OPTIONS, issuer: 'http://localhost:8080/' }).mfa.issuerLabel).toBe('localhost');
    expect(resolveFabricAuthOptions({ ...TEST_OPTIONS, issuer: 'urn:example:auth' }).mfa.issuerLabel).toBe('urnexampleauth');
    expect(bad({ signing: { algorithm: 'EdDSA' } })).toThrow(
      /issuer: "nestjs-fabric-auth" is not a URL, which EdDSA signing needs .*set auth\.issuer \(https:\/\/auth\.example\.com\) or auth\.public_base_url/,
    );
    expect(resolveFabricAuthOptions({ ...TEST_OPTIONS, signing: { algorithm: 'EdDSA' }, publicBaseUrl: 'https://auth.example.com' }).issuer).toBe('https://auth.example.com');
  });

  it('the system admin can be required to use MFA (required_for: system_admin)', async () => {
    const strict = await startTestApp(kind, { options: { mfa: { requiredFor: ['system_admin'] } } });
    try {
      const res = await strict.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD });
      expect(res.body.mfa_enrollment_required).toBe(true);
      expect((await strict.http.get(`${API}/users`).set(bearer(res.body.access_token))).body.error).toBe('mfa_enrollment_required');
      const plain = await strict.actor();
      expect((await strict.http.get(`${API}/auth/me`).set(bearer(plain.token))).status).toBe(200);
    } finally {
      await strict.close();
    }
  });
});
