import { AuditEventEntity, SessionEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePayload } from '../support/jwt-forge.js';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

describe.each(DATABASES)('POST /auth/token on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(() => t?.close());

  const token = () => t.http.post(`${API}/auth/token`);

  describe('grant_type=password', () => {
    it('answers RFC 6749 tokens to a form-encoded login, uncacheable', async () => {
      const { user, password } = await t.createUser();
      const res = await token().type('form').send({ grant_type: 'password', username: user.username, password });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
      expect(Object.keys(res.body).sort()).toEqual(['access_token', 'device_token', 'expires_in', 'refresh_token', 'token_type']);
      expect(res.body.token_type).toBe('bearer');
      expect(res.body.expires_in).toBe(900);
      const claims = decodePayload(res.body.access_token);
      expect(claims).toMatchObject({ iss: 'nestjs-fabric-auth', aud: 'nestjs-fabric-auth', sub: user.id, typ: 'access' });
      expect((claims.exp as number) - (claims.iat as number)).toBe(900);
      for (const claim of ['sid', 'jti', 'nbf']) expect(claims[claim]).toBeDefined();
      expect(JSON.parse(Buffer.from(res.body.access_token.split('.')[0], 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    });

    it('accepts JSON, and the username in any case or width', async () => {
      const { user, password } = await t.createUser();
      const res = await token().send({ grant_type: 'password', username: user.username.toUpperCase(), password });
      expect(res.status).toBe(200);
      const me = await t.http.get(`${API}/auth/me`).auth(res.body.access_token, { type: 'bearer' });
      expect(me.body.username).toBe(user.username);
    });

    it('answers unknown user, wrong password and deactivated user identically', async () => {
      const { user, password } = await t.createUser();
      const { user: gone, password: gonePassword } = await t.createUser();
      await t.users.deactivate(gone.id);
      const answers = await Promise.all([
        token().type('form').send({ grant_type: 'password', username: 'nobody-here', password }),
        token()
          .type('form')
          .send({ grant_type: 'password', username: user.username, password: `${password}x` }),
        token().type('form').send({ grant_type: 'password', username: gone.username, password: gonePassword }),
      ]);
      for (const res of answers) {
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid username or password' });
        expect(res.headers['cache-control']).toBe('no-store');
      }
    });

    it('never matches on a truncated password beyond 72 bytes', async () => {
      const base = 'Ab1-'.repeat(18); // exactly 72 bytes
      const { user } = await t.createUser({ password: base });
      expect((await token().send({ grant_type: 'password', username: user.username, password: base })).status).toBe(200);
      const longer = await token().send({ grant_type: 'password', username: user.username, password: `${base}tail` });
      expect(longer.status).toBe(400);
      expect(longer.body.error).toBe('invalid_grant');
    });

    it('refuses an over-long password field before hashing', async () => {
      const started = Date.now();
      const res = await token().send({ grant_type: 'password', username: 'admin', password: 'x'.repeat(5000) });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_request', error_description: 'password is too long' });
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('writes login success and failure to the audit log without the password', async () => {
      const { user, password } = await t.createUser();
      await token().send({ grant_type: 'password', username: user.username, password: 'Wr0ng-password!!' });
      await t.login(user.username, password);
      const events = await t.dataSource.getRepository(AuditEventEntity).find({ where: { actorId: user.id } });
      expect(events.map((e) => e.action).sort()).toEqual(['login.failure', 'login.success']);
      expect(JSON.stringify(events)).not.toContain(password);
      expect(JSON.stringify(events)).not.toContain('Wr0ng-password!!');
    });
  });

  describe('malformed requests', () => {
    const cases: Array<[string, Record<string, unknown>, string, string]> = [
      ['no grant_type', { username: 'a', password: 'b' }, 'invalid_request', 'grant_type is required'],
      [
        'unknown grant_type',
        { grant_type: 'authorization_code' },
        'unsupported_grant_type',
        'grant_type must be password, refresh_token, client_credentials, mfa_otp or mfa_recovery_code',
      ],
      ['missing password', { grant_type: 'password', username: 'admin' }, 'invalid_request', 'password is required'],
      ['username of the wrong type', { grant_type: 'password', username: 12, password: 'x' }, 'invalid_request', 'username must be a string'],
      ['object injection', { grant_type: 'password', username: { $ne: null }, password: 'x' }, 'invalid_request', 'username must be a string'],
      ['unknown field', { grant_type: 'password', username: 'a', password: 'b', is_admin: true }, 'invalid_request', 'unknown parameter: is_admin'],
      ['bad set_cookies', { grant_type: 'password', username: 'a', password: 'b', set_cookies: 'yes' }, 'invalid_request', 'set_cookies must be true or false'],
    ];
    it.each(cases)('%s → 400 %s', async (_, body, error, description) => {
      const res = await token().send(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error, error_description: description });
    });

    it('a body that is neither form nor JSON is an invalid_request', async () => {
      const res = await token().set('content-type', 'text/plain').send('grant_type=password');
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });
  });

  describe('grant_type=refresh_token', () => {
    it('rotates the refresh token on every use', async () => {
      const { user, password } = await t.createUser();
      const first = await t.login(user.username, password);
      const res = await token().type('form').send({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.refresh_token).not.toBe(first.refresh_token);
      expect(decodePayload(res.body.access_token).sid).toBe(decodePayload(first.access_token).sid);
      const again = await token().send({ grant_type: 'refresh_token', refresh_token: res.body.refresh_token });
      expect(again.status).toBe(200);
    });

    it('a replayed, rotated refresh token revokes the whole session and is audited', async () => {
      const { user, password } = await t.createUser();
      const r1 = await t.login(user.username, password);
      const r2 = (await token().send({ grant_type: 'refresh_token', refresh_token: r1.refresh_token })).body;
      const replay = await token().send({ grant_type: 'refresh_token', refresh_token: r1.refresh_token });
      expect(replay.status).toBe(400);
      expect(replay.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid or expired refresh token' });
      expect((await token().send({ grant_type: 'refresh_token', refresh_token: r2.refresh_token })).status).toBe(400);
      expect((await t.http.get(`${API}/auth/me`).auth(r2.access_token, { type: 'bearer' })).status).toBe(401);
      const sid = decodePayload(r1.access_token).sid as string;
      const session = await t.dataSource.getRepository(SessionEntity).findOneByOrFail({ id: sid });
      expect(session.revokedReason).toBe('refresh_reuse');
      const events = await t.dataSource.getRepository(AuditEventEntity).find({ where: { action: 'token.refresh_reuse', targetId: sid } });
      expect(events).toHaveLength(1);
    });

    it('a forged refresh token naming a live session is refused without revoking it', async () => {
      const { user, password } = await t.createUser();
      const r1 = await t.login(user.username, password);
      const [sid, random] = r1.refresh_token.split('.');
      const forged = `${sid}.${random}.${'A'.repeat(43)}`;
      expect((await token().send({ grant_type: 'refresh_token', refresh_token: forged })).status).toBe(400);
      expect((await token().send({ grant_type: 'refresh_token', refresh_token: r1.refresh_token })).status).toBe(200);
    });

    it('an access token is not a refresh token, and garbage is refused', async () => {
      const { user, password } = await t.createUser();
      const r1 = await t.login(user.username, password);
      for (const refresh_token of [r1.access_token, 'garbage', `${'x'.repeat(300)}`]) {
        const res = await token().send({ grant_type: 'refresh_token', refresh_token });
        expect(res.status).toBe(400);
        expect(res.body.error).toBe('invalid_grant');
      }
    });

    it('expires after refresh_token_expire of idleness', async () => {
      const { user, password } = await t.createUser();
      const r1 = await t.login(user.username, password);
      t.clock.advance(86_400 + 1);
      try {
        const res = await token().send({ grant_type: 'refresh_token', refresh_token: r1.refresh_token });
        expect(res.status).toBe(400);
        expect(res.body.error).toBe('invalid_grant');
      } finally {
        t.clock.reset();
      }
    });

    it('a deactivated user cannot refresh', async () => {
      const { user, password } = await t.createUser();
      const r1 = await t.login(user.username, password);
      await t.users.deactivate(user.id);
      const res = await token().send({ grant_type: 'refresh_token', refresh_token: r1.refresh_token });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
    });

    it('of 20 parallel refreshes with one token exactly one succeeds, and the old token is dead (SEC-13)', async () => {
      const { user, password } = await t.createUser();
      const r1 = await t.login(user.username, password);
      const answers = await Promise.all(Array.from({ length: 20 }, () => token().send({ grant_type: 'refresh_token', refresh_token: r1.refresh_token })));
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 400)).toHaveLength(19);
      expect((await token().send({ grant_type: 'refresh_token', refresh_token: r1.refresh_token })).status).toBe(400);
    });

    it('without refresh_token or cookie it is an invalid_request', async () => {
      const res = await token().send({ grant_type: 'refresh_token' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_request', error_description: 'refresh_token is required' });
    });
  });

  it('stores no refresh token in clear', async () => {
    const { user, password } = await t.createUser();
    const r1 = await t.login(user.username, password);
    const rows = await t.dataSource.query('SELECT refresh_token_hash FROM sessions');
    expect(JSON.stringify(rows)).not.toContain(r1.refresh_token);
    expect(JSON.stringify(rows)).not.toContain(r1.refresh_token.split('.')[1]);
  });
});
