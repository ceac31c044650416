import { AuditEventEntity, MfaFactorEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstStep, nextStep, steppedUpSession, totpCode, userWithTotp } from '../support/mfa.js';
import { SoftwareAuthenticator } from '../support/software-authenticator.js';
import { API, DATABASES, startTestApp, TEST_OPTIONS, type TestApp } from '../support/test-app.js';

/** Issue 19 item 12: the MFA, passkey and token surface attacked (SEC-111 … SEC-115). */
describe.each(DATABASES)('the second factor, attacked, on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(() => t?.close());

  const bearer = (access: string) => ({ Authorization: `Bearer ${access}` });
  const token = () => t.http.post(`${API}/auth/token`).type('form');
  const factorsOf = (userId: string) => t.dataSource.getRepository(MfaFactorEntity).find({ where: { userId }, select: { id: true, type: true, confirmedAt: true } });

  const steppedUp = async (u: Parameters<typeof steppedUpSession>[1]) => (await steppedUpSession(t, u)).access_token;

  describe('SEC-111: second-factor state is bound to the account', () => {
    const stateChanges: Array<[string, (u: Awaited<ReturnType<typeof userWithTotp>>) => Promise<void>]> = [
      [
        'a deactivation and reactivation',
        async (u) => {
          const admin = await t.adminToken();
          expect((await t.http.post(`${API}/users/${u.username}/deactivate`).set(bearer(admin))).status).toBe(200);
          expect((await t.http.post(`${API}/users/${u.username}/reactivate`).set(bearer(admin))).status).toBe(200);
        },
      ],
      [
        'a password change',
        async (u) => {
          const admin = await t.adminToken();
          expect((await t.http.post(`${API}/users/${u.username}/password`).set(bearer(admin)).send({ new_password: 'An0ther-horse-battery' })).status).toBe(204);
        },
      ],
      [
        'a factor added',
        async (u) => {
          const fresh = await steppedUp(u);
          const options = await t.http.post(`${API}/users/${u.username}/mfa/passkeys/options`).set(bearer(fresh));
          const added = await t.http
            .post(`${API}/users/${u.username}/mfa/passkeys`)
            .set(bearer(fresh))
            .send({ name: 'Key', credential: new SoftwareAuthenticator(t.origin).create(options.body) });
          expect(added.status, JSON.stringify(added.body)).toBe(201);
        },
      ],
    ];

    it.each(stateChanges)('an mfa_token taken before %s completes no login after it', async (_, change) => {
      const u = await userWithTotp(t);
      const mfaToken = await firstStep(t, u.username, u.password);
      await change(u);
      nextStep(t);
      const res = await token().send({ grant_type: 'mfa_otp', mfa_token: mfaToken, otp: totpCode(u.secret, t.clock.now()) });
      expect(res.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid or expired mfa_token' });
      expect((await token().send({ grant_type: 'mfa_recovery_code', mfa_token: mfaToken, recovery_code: u.recoveryCodes[0] })).status).toBe(400);
    });

    it('passkey options fetched while the account had no factor register nothing once it has one', async () => {
      const { user, token: passwordOnly } = await t.actor();
      const options = await t.http.post(`${API}/users/${user.username}/mfa/passkeys/options`).set(bearer(passwordOnly));
      expect(options.status).toBe(200);
      // The owner enrols TOTP meanwhile; the stolen password-only session then completes the ceremony.
      const { secret } = (await t.http.post(`${API}/users/${user.username}/mfa/totp`).set(bearer(passwordOnly))).body;
      expect(
        (
          await t.http
            .post(`${API}/users/${user.username}/mfa/totp/confirm`)
            .set(bearer(passwordOnly))
            .send({ code: totpCode(secret, t.clock.now()) })
        ).status,
      ).toBe(200);
      const res = await t.http
        .post(`${API}/users/${user.username}/mfa/passkeys`)
        .set(bearer(passwordOnly))
        .send({ name: 'Attacker', credential: new SoftwareAuthenticator(t.origin).create(options.body) });
      expect(res.status).toBe(400);
      expect((await factorsOf(user.id)).map((f) => f.type)).toEqual(['totp']);
    });

    it('a TOTP enrolment started before the account got a passkey is not confirmed by a password-only session', async () => {
      const { user, token: passwordOnly } = await t.actor();
      const { secret } = (await t.http.post(`${API}/users/${user.username}/mfa/totp`).set(bearer(passwordOnly))).body;
      const options = await t.http.post(`${API}/users/${user.username}/mfa/passkeys/options`).set(bearer(passwordOnly));
      expect(
        (
          await t.http
            .post(`${API}/users/${user.username}/mfa/passkeys`)
            .set(bearer(passwordOnly))
            .send({ name: 'Owner', credential: new SoftwareAuthenticator(t.origin).create(options.body) })
        ).status,
      ).toBe(201);
      const res = await t.http
        .post(`${API}/users/${user.username}/mfa/totp/confirm`)
        .set(bearer(passwordOnly))
        .send({ code: totpCode(secret, t.clock.now()) });
      expect(res.status).toBe(400);
      expect((await factorsOf(user.id)).map((f) => f.type)).toEqual(['passkey']);
    });

    it('the completion re-checks the rule itself: a factor that committed after the ceremony began needs a stepped-up session', async () => {
      // A factor written while the ceremony was already past its start (a race the voiding cannot see).
      const { user, token: passwordOnly } = await t.actor();
      const { secret } = (await t.http.post(`${API}/users/${user.username}/mfa/totp`).set(bearer(passwordOnly))).body;
      t.clock.advance(1);
      const now = new Date(t.clock.now());
      await t.dataSource
        .getRepository(MfaFactorEntity)
        .insert({ userId: user.id, type: 'passkey', name: 'Raced', createdAt: now, confirmedAt: now, credentialId: 'raced-credential', publicKey: 'AA', signCount: 0 });
      const res = await t.http
        .post(`${API}/users/${user.username}/mfa/totp/confirm`)
        .set(bearer(passwordOnly))
        .send({ code: totpCode(secret, t.clock.now()) });
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('mfa_required');
      expect((await factorsOf(user.id)).filter((f) => f.confirmedAt !== null).map((f) => f.type)).toEqual(['passkey']);
    });
  });

  describe('SEC-112: factor removal is interactive and stepped up', () => {
    async function keyOf(username: string): Promise<string> {
      const res = await t.http
        .post(`${API}/users/${username}/api-keys`)
        .set(bearer(await t.adminToken()))
        .send({ name: 'ci' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.key as string;
    }
    const confirmedFactors = async (userId: string) => (await factorsOf(userId)).filter((f) => f.confirmedAt !== null).length;

    it('an API key — a user-admin’s unscoped one, or the user’s own — removes and resets nobody’s factors (403)', async () => {
      const victim = await userWithTotp(t);
      const userAdmin = await userWithTotp(t, ['user_admin']);
      const adminKey = { 'x-api-key': await keyOf(userAdmin.username) };
      const ownKey = { 'x-api-key': await keyOf(userAdmin.username) };
      const victimKey = { 'x-api-key': await keyOf(victim.username) };
      const attempts = [
        t.http.delete(`${API}/users/${victim.username}/mfa`).set(adminKey),
        t.http.delete(`${API}/users/${victim.username}/mfa/totp`).set(adminKey),
        t.http.delete(`${API}/users/${userAdmin.username}/mfa`).set(ownKey),
        t.http.delete(`${API}/users/${userAdmin.username}/mfa/totp`).set(ownKey),
        t.http.post(`${API}/users/${userAdmin.username}/mfa/recovery-codes`).set(ownKey),
        t.http.delete(`${API}/users/${victim.username}/mfa`).set(victimKey),
        t.http.delete(`${API}/users/${victim.username}/mfa/totp`).set(victimKey),
      ];
      // Even with the right code in the body: a key is not a person at a login.
      nextStep(t);
      attempts.push(
        t.http
          .delete(`${API}/users/${victim.username}/mfa`)
          .set(victimKey)
          .send({ otp: totpCode(victim.secret, t.clock.now()) }),
      );
      for (const res of await Promise.all(attempts)) expect(res.status, JSON.stringify(res.body)).toBe(403);
      expect(await confirmedFactors(victim.userId)).toBe(1);
      expect(await confirmedFactors(userAdmin.userId)).toBe(1);
      expect((await token().send({ grant_type: 'password', username: victim.username, password: victim.password })).body.error).toBe('mfa_required');
    });

    it('an admin resetting a user who lost their device needs a session that used the admin’s own factor recently', async () => {
      const victim = await userWithTotp(t);
      const reset = (access: string) => t.http.delete(`${API}/users/${victim.username}/mfa`).set(bearer(access));
      // An admin with no factor of their own cannot step up: refused until they enrol one.
      const bare = await t.actor(['user_admin']);
      const noFactor = await reset(bare.token);
      expect(noFactor.status).toBe(403);
      expect(noFactor.body.error).toBe('mfa_required');
      // A session opened before the admin enrolled (password only).
      const userAdmin = await userWithTotp(t, ['user_admin']);
      expect((await reset(userAdmin.token)).body).toMatchObject({ statusCode: 403, error: 'mfa_required' });
      // A session that used the factor, refreshed past auth.mfa.step_up_seconds (900 s by default).
      const session = await steppedUpSession(t, userAdmin);
      t.clock.advance(901);
      const refreshed = await token().send({ grant_type: 'refresh_token', refresh_token: session.refresh_token });
      expect(refreshed.status).toBe(200);
      expect((await reset(refreshed.body.access_token)).body).toMatchObject({ statusCode: 403, error: 'mfa_required' });
      expect(await confirmedFactors(victim.userId)).toBe(1);
      const fresh = await reset(await steppedUp(userAdmin));
      expect(fresh.status, JSON.stringify(fresh.body)).toBe(200);
      expect(fresh.body).toEqual({ removed: 1 });
      expect(await confirmedFactors(victim.userId)).toBe(0);
    });

    it('a user’s own reset from a session that has not used a factor recently is 403 mfa_required', async () => {
      const u = await userWithTotp(t);
      const res = await t.http.delete(`${API}/users/${u.username}/mfa`).set(bearer(u.token));
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('mfa_required');
      expect((await t.http.delete(`${API}/users/${u.username}/mfa`).set(bearer(await steppedUp(u)))).status).toBe(200);
    });
  });

  it('10 parallel completions of one mfa_token with the right code: exactly one signs in, and nothing is locked', async () => {
    const u = await userWithTotp(t);
    const mfaToken = await firstStep(t, u.username, u.password);
    const code = totpCode(u.secret, t.clock.now());
    const answers = await Promise.all(Array.from({ length: 10 }, () => token().send({ grant_type: 'mfa_otp', mfa_token: mfaToken, otp: code })));
    const statuses = answers.map((a) => a.status);
    expect(
      statuses.filter((s) => s === 200),
      JSON.stringify(answers.map((a) => a.body)),
    ).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 200)) expect(a.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid or expired mfa_token' });
    // The double submit cost the user nothing: the next login completes.
    expect((await steppedUpSession(t, u)).access_token).toBeTruthy();
    expect(await t.dataSource.getRepository(AuditEventEntity).countBy({ action: 'user.lock', targetId: u.userId })).toBe(0);
  });
});

/** SEC-113 … SEC-115 need the lockout across addresses and the enrolment policy. */
describe.each(DATABASES)('the second factor, attacked, with lockout and policy on %s', (kind) => {
  let t: TestApp;
  let introspector: string;
  beforeAll(async () => {
    t = await startTestApp(kind, {
      options: {
        lockoutThreshold: 5,
        lockoutAccountThreshold: 20,
        trustedProxies: ['127.0.0.1'],
        mfa: { requiredFor: ['auditor'] },
        roles: { ...TEST_OPTIONS.roles, introspector: ['tokens:introspect'] },
      },
    });
    introspector = (await t.actor(['introspector'])).token;
  });
  afterAll(() => t?.close());

  let net = 0;
  const address = () => `198.51.${Math.floor(++net / 250)}.${(net % 250) + 1}`;
  const login = (username: string, password: string, from: string, extra: Record<string, unknown> = {}) =>
    t.http
      .post(`${API}/auth/token`)
      .set('x-forwarded-for', from)
      .send({ grant_type: 'password', username, password, ...extra });
  const introspect = (token: string) => t.http.post(`${API}/auth/introspect`).set('authorization', `Bearer ${introspector}`).type('form').send({ token });

  it('SEC-113: introspection of an enrolment-only session, its access or its refresh token, shows no permission', async () => {
    const { user, password } = await t.createUser({ roles: ['auditor', 'viewer'] });
    const limited = await login(user.username, password, address());
    expect(limited.body.mfa_enrollment_required).toBe(true);
    for (const presented of [limited.body.access_token, limited.body.refresh_token]) {
      const answer = await introspect(presented);
      expect(answer.body).toMatchObject({ active: true, sub: user.id, permissions: [], scope: '' });
    }
    // The refreshed session is the same limited session.
    const refreshed = await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'refresh_token', refresh_token: limited.body.refresh_token });
    expect((await introspect(refreshed.body.access_token)).body.permissions).toEqual([]);
    expect((await t.http.get(`${API}/audit`).set('authorization', `Bearer ${refreshed.body.access_token}`)).status).toBe(403);
  });

  it('SEC-114: six bogus assertions naming the owner’s passkey lock neither the owner’s password login nor the passkey elsewhere', async () => {
    const owner = await t.actor();
    const authenticator = new SoftwareAuthenticator(t.origin);
    const options = await t.http.post(`${API}/users/${owner.user.username}/mfa/passkeys/options`).set({ Authorization: `Bearer ${owner.token}` });
    expect(
      (
        await t.http
          .post(`${API}/users/${owner.user.username}/mfa/passkeys`)
          .set({ Authorization: `Bearer ${owner.token}` })
          .send({ name: 'Key', credential: authenticator.create(options.body) })
      ).status,
    ).toBe(201);
    const begin = (from: string, body: object = {}) => t.http.post(`${API}/auth/passkey/begin`).set('x-forwarded-for', from).send(body);
    const finish = (from: string, credential: unknown) => t.http.post(`${API}/auth/passkey/finish`).set('x-forwarded-for', from).send({ credential });
    // The stranger knows the credential id (public) but not the key: every assertion is refused.
    const stranger = address();
    for (let i = 0; i < 6; i++) {
      const bogus = authenticator.get((await begin(stranger)).body.options, { origin: 'https://evil.example' });
      expect((await finish(stranger, bogus)).status).toBe(400);
    }
    // From the stranger's address the passkey is locked, even for a good assertion.
    expect((await finish(stranger, authenticator.get((await begin(stranger)).body.options))).status).toBe(400);
    // The owner, elsewhere: the password still reaches the second step, and the passkey completes it.
    const home = address();
    const first = await login(owner.user.username, owner.password, home);
    expect(first.body.error, JSON.stringify(first.body)).toBe('mfa_required');
    const second = await finish(home, authenticator.get((await begin(home, { mfa_token: first.body.mfa_token })).body.options, { userVerified: false }));
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect((await finish(home, authenticator.get((await begin(home)).body.options))).status).toBe(200);
    const locks = await t.dataSource.getRepository(AuditEventEntity).findBy({ action: 'user.lock', targetId: owner.user.id });
    expect(locks.map((l) => l.details!.scope)).toEqual(['passkey']);
  });

  it('SEC-115: a device token issued before a password change opens nothing after it', async () => {
    const { user, password } = await t.createUser();
    const stale = (await login(user.username, password, address())).body.device_token as string;
    const newPassword = 'An0ther-horse-battery';
    expect(
      (
        await t.http
          .post(`${API}/users/${user.username}/password`)
          .set({ Authorization: `Bearer ${await t.adminToken()}` })
          .send({ new_password: newPassword })
      ).status,
    ).toBe(204);
    const fresh = (await login(user.username, newPassword, address())).body.device_token as string;
    expect(fresh).toMatch(/^d1\./);
    // A spread attack closes the password to clients without a (live) device token.
    for (let a = 0; a < 5; a++) {
      const from = address();
      for (let i = 0; i < 5; i++) await login(user.username, 'Wrong-password-1', from);
    }
    const through = (device: string) => login(user.username, newPassword, address(), { device_token: device });
    expect((await through(stale)).body).toEqual({ error: 'invalid_grant', error_description: 'Invalid username or password' });
    expect((await through(fresh)).status).toBe(200);
  });
});
