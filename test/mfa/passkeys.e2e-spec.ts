import { AuditEventEntity, MfaFactorEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePayload } from '../support/jwt-forge.js';
import { firstStep, nextStep, totpCode, userWithTotp } from '../support/mfa.js';
import { SoftwareAuthenticator } from '../support/software-authenticator.js';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

describe.each(DATABASES)('passkeys (WebAuthn) on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    // Passkey failures lock per (credential, client address) (SEC-114): tests pick their address.
    t = await startTestApp(kind, { options: { trustedProxies: ['127.0.0.1'] } });
  });
  afterAll(() => t?.close());

  const bearer = (access: string) => ({ Authorization: `Bearer ${access}` });
  let net = 0;
  const address = () => `198.51.100.${++net}`;
  const begin = (body: object = {}) => t.http.post(`${API}/auth/passkey/begin`).send(body);
  const finish = (credential: unknown, extra: object = {}, from = '127.0.0.1') =>
    t.http
      .post(`${API}/auth/passkey/finish`)
      .set('x-forwarded-for', from)
      .send({ credential, ...extra });

  /** A fresh user with one passkey on a fresh software authenticator. */
  async function userWithPasskey() {
    const actor = await t.actor();
    const authenticator = new SoftwareAuthenticator(t.origin);
    const options = await t.http.post(`${API}/users/${actor.user.username}/mfa/passkeys/options`).set(bearer(actor.token));
    expect(options.status).toBe(200);
    const registered = await t.http
      .post(`${API}/users/${actor.user.username}/mfa/passkeys`)
      .set(bearer(actor.token))
      .send({ name: 'Laptop', credential: authenticator.create(options.body) });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    return { ...actor, authenticator, passkeyId: registered.body.id as string, recoveryCodes: registered.body.recovery_codes as string[] };
  }

  it('registers a passkey: options bound to the user, verified, listed without key material; the first factor brings recovery codes', async () => {
    const u = await userWithPasskey();
    expect(u.recoveryCodes).toHaveLength(10);
    // Another passkey on an account that has one: from a session that used a second factor.
    const fresh = (await finish(u.authenticator.get((await begin()).body.options))).body.access_token as string;
    const options = await t.http.post(`${API}/users/${u.user.username}/mfa/passkeys/options`).set(bearer(fresh));
    expect(options.headers['cache-control']).toBe('no-store');
    expect(options.body).toMatchObject({ rp: { id: 'localhost', name: 'nestjs-fabric-auth' }, user: { name: u.user.username }, attestation: 'none' });
    expect(options.body.excludeCredentials).toHaveLength(1);
    const list = await t.http.get(`${API}/users/${u.user.username}/mfa/passkeys`).set(bearer(u.token));
    expect(list.body.items).toEqual([expect.objectContaining({ id: u.passkeyId, name: 'Laptop', last_used_at: expect.any(String) })]);
    expect(JSON.stringify(list.body)).not.toMatch(/public_?key/i);
    const state = await t.http.get(`${API}/users/${u.user.username}/mfa`).set(bearer(u.token));
    expect(state.body.factors).toEqual(['passkey', 'recovery_code']);
    const event = await t.dataSource.getRepository(AuditEventEntity).findOneBy({ action: 'mfa.enrol', targetId: u.user.id });
    expect(event?.details).toMatchObject({ factor: 'passkey' });
  });

  it('refuses a registration from another origin or RP ID, with another user’s challenge, or a replayed challenge', async () => {
    const alice = await t.actor();
    const bob = await t.actor();
    const authenticator = new SoftwareAuthenticator(t.origin);
    const register = (who: typeof alice, credential: unknown) =>
      t.http.post(`${API}/users/${who.user.username}/mfa/passkeys`).set(bearer(who.token)).send({ name: 'Key', credential });
    const optionsFor = async (who: typeof alice) => (await t.http.post(`${API}/users/${who.user.username}/mfa/passkeys/options`).set(bearer(who.token))).body;
    expect((await register(alice, authenticator.create(await optionsFor(alice), { origin: 'https://evil.example' }))).status).toBe(400);
    // No public_base_url: the expected origin is the port this app listens on, not a constant one.
    expect(t.origin).not.toBe('http://localhost:3000');
    expect((await register(alice, authenticator.create(await optionsFor(alice), { origin: 'http://localhost:3000' }))).status).toBe(400);
    expect((await register(alice, authenticator.create(await optionsFor(alice), { rpId: 'evil.example' }))).status).toBe(400);
    expect((await register(alice, authenticator.create(await optionsFor(bob)))).status).toBe(400);
    const options = await optionsFor(alice);
    const credential = authenticator.create(options);
    expect((await register(alice, credential)).status).toBe(201);
    expect((await register(alice, authenticator.create(options))).status).toBe(400);
    for (const bad of [{}, { type: 'public-key' }, { id: 'x', rawId: 'x', type: 'public-key', response: { clientDataJSON: '!!', attestationObject: 'AA' } }, 'text', null]) {
      const res = await register(alice, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    // Only the owner registers, and only through a session.
    expect((await t.http.post(`${API}/users/${alice.user.username}/mfa/passkeys/options`).set(bearer(bob.token))).status).toBe(403);
  });

  it('signs in passwordless with user verification: the same token pair, amr hwk mfa', async () => {
    const u = await userWithPasskey();
    const started = await begin();
    expect(started.status).toBe(200);
    expect(started.headers['cache-control']).toBe('no-store');
    expect(started.body.options).toMatchObject({ rpId: 'localhost', userVerification: 'required', allowCredentials: [] });
    const res = await finish(u.authenticator.get(started.body.options));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    expect(decodePayload(res.body.access_token)).toMatchObject({ sub: u.user.id, amr: ['hwk', 'mfa'] });
    const me = await t.http.get(`${API}/auth/me`).set(bearer(res.body.access_token));
    expect(me.body.username).toBe(u.user.username);
    const cookies = await finish(u.authenticator.get((await begin()).body.options), { set_cookies: true });
    expect((cookies.headers['set-cookie'] as unknown as string[]).map((c) => c.split('=')[0])).toEqual(expect.arrayContaining(['access_token', 'refresh_token', 'csrf_token']));
  });

  it('is the second factor of a password login: mfa_required lists passkey; the assertion completes it once', async () => {
    const u = await userWithPasskey();
    const res = await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'password', username: u.user.username, password: u.password });
    expect(res.body).toMatchObject({ error: 'mfa_required', factors: ['passkey', 'recovery_code'] });
    const started = await begin({ mfa_token: res.body.mfa_token });
    expect(started.body.options.allowCredentials).toEqual([expect.objectContaining({ id: u.authenticator.credentials[0].id.toString('base64url') })]);
    const done = await finish(u.authenticator.get(started.body.options, { userVerified: false }));
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(decodePayload(done.body.access_token).amr).toEqual(['pwd', 'hwk', 'mfa']);
    // The mfa_token is spent: a second ceremony on it is refused at the start.
    expect((await begin({ mfa_token: res.body.mfa_token })).body).toEqual({ error: 'invalid_grant', error_description: 'Invalid or expired mfa_token' });
    const factor = await t.dataSource.getRepository(MfaFactorEntity).findOneBy({ id: u.passkeyId });
    expect(factor?.signCount).toBe(1);
    expect(factor?.lastUsedAt).not.toBeNull();
  });

  it('refuses wrong origin, wrong RP ID, a replayed challenge, another user’s challenge, a counter regression, no user verification when passwordless (SEC-101)', async () => {
    const alice = await userWithPasskey();
    const bob = await userWithPasskey();
    // Each refusal from its own address, so each is refused for its own reason, never for the
    // lock that the failures before it set on their address (SEC-114, asserted below).
    const refused = async (credential: unknown, why: string, from = address()) => {
      const res = await finish(credential, {}, from);
      expect(res.status, why).toBe(400);
      expect(res.body, why).toEqual({ error: 'invalid_grant', error_description: 'The passkey was not accepted' });
    };
    await refused(alice.authenticator.get((await begin()).body.options, { origin: 'https://evil.example' }), 'origin');
    await refused(alice.authenticator.get((await begin()).body.options, { rpId: 'evil.example' }), 'rp id');
    await refused(alice.authenticator.get((await begin()).body.options, { userVerified: false }), 'no user verification, passwordless');
    const options = (await begin()).body.options;
    const assertion = alice.authenticator.get(options);
    expect((await finish(assertion)).status).toBe(200);
    await refused(assertion, 'replayed assertion');
    await refused(alice.authenticator.get(options), 'replayed challenge, new signature');
    // A challenge minted for Alice's login answered with Bob's passkey.
    const aliceStep = await firstStep(t, alice.user.username, alice.password);
    await refused(bob.authenticator.get((await begin({ mfa_token: aliceStep })).body.options), 'another user’s challenge');
    // A cloned authenticator: a count at or below the last one seen.
    const seen = (await t.dataSource.getRepository(MfaFactorEntity).findOneByOrFail({ id: alice.passkeyId })).signCount;
    expect(seen).toBeGreaterThan(1);
    await refused(alice.authenticator.get((await begin()).body.options, { counter: seen }), 'counter regression');
    await refused(alice.authenticator.get((await begin()).body.options, { counter: 1 }), 'counter regression');
    expect((await finish(alice.authenticator.get((await begin()).body.options, { counter: seen + 5 }), {}, address())).status).toBe(200);
    // Refusals from one address lock the passkey there (threshold 5), a good assertion included,
    // while the owner elsewhere still signs in with it.
    const attacker = address();
    for (let i = 0; i < 5; i++) await refused(alice.authenticator.get((await begin()).body.options, { origin: 'https://evil.example' }), `bogus ${i}`, attacker);
    await refused(alice.authenticator.get((await begin()).body.options), 'locked address', attacker);
    expect((await finish(alice.authenticator.get((await begin()).body.options), {}, address())).status).toBe(200);
    // A challenge that expired.
    const late = (await begin()).body.options;
    t.clock.advance(301);
    await refused(alice.authenticator.get(late), 'expired challenge');
    for (const bad of [
      undefined,
      'x',
      { type: 'public-key' },
      { id: 'a', rawId: 'a', type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' } },
    ]) {
      const res = await t.http.post(`${API}/auth/passkey/finish`).send(bad === undefined ? {} : { credential: bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(['invalid_request', 'invalid_grant']).toContain(res.body.error);
    }
    expect((await t.http.post(`${API}/auth/passkey/begin`).send({ mfa_token: 7 })).status).toBe(400);
    expect((await t.http.post(`${API}/auth/passkey/begin`).send({ other: 1 })).body.error).toBe('invalid_request');
    const failures = await t.dataSource.getRepository(AuditEventEntity).findBy({ action: 'login.mfa_failure', targetId: alice.user.id });
    expect(failures.length).toBeGreaterThanOrEqual(5);
  });

  it('an admin unlock clears the passkey locks of the account, from every address', async () => {
    const u = await userWithPasskey();
    const [one, two] = [address(), address()];
    for (const from of [one, two]) {
      for (let i = 0; i < 5; i++) expect((await finish(u.authenticator.get((await begin()).body.options, { rpId: 'evil.example' }), {}, from)).status).toBe(400);
      expect((await finish(u.authenticator.get((await begin()).body.options), {}, from)).status).toBe(400);
    }
    const locks = await t.dataSource.getRepository(AuditEventEntity).findBy({ action: 'user.lock', targetId: u.user.id });
    expect(locks.map((l) => l.details!.scope)).toEqual(['passkey', 'passkey']);
    expect((await t.http.post(`${API}/users/${u.user.username}/unlock`).set(bearer(await t.adminToken()))).status).toBe(204);
    for (const from of [one, two]) expect((await finish(u.authenticator.get((await begin()).body.options), {}, from)).status).toBe(200);
  });

  it('adding a factor to an account that has one needs a current factor: a password-only session cannot add its own', async () => {
    const u = await userWithTotp(t);
    const options = (body?: object) => t.http.post(`${API}/users/${u.username}/mfa/passkeys/options`).set(bearer(u.token)).send(body);
    const refused = await options();
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('mfa_required');
    expect((await options({ otp: '000000' === totpCode(u.secret, t.clock.now()) ? '111111' : '000000' })).status).toBe(400);
    nextStep(t);
    const proved = await options({ otp: totpCode(u.secret, t.clock.now()) });
    expect(proved.status).toBe(200);
    const registered = await t.http
      .post(`${API}/users/${u.username}/mfa/passkeys`)
      .set(bearer(u.token))
      .send({ name: 'Second', credential: new SoftwareAuthenticator(t.origin).create(proved.body) });
    expect(registered.status).toBe(201);
    // Not the first factor: no new recovery codes.
    expect(registered.body.recovery_codes).toBeUndefined();
  });

  it('renames and removes a passkey (removal needs a current factor); a removed passkey signs nobody in', async () => {
    const u = await userWithPasskey();
    const path = `${API}/users/${u.user.username}/mfa/passkeys/${u.passkeyId}`;
    expect((await t.http.patch(path).set(bearer(u.token)).send({ name: 'Work laptop' })).status).toBe(204);
    expect((await t.http.patch(path).set(bearer(u.token)).send({ name: 'a\u202eb' })).status).toBe(400);
    expect((await t.http.patch(`${API}/users/${u.user.username}/mfa/passkeys/not-a-uuid`).set(bearer(u.token)).send({ name: 'x' })).status).toBe(404);
    const list = await t.http.get(`${API}/users/${u.user.username}/mfa/passkeys`).set(bearer(u.token));
    expect(list.body.items[0].name).toBe('Work laptop');
    // The registering session used the password only: no current factor.
    expect((await t.http.delete(path).set(bearer(u.token))).status).toBe(403);
    const signedIn = (await finish(u.authenticator.get((await begin()).body.options))).body.access_token as string;
    expect((await t.http.delete(path).set(bearer(signedIn))).status).toBe(204);
    const res = await finish(u.authenticator.get((await begin()).body.options));
    expect(res.status).toBe(400);
    const state = await t.http.get(`${API}/users/${u.user.username}/mfa`).set(bearer(signedIn));
    expect(state.body).toMatchObject({ factors: [], passkeys: [], recovery_codes: { remaining: 0 } });
  });

  it('an http public_base_url on another host: the app starts, passkey ceremonies are not offered (a browser would refuse them), other sign-ins work', async () => {
    const lan = await startTestApp(kind, { options: { publicBaseUrl: 'http://auth.internal.example:8080' } });
    try {
      const actor = await lan.actor();
      const options = await lan.http.post(`${API}/users/${actor.user.username}/mfa/passkeys/options`).set(bearer(actor.token));
      expect(options.status).toBe(404);
      expect(options.body.message).toBe('Passkeys are not available on this server');
      const passwordless = await lan.http.post(`${API}/auth/passkey/begin`).send({});
      expect(passwordless.status).toBe(404);
      expect(passwordless.body).toEqual({ error: 'invalid_request', error_description: 'Passkeys are not available on this server' });
      expect((await lan.http.get(`${API}/auth/me`).set(bearer(actor.token))).status).toBe(200);
    } finally {
      await lan.close();
    }
  });
});
