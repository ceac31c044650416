import { AuditEventEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

const INVALID = { error: 'invalid_grant', error_description: 'Invalid username or password' };

describe.each(DATABASES)('account lockout on %s (SEC-22, SEC-24, SEC-25)', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(kind, { options: { lockoutThreshold: 5, lockoutDuration: 60, lockoutMaxDuration: 600 } });
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const attempt = (username: string, password: string) => t.http.post(`${API}/auth/token`).send({ grant_type: 'password', username, password });
  const events = (action: string, targetId: string) => t.dataSource.getRepository(AuditEventEntity).countBy({ action, targetId });

  it('locks after the threshold: the right password then gets the wrong-password answer', async () => {
    const { user, password } = await t.createUser();
    for (let i = 0; i < 5; i++) expect((await attempt(user.username, 'Wrong-password-1')).body).toEqual(INVALID);
    const locked = await attempt(user.username, password);
    expect(locked.status).toBe(400);
    expect(locked.body).toEqual(INVALID);
    expect(await events('user.lock', user.id)).toBe(1);
  });

  it('the lock expires, and the next lock lasts twice as long', async () => {
    const { user, password } = await t.createUser();
    for (let i = 0; i < 5; i++) await attempt(user.username, 'Wrong-password-1');
    t.clock.advance(61);
    try {
      await attempt(user.username, 'Wrong-password-1');
      t.clock.advance(61);
      expect((await attempt(user.username, password)).status).toBe(400);
      t.clock.advance(60);
      expect((await attempt(user.username, password)).status).toBe(200);
    } finally {
      t.clock.reset();
    }
  });

  it('a lock never ends existing sessions and never blocks a password reset, which clears it', async () => {
    const { user, password } = await t.createUser();
    const session = await t.login(user.username, password);
    for (let i = 0; i < 6; i++) await attempt(user.username, 'Wrong-password-1');
    expect((await t.http.get(`${API}/auth/me`).auth(session.access_token, { type: 'bearer' })).status).toBe(200);
    const link = t.nextNotification(user.id, 'password_reset');
    expect((await t.http.post(`${API}/auth/password-reset`).send({ email: user.email })).status).toBe(202);
    const { token } = await link;
    expect((await t.http.post(`${API}/auth/password-reset/confirm`).send({ token, new_password: 'After-reset-pass-1' })).status).toBe(204);
    expect((await attempt(user.username, 'After-reset-pass-1')).status).toBe(200);
  });

  it('an admin clears a lock; lock and unlock are audited', async () => {
    const { user, password } = await t.createUser();
    for (let i = 0; i < 5; i++) await attempt(user.username, 'Wrong-password-1');
    const helpdesk = await t.actor(['viewer']);
    expect((await t.http.post(`${API}/users/${user.username}/unlock`).auth(helpdesk.token, { type: 'bearer' })).status).toBe(403);
    expect((await t.http.post(`${API}/users/${user.username}/unlock`).auth(admin, { type: 'bearer' })).status).toBe(204);
    expect((await attempt(user.username, password)).status).toBe(200);
    expect(await events('user.lock', user.id)).toBe(1);
    expect(await events('user.unlock', user.id)).toBe(1);
  });

  it('50 concurrent wrong attempts: every one counted, one lock, no overshoot', async () => {
    const { user, password } = await t.createUser();
    const answers = await Promise.all(Array.from({ length: 50 }, () => attempt(user.username, 'Wrong-password-1')));
    expect(answers.every((a) => a.status === 400)).toBe(true);
    expect(await events('login.failure', user.id)).toBe(50);
    expect(await events('user.lock', user.id)).toBe(1);
    expect((await attempt(user.username, password)).status).toBe(400);
  });

  it('a parallel burst is checked only up to the threshold: the rest are refused unchecked', async () => {
    const { user, password } = await t.createUser();
    const answers = await Promise.all([...Array.from({ length: 29 }, () => attempt(user.username, 'Wrong-password-1')), attempt(user.username, password)]);
    const reasons = (await t.dataSource.getRepository(AuditEventEntity).findBy({ action: 'login.failure', targetId: user.id })).map((e) => e.details!.reason);
    const checked = reasons.filter((r) => r === 'bad_password').length + answers.filter((a) => a.status === 200).length;
    expect(checked).toBeLessThanOrEqual(5);
    expect(reasons.filter((r) => r === 'locked').length).toBeGreaterThanOrEqual(25);
  });

  it('unknown usernames are counted too, with the same answers', async () => {
    const answers = [];
    for (let i = 0; i < 7; i++) answers.push((await attempt('nobody-by-that-name', 'Wrong-password-1')).body);
    expect(answers.every((body) => JSON.stringify(body) === JSON.stringify(INVALID))).toBe(true);
  });
});
