import { AuditEventEntity, OneTimeTokenEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

let seq = 0;

describe.each(DATABASES)('activation and password reset on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(kind, { options: { publicBaseUrl: 'https://app.example.com' } });
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const post = (path: string, body: object) => t.http.post(`${API}${path}`).send(body);
  const lastTokenFor = (username: string, purpose: string) => t.notifications.findLast((n) => n.user.username === username && n.purpose === purpose)?.token;
  /** The reset link is issued after the 202 (same answer for unknown accounts): wait for it. */
  const settle = (user: { id: string }) => t.nextNotification(user.id);

  async function requestReset(user: { id: string; email: string | null }) {
    const settled = settle(user);
    const res = await post('/auth/password-reset', { email: user.email });
    expect(res.status).toBe(202);
    await settled;
  }

  describe('activation', () => {
    async function invited() {
      const username = `invitee${++seq}x${process.pid}`;
      await t.http
        .post(`${API}/users`)
        .auth(admin, { type: 'bearer' })
        .send({ username, email: `${username}@example.test` });
      return { username, token: lastTokenFor(username, 'activation')! };
    }

    it('sets the first password with the token from the link, once', async () => {
      const { username, token } = await invited();
      const message = t.notifications.findLast((n) => n.token === token)!;
      expect(message.link).toBe(`https://app.example.com/activate?token=${token}`);
      expect((await post('/auth/activate', { token, password: 'First-light-2049' })).status).toBe(204);
      expect((await t.login(username, 'First-light-2049')).access_token).toBeTruthy();
      expect((await post('/auth/activate', { token, password: 'Second-light-2049' })).status).toBe(400);
    });

    it('refuses a policy-breaking password without spending the token', async () => {
      const { username, token } = await invited();
      expect((await post('/auth/activate', { token, password: 'short' })).status).toBe(400);
      expect((await post('/auth/activate', { token, password: username })).status).toBe(400);
      expect((await post('/auth/activate', { token, password: 'First-light-2049' })).status).toBe(204);
    });

    it('expires', async () => {
      const { token } = await invited();
      t.clock.advance(259_200 + 1);
      try {
        const res = await post('/auth/activate', { token, password: 'First-light-2049' });
        expect(res.status).toBe(400);
        expect(res.body.message).toBe('Invalid or expired token');
      } finally {
        t.clock.reset();
      }
    });

    it('an activation token is not a reset token, nor a Bearer token', async () => {
      const { token } = await invited();
      expect((await post('/auth/password-reset/confirm', { token, new_password: 'First-light-2049' })).status).toBe(400);
      expect((await t.http.get(`${API}/auth/me`).auth(token, { type: 'bearer' })).status).toBe(401);
    });
  });

  describe('password reset', () => {
    it('answers the same for a known and an unknown account, and never returns the token', async () => {
      const { user } = await t.createUser();
      const settled = settle(user);
      const known = await post('/auth/password-reset', { email: user.email });
      const unknown = await post('/auth/password-reset', { email: 'nobody@example.test' });
      expect(known.status).toBe(202);
      expect(unknown.status).toBe(202);
      expect(known.body).toEqual(unknown.body);
      expect(known.body).toEqual({ detail: 'If the account exists, a reset link has been sent' });
      await settled;
      const token = lastTokenFor(user.username, 'password_reset')!;
      expect(known.text).not.toContain(token);
    });

    it('builds the link from the configured base URL, whatever the Host header says (SEC-61)', async () => {
      const { user } = await t.createUser();
      const settled = settle(user);
      await t.http.post(`${API}/auth/password-reset`).set('host', 'evil.example').set('x-forwarded-host', 'evil.example').send({ email: user.email });
      await settled;
      const message = t.notifications.findLast((n) => n.user.id === user.id)!;
      expect(message.link.startsWith('https://app.example.com/reset-password?token=')).toBe(true);
    });

    it('confirming sets the password, revokes every session, and the token works once (SEC-56, SEC-60)', async () => {
      const { user, password } = await t.createUser();
      const session = await t.login(user.username, password);
      await requestReset(user);
      const token = lastTokenFor(user.username, 'password_reset')!;
      expect((await post('/auth/password-reset/confirm', { token, new_password: 'Brand-new-pass-1' })).status).toBe(204);
      expect((await t.http.get(`${API}/auth/me`).auth(session.access_token, { type: 'bearer' })).status).toBe(401);
      expect((await post('/auth/token', { grant_type: 'refresh_token', refresh_token: session.refresh_token })).status).toBe(400);
      expect((await t.login(user.username, 'Brand-new-pass-1')).access_token).toBeTruthy();
      expect((await post('/auth/password-reset/confirm', { token, new_password: 'Other-new-pass-2' })).status).toBe(400);
      const events = await t.dataSource.getRepository(AuditEventEntity).findBy({ action: 'user.password_reset', targetId: user.id });
      expect(events).toHaveLength(1);
    });

    it('10 parallel uses of one token: exactly one succeeds', async () => {
      const { user } = await t.createUser();
      await requestReset(user);
      const token = lastTokenFor(user.username, 'password_reset')!;
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => post('/auth/password-reset/confirm', { token, new_password: `Parallel-pass-${i}x` })));
      expect(answers.filter((a) => a.status === 204)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 400)).toHaveLength(9);
    });

    it('a newer request voids the older token (SEC-59)', async () => {
      const { user } = await t.createUser();
      await requestReset(user);
      const first = lastTokenFor(user.username, 'password_reset')!;
      await requestReset(user);
      const second = lastTokenFor(user.username, 'password_reset')!;
      expect(second).not.toBe(first);
      expect((await post('/auth/password-reset/confirm', { token: first, new_password: 'Brand-new-pass-1' })).status).toBe(400);
      expect((await post('/auth/password-reset/confirm', { token: second, new_password: 'Brand-new-pass-1' })).status).toBe(204);
    });

    it('expires within the hour (SEC-57)', async () => {
      const { user } = await t.createUser();
      await requestReset(user);
      const token = lastTokenFor(user.username, 'password_reset')!;
      t.clock.advance(3601);
      try {
        expect((await post('/auth/password-reset/confirm', { token, new_password: 'Brand-new-pass-1' })).status).toBe(400);
      } finally {
        t.clock.reset();
      }
    });

    it('a deactivated account gets no link and cannot be re-enabled through reset (SEC-19)', async () => {
      const { user } = await t.createUser();
      await requestReset(user);
      const token = lastTokenFor(user.username, 'password_reset')!;
      await t.http.post(`${API}/users/${user.username}/deactivate`).auth(admin, { type: 'bearer' });
      expect((await post('/auth/password-reset/confirm', { token, new_password: 'Brand-new-pass-1' })).status).toBe(400);
      const before = t.notifications.length;
      expect((await post('/auth/password-reset', { email: user.email })).status).toBe(202);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(t.notifications.length).toBe(before);
    });

    it.each([
      ['no token', { new_password: 'Brand-new-pass-1' }],
      ['a null token', { token: null, new_password: 'Brand-new-pass-1' }],
      ['an object token', { token: { $ne: null }, new_password: 'Brand-new-pass-1' }],
      ['an email binding', { token: 'A'.repeat(43), email: 'bob@example.test', new_password: 'Brand-new-pass-1' }],
      ['an empty body', {}],
    ])('refuses %s with 400 (SEC-41, SEC-59)', async (_, body) => {
      expect((await post('/auth/password-reset/confirm', body)).status).toBe(400);
    });

    it('refuses a request body without an email or username', async () => {
      expect((await post('/auth/password-reset', {})).status).toBe(400);
      expect((await post('/auth/password-reset', { email: { $ne: null } })).status).toBe(400);
    });

    it('stores only digests of one-time tokens (SEC-58)', async () => {
      const { user } = await t.createUser();
      await requestReset(user);
      const token = lastTokenFor(user.username, 'password_reset')!;
      const rows = await t.dataSource.getRepository(OneTimeTokenEntity).findBy({ userId: user.id });
      expect(JSON.stringify(rows)).not.toContain(token);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });
  });
});
