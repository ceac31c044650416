import { AuditEventEntity, MfaChallengeEntity, MfaFactorEntity } from 'nestjs-fabric-auth/entities';
import { PruningService } from 'nestjs-fabric-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePayload } from '../support/jwt-forge.js';
import { firstStep, nextStep, steppedUpSession, totpCode, userWithTotp } from '../support/mfa.js';
import { ADMIN_PASSWORD, API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

describe.each(DATABASES)('TOTP, recovery codes and the mfa_required login on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(() => t?.close());

  const token = () => t.http.post(`${API}/auth/token`).type('form');
  const bearer = (access: string) => ({ Authorization: `Bearer ${access}` });

  it('enrols: a secret, an otpauth:// URI and an SVG QR code, uncacheable; the secret is stored sealed', async () => {
    const { user, token: access } = await t.actor();
    const res = await t.http.post(`${API}/users/${user.username}/mfa/totp`).set(bearer(access));
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(res.body.otpauth_uri);
    expect(`${uri.protocol}//${uri.host}${decodeURIComponent(uri.pathname)}`).toBe(`otpauth://totp/nestjs-fabric-auth:${user.username}`);
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({ secret: res.body.secret, issuer: 'nestjs-fabric-auth' });
    expect(res.body.qr_code).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(res.body.qr_code.split(',')[1], 'base64').toString()).toContain('<svg');
    const rows = await t.dataSource.getRepository(MfaFactorEntity).find({ where: { userId: user.id }, select: { id: true, secretSealed: true, confirmedAt: true } });
    expect(rows).toHaveLength(1);
    expect(rows[0].confirmedAt).toBeNull();
    expect(rows[0].secretSealed).toMatch(/^v1\./);
    expect(rows[0].secretSealed).not.toContain(res.body.secret);
    // Not pending in the listing as a factor yet; a password login still needs no second step.
    const state = await t.http.get(`${API}/users/${user.username}/mfa`).set(bearer(access));
    expect(state.body).toMatchObject({ factors: [], totp: { enabled: false, pending: true } });
    expect((await token().send({ grant_type: 'password', username: user.username, password: 'Corr3ct-horse-battery' })).status).toBe(200);
  });

  it('confirms with a code (a wrong one is refused), answering ten recovery codes once', async () => {
    const { user, token: access } = await t.actor();
    const { secret } = (await t.http.post(`${API}/users/${user.username}/mfa/totp`).set(bearer(access))).body;
    const wrong = await t.http
      .post(`${API}/users/${user.username}/mfa/totp/confirm`)
      .set(bearer(access))
      .send({ code: totpCode(secret, t.clock.now(), 3) });
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toBe('The code is incorrect');
    const res = await t.http
      .post(`${API}/users/${user.username}/mfa/totp/confirm`)
      .set(bearer(access))
      .send({ code: totpCode(secret, t.clock.now()) });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.enabled).toBe(true);
    expect(res.body.recovery_codes).toHaveLength(10);
    expect(new Set(res.body.recovery_codes).size).toBe(10);
    for (const code of res.body.recovery_codes) expect(code).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/);
    const again = await t.http.post(`${API}/users/${user.username}/mfa/totp`).set(bearer(access));
    expect(again.status).toBe(409);
  });

  it('lists factors, never secrets (self, or users:read); others without the permission get 403', async () => {
    const u = await userWithTotp(t);
    const state = await t.http.get(`${API}/users/${u.username}/mfa`).set(bearer(u.token));
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({ factors: ['totp', 'recovery_code'], totp: { enabled: true }, passkeys: [], recovery_codes: { remaining: 10 }, required: false });
    const text = JSON.stringify(state.body);
    expect(text).not.toContain(u.secret);
    for (const code of u.recoveryCodes) expect(text).not.toContain(code);
    const viewer = await t.actor(['viewer']);
    expect((await t.http.get(`${API}/users/${u.username}/mfa`).set(bearer(viewer.token))).status).toBe(200);
    const nobody = await t.actor();
    expect((await t.http.get(`${API}/users/${u.username}/mfa`).set(bearer(nobody.token))).status).toBe(403);
    expect((await t.http.get(`${API}/users/nosuchuser/mfa`).set(bearer(nobody.token))).status).toBe(403);
    // Only the owner enrols, even an admin cannot set someone's secret.
    expect((await t.http.post(`${API}/users/${u.username}/mfa/totp`).set(bearer(await t.adminToken()))).status).toBe(403);
  });

  it('a password login of a user with a factor answers mfa_required, an mfa_token and the factors, and no tokens', async () => {
    const u = await userWithTotp(t);
    const res = await token().send({ grant_type: 'password', username: u.username, password: u.password });
    expect(res.status).toBe(400);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual(['error', 'error_description', 'expires_in', 'factors', 'mfa_token']);
    expect(res.body).toMatchObject({ error: 'mfa_required', factors: ['totp', 'recovery_code'], expires_in: 300 });
    expect(res.body.mfa_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.headers['set-cookie']).toBeUndefined();
    // A wrong password still answers the generic refusal, not the MFA step.
    const wrong = await token().send({ grant_type: 'password', username: u.username, password: 'Wr0ng-password-here' });
    expect(wrong.body.error).toBe('invalid_grant');
  });

  it('completes with grant_type=mfa_otp: tokens carrying amr pwd otp mfa, kept across refreshes; the code is single-use', async () => {
    const u = await userWithTotp(t);
    const mfaToken = await firstStep(t, u.username, u.password);
    const code = totpCode(u.secret, t.clock.now());
    const res = await token().send({ grant_type: 'mfa_otp', mfa_token: mfaToken, otp: code });
    expect(res.status).toBe(200);
    // The completed password login earns a device token (SEC-87), as a password-only login does.
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'device_token', 'expires_in', 'refresh_token', 'token_type']);
    expect(res.body.device_token).toMatch(/^d1\./);
    expect(decodePayload(res.body.access_token).amr).toEqual(['pwd', 'otp', 'mfa']);
    const refreshed = await token().send({ grant_type: 'refresh_token', refresh_token: res.body.refresh_token });
    expect(refreshed.status).toBe(200);
    expect(decodePayload(refreshed.body.access_token).amr).toEqual(['pwd', 'otp', 'mfa']);
    // The same code in its own window, with a new mfa_token: refused (SEC-99).
    const second = await firstStep(t, u.username, u.password);
    const replay = await token().send({ grant_type: 'mfa_otp', mfa_token: second, otp: code });
    expect(replay.status).toBe(400);
    expect(replay.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid code' });
    // The mfa_token is single-use: spent on success, whatever comes after.
    nextStep(t);
    const reuse = await token().send({ grant_type: 'mfa_otp', mfa_token: mfaToken, otp: totpCode(u.secret, t.clock.now()) });
    expect(reuse.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid or expired mfa_token' });
    const events = await t.dataSource.getRepository(AuditEventEntity).find({ where: { actorId: u.userId } });
    const actions = events.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['mfa.enrol', 'login.mfa_required', 'login.success', 'login.mfa_failure']));
    const text = JSON.stringify(events);
    expect(text).not.toContain(u.secret);
    expect(text).not.toContain(mfaToken);
  });

  it('accepts ±1 step of skew and refuses codes two steps away', async () => {
    // A fresh user per case: each password step counts toward the lockout until a login completes.
    for (const [steps, status] of [
      [2, 400],
      [-2, 400],
      [-1, 200],
    ] as const) {
      const each = await userWithTotp(t);
      // The confirming code's step (now one behind) is spent; move past it.
      nextStep(t);
      const mfaToken = await firstStep(t, each.username, each.password);
      const res = await token().send({ grant_type: 'mfa_otp', mfa_token: mfaToken, otp: totpCode(each.secret, t.clock.now(), steps) });
      expect(res.status, `${steps} steps`).toBe(status);
    }
    const u = await userWithTotp(t);
    nextStep(t);
    nextStep(t);
    const ahead = await firstStep(t, u.username, u.password);
    expect((await token().send({ grant_type: 'mfa_otp', mfa_token: ahead, otp: totpCode(u.secret, t.clock.now(), 1) })).status).toBe(200);
    // A step at or before the last one used is never accepted again, even inside the window.
    const behind = await firstStep(t, u.username, u.password);
    expect((await token().send({ grant_type: 'mfa_otp', mfa_token: behind, otp: totpCode(u.secret, t.clock.now()) })).status).toBe(400);
  });

  it('the mfa_token is short-lived and bound to its user', async () => {
    const alice = await userWithTotp(t);
    const bob = await userWithTotp(t);
    const aliceToken = await firstStep(t, alice.username, alice.password);
    // Bob's valid code does not complete Alice's login.
    expect((await token().send({ grant_type: 'mfa_otp', mfa_token: aliceToken, otp: totpCode(bob.secret, t.clock.now()) })).status).toBe(400);
    const late = await firstStep(t, alice.username, alice.password);
    t.clock.advance(301);
    const res = await token().send({ grant_type: 'mfa_otp', mfa_token: late, otp: totpCode(alice.secret, t.clock.now()) });
    expect(res.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid or expired mfa_token' });
    for (const bad of ['', 'x', 'A'.repeat(43), { x: 1 }]) {
      const r = await t.http.post(`${API}/auth/token`).send({ grant_type: 'mfa_otp', mfa_token: bad, otp: '123456' });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(['invalid_request', 'invalid_grant']).toContain(r.body.error);
    }
    expect((await token().send({ grant_type: 'mfa_otp', mfa_token: late })).body).toEqual({ error: 'invalid_request', error_description: 'otp is required' });
  });

  it('an mfa_token dies when the password changes after the first step', async () => {
    const u = await userWithTotp(t);
    const mfaToken = await firstStep(t, u.username, u.password);
    t.clock.advance(1);
    const changed = await t.http
      .post(`${API}/users/${u.username}/password`)
      .set(bearer(await t.adminToken()))
      .send({ new_password: 'An0ther-good-passphrase' });
    expect(changed.status).toBe(204);
    const res = await token().send({ grant_type: 'mfa_otp', mfa_token: mfaToken, otp: totpCode(u.secret, t.clock.now()) });
    expect(res.body.error_description).toBe('Invalid or expired mfa_token');
  });

  it('wrong codes count like wrong passwords: after five, even the right code gets the lockout answer (SEC-99)', async () => {
    const u = await userWithTotp(t);
    let mfaToken = await firstStep(t, u.username, u.password);
    for (let i = 0; i < 5; i++) {
      if (i === 3) mfaToken = await firstStep(t, u.username, u.password).catch(() => mfaToken);
      await token().send({ grant_type: 'mfa_otp', mfa_token: mfaToken, otp: '000000' === totpCode(u.secret, t.clock.now()) ? '111111' : '000000' });
    }
    const fresh = await token().send({ grant_type: 'password', username: u.username, password: u.password });
    // Locked: the password grant answers the generic refusal, and so does the right code.
    expect(fresh.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid username or password' });
    const right = await token().send({ grant_type: 'mfa_otp', mfa_token: mfaToken, otp: totpCode(u.secret, t.clock.now()) });
    expect(right.status).toBe(400);
    const events = await t.dataSource.getRepository(AuditEventEntity).find({ where: { targetId: u.userId } });
    expect(events.map((e) => e.action)).toContain('user.lock');
    expect(events.filter((e) => e.action === 'login.mfa_failure').map((e) => e.details?.reason)).toContain('locked');
  });

  it('completes with a recovery code, each single-use; the count shows what is left', async () => {
    const u = await userWithTotp(t);
    const mfaToken = await firstStep(t, u.username, u.password);
    const typed = u.recoveryCodes[0].toUpperCase().replace('-', ' ');
    const res = await token().send({ grant_type: 'mfa_recovery_code', mfa_token: mfaToken, recovery_code: typed });
    expect(res.status).toBe(200);
    expect(decodePayload(res.body.access_token).amr).toEqual(['pwd', 'otp', 'mfa']);
    const again = await firstStep(t, u.username, u.password);
    const reuse = await token().send({ grant_type: 'mfa_recovery_code', mfa_token: again, recovery_code: u.recoveryCodes[0] });
    expect(reuse.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid code' });
    const state = await t.http.get(`${API}/users/${u.username}/mfa`).set(bearer(res.body.access_token));
    expect(state.body.recovery_codes.remaining).toBe(9);
  });

  it('set_cookies=true works on the final step', async () => {
    const u = await userWithTotp(t);
    const mfaToken = await firstStep(t, u.username, u.password);
    const res = await token().send({ grant_type: 'mfa_otp', mfa_token: mfaToken, otp: totpCode(u.secret, t.clock.now()), set_cookies: 'true' });
    expect(res.status).toBe(200);
    const cookies = (res.headers['set-cookie'] as unknown as string[]).map((c) => c.split('=')[0]);
    expect(cookies).toEqual(expect.arrayContaining(['access_token', 'refresh_token', 'csrf_token', 'fabric_device']));
  });

  it('removing TOTP needs a current factor; regenerating recovery codes too', async () => {
    const u = await userWithTotp(t);
    const mfaToken = await firstStep(t, u.username, u.password);
    const login = (await token().send({ grant_type: 'mfa_otp', mfa_token: mfaToken, otp: totpCode(u.secret, t.clock.now()) })).body;
    let session = login.access_token as string;
    nextStep(t);
    // The enrolling session signed in with the password only: no current factor.
    const refused = await t.http.delete(`${API}/users/${u.username}/mfa/totp`).set(bearer(u.token));
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('mfa_required');
    const wrong = await t.http
      .delete(`${API}/users/${u.username}/mfa/totp`)
      .set(bearer(u.token))
      .send({ otp: '000000' === totpCode(u.secret, t.clock.now()) ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    // Regenerate with a fresh second-factor session (within 15 minutes of its login).
    const regenerated = await t.http.post(`${API}/users/${u.username}/mfa/recovery-codes`).set(bearer(session));
    expect(regenerated.status).toBe(201);
    expect(regenerated.headers['cache-control']).toBe('no-store');
    expect(regenerated.body.recovery_codes).toHaveLength(10);
    const old = await firstStep(t, u.username, u.password);
    expect((await token().send({ grant_type: 'mfa_recovery_code', mfa_token: old, recovery_code: u.recoveryCodes[1] })).status).toBe(400);
    t.clock.advance(16 * 60);
    // Refreshing keeps the session (and its amr), but its second factor is no longer recent.
    session = (await token().send({ grant_type: 'refresh_token', refresh_token: login.refresh_token })).body.access_token;
    expect((await t.http.delete(`${API}/users/${u.username}/mfa/totp`).set(bearer(session))).status).toBe(403);
    const removed = await t.http
      .delete(`${API}/users/${u.username}/mfa/totp`)
      .set(bearer(session))
      .send({ otp: totpCode(u.secret, t.clock.now()) });
    expect(removed.status).toBe(204);
    // No factor left: the recovery codes went with it, and the password alone signs in.
    const state = await t.http.get(`${API}/users/${u.username}/mfa`).set(bearer(session));
    expect(state.body).toMatchObject({ factors: [], recovery_codes: { remaining: 0 } });
    expect((await token().send({ grant_type: 'password', username: u.username, password: u.password })).status).toBe(200);
  });

  it('an admin resets a user’s factors under the account ceiling (SEC-79), audited', async () => {
    const richer = await userWithTotp(t, ['auditor']);
    const plain = await userWithTotp(t);
    // Admins whose sessions used their own second factor (SEC-112).
    const userAdmin = (await steppedUpSession(t, await userWithTotp(t, ['user_admin']))).access_token;
    const over = await t.http.delete(`${API}/users/${richer.username}/mfa`).set(bearer(userAdmin));
    expect(over.status).toBe(403);
    const nobody = await t.actor();
    expect((await t.http.delete(`${API}/users/${plain.username}/mfa`).set(bearer(nobody.token))).status).toBe(403);
    const ok = await t.http.delete(`${API}/users/${plain.username}/mfa`).set(bearer(userAdmin));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ removed: 1 });
    expect((await token().send({ grant_type: 'password', username: plain.username, password: plain.password })).status).toBe(200);
    const auditingAdmin = (await steppedUpSession(t, await userWithTotp(t, ['user_admin', 'auditor']))).access_token;
    expect((await t.http.delete(`${API}/users/${richer.username}/mfa`).set(bearer(auditingAdmin))).status).toBe(200);
    const reset = await t.dataSource.getRepository(AuditEventEntity).findOneBy({ action: 'mfa.reset', targetId: plain.userId });
    expect(reset).toMatchObject({ actorId: decodePayload(userAdmin).sub, details: { by: 'admin', factors_removed: 1 } });
    // Nobody but the system admin touches the system admin's factors.
    expect((await t.http.delete(`${API}/users/admin/mfa`).set(bearer(userAdmin))).status).toBe(403);
    expect(ADMIN_PASSWORD).toBeTruthy();
  });

  it('pruning deletes used and expired mfa_tokens', async () => {
    const u = await userWithTotp(t);
    const used = await firstStep(t, u.username, u.password);
    await token().send({ grant_type: 'mfa_otp', mfa_token: used, otp: totpCode(u.secret, t.clock.now()) });
    await firstStep(t, u.username, u.password);
    const rows = () => t.dataSource.getRepository(MfaChallengeEntity).countBy({ userId: u.userId });
    expect(await rows()).toBe(2);
    t.clock.advance(301);
    const result = await t.app.get(PruningService).prune();
    expect(result?.mfaChallenges).toBeGreaterThanOrEqual(2);
    expect(await rows()).toBe(0);
  });

  it('a code accepted by one instance is refused by another sharing the database', async () => {
    const u = await userWithTotp(t);
    const other = await startTestApp(kind, { sharedDatabase: t.database });
    try {
      other.clock.advance((t.clock.now() - Date.now()) / 1000);
      const code = totpCode(u.secret, t.clock.now());
      const first = await firstStep(t, u.username, u.password);
      const second = await firstStep(other, u.username, u.password);
      const answers = await Promise.all([
        token().send({ grant_type: 'mfa_otp', mfa_token: first, otp: code }),
        other.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'mfa_otp', mfa_token: second, otp: code }),
      ]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    } finally {
      await other.close();
    }
  });
});
