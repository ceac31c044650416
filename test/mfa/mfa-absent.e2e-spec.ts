import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstStep, userWithTotp } from '../support/mfa.js';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Every feature but MFA (`forRoot({ features })`): the `SecondFactor` port falls back to the
 * core's `NoSecondFactor`, and nobody a second factor would have been asked of gets in on a
 * password alone.
 */
describe.each(DATABASES)('second factors absent (the MFA feature left out) on %s', (kind) => {
  let t: TestApp;
  // The same database with MFA mounted, to enrol factors and hold an mfa_token.
  let withMfa: TestApp;
  beforeAll(async () => {
    withMfa = await startTestApp(kind, { options: { mfa: { requiredFor: ['auditor'] } } });
    t = await startTestApp(kind, {
      sharedDatabase: withMfa.database,
      options: { mfa: { requiredFor: ['auditor'] } },
      features: ['login', 'users', 'roles', 'audit', 'apiKeys', 'serviceAccounts', 'oidc', 'signingKeys', 'maintenance'],
    });
  });
  afterAll(async () => {
    await t?.close();
    await withMfa?.close();
  });

  const password = (username: string, secret: string) => t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'password', username, password: secret });
  const failures = async (userId: string) =>
    await t.dataSource.query<Array<{ details: unknown }>>(`SELECT details FROM audit_events WHERE action = 'login.failure' AND actor_id = '${userId}'`);

  it('a user with an enrolled factor is refused on the right password: 400 mfa_unavailable, no tokens, audited', async () => {
    const u = await userWithTotp(withMfa);
    const res = await password(u.username, u.password);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'mfa_unavailable', error_description: 'Second factors are not enabled on this server' });
    expect(res.headers['set-cookie']).toBeUndefined();
    const rows = await failures(u.userId);
    expect(rows).toHaveLength(1);
    const details = typeof rows[0].details === 'string' ? JSON.parse(rows[0].details) : rows[0].details;
    expect(details).toMatchObject({ reason: 'second_factor_unavailable', check: 'second_factor' });
  });

  it('a user whom auth.mfa.required_for names is refused too, even without a factor', async () => {
    const { user, password: secret } = await t.createUser({ roles: ['auditor'] });
    const res = await password(user.username, secret);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('mfa_unavailable');
    expect(res.body.access_token).toBeUndefined();
  });

  it('a user without factors and not required signs in normally', async () => {
    const { user, password: secret } = await t.createUser({ roles: ['viewer'] });
    const res = await password(user.username, secret);
    expect(res.status).toBe(200);
    expect(typeof res.body.access_token).toBe('string');
    expect(res.body.mfa_enrollment_required).toBeUndefined();
  });

  it('serves none of the MFA routes', async () => {
    const { user, token } = await t.actor(['viewer']);
    for (const [method, path] of [
      ['get', 'mfa'],
      ['post', 'mfa/totp'],
      ['post', 'mfa/recovery-codes'],
      ['get', 'mfa/passkeys'],
    ] as const) {
      const res = await t.http[method](`${API}/users/${user.username}/${path}`).set('authorization', `Bearer ${token}`);
      expect(res.status, path).toBe(404);
    }
  });

  it('the completion routes answer mfa_unavailable, even with a live mfa_token', async () => {
    const u = await userWithTotp(withMfa);
    const mfaToken = await firstStep(withMfa, u.username, u.password);
    const code = await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'mfa_otp', mfa_token: mfaToken, otp: '123456' });
    expect(code.status).toBe(400);
    expect(code.body.error).toBe('mfa_unavailable');
    const passkey = await t.http.post(`${API}/auth/passkey/begin`).send({});
    expect(passkey.status).toBe(400);
    expect(passkey.body.error).toBe('mfa_unavailable');
  });
});
