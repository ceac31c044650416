import { AuditEventEntity, UserEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/oidc/fetch-browser.js';
import { startAppWithOp } from '../support/oidc/fixtures.js';
import { signIn } from '../support/oidc/sign-in.js';
import type { TestOp } from '../support/oidc/test-op.js';
import { ADMIN_PASSWORD, API, DATABASES, type TestApp } from '../support/test-app.js';

describe.each(DATABASES)('verified emails for local accounts on %s', (kind) => {
  let t: TestApp;
  let op: TestOp;
  let admin: string;
  beforeAll(async () => {
    ({ t, op } = await startAppWithOp(kind, { linking: { linkVerifiedEmail: true } }));
    admin = (await t.login('admin', ADMIN_PASSWORD)).access_token;
  });
  afterAll(async () => {
    await t?.close();
    await op?.close();
  });

  function lastLink(purpose: string): string {
    const sent = t.notifications.filter((n) => n.purpose === purpose).at(-1)!;
    // No public_base_url here: links name the port the app listens on.
    expect(sent.link.startsWith(`http://localhost:${new URL(t.url).port}/`)).toBe(true);
    return sent.token;
  }

  async function userView(username: string) {
    const res = await t.http.get(`${API}/users/${username}`).auth(admin, { type: 'bearer' });
    expect(res.status).toBe(200);
    return res.body as { email: string; email_verified: boolean };
  }

  it('a user created by an admin is unverified, and the API shows it; activation verifies it', async () => {
    const created = await t.http
      .post(`${API}/users`)
      .auth(admin, { type: 'bearer' })
      .send({ username: `erin${process.pid}`, email: `erin${process.pid}@example.test` });
    expect(created.status).toBe(201);
    expect(created.body.email_verified).toBe(false);
    const listed = await t.http
      .get(`${API}/users`)
      .query({ q: `erin${process.pid}` })
      .auth(admin, { type: 'bearer' });
    expect(listed.body.items[0].email_verified).toBe(false);
    const token = lastLink('activation');
    expect((await t.http.post(`${API}/auth/activate`).send({ token, password: 'Corr3ct-horse-battery' })).status).toBe(204);
    expect((await userView(`erin${process.pid}`)).email_verified).toBe(true);
  });

  it('the owner asks for a link, the notifier gets it, confirming marks the email verified once', async () => {
    const { user, token } = await t.actor();
    const asked = await t.http.post(`${API}/users/${user.username}/email/verify`).auth(token, { type: 'bearer' });
    expect(asked.status).toBe(202);
    const sent = t.notifications.at(-1)!;
    expect(sent).toMatchObject({ purpose: 'email_verification', user: { id: user.id, email: user.email } });
    expect(sent.link).toBe(`http://localhost:${new URL(t.url).port}/verify-email?token=${sent.token}`);
    expect(JSON.stringify(asked.body)).not.toContain(sent.token);
    expect((await t.http.post(`${API}/auth/email/verify`).send({ token: sent.token })).status).toBe(204);
    expect((await userView(user.username)).email_verified).toBe(true);
    expect((await t.http.post(`${API}/auth/email/verify`).send({ token: sent.token })).status).toBe(400);
    expect((await t.http.post(`${API}/users/${user.username}/email/verify`).auth(token, { type: 'bearer' })).status).toBe(409);
    const events = await t.dataSource.getRepository(AuditEventEntity).findBy({ targetId: user.id });
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['user.email_verification.request', 'user.email_verified']));
  });

  it('an email change clears the flag and voids a link sent before it', async () => {
    const { user, password, token } = await t.actor();
    await t.http.post(`${API}/users/${user.username}/email/verify`).auth(token, { type: 'bearer' });
    const before = lastLink('email_verification');
    const changed = await t.http
      .patch(`${API}/users/${user.username}`)
      .auth(admin, { type: 'bearer' })
      .send({ email: `moved-${user.username}@example.test`, current_password: password });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.email_verified).toBe(false);
    expect((await t.http.post(`${API}/auth/email/verify`).send({ token: before })).status).toBe(400);
    expect((await userView(user.username)).email_verified).toBe(false);
    // Verified, then changed: cleared again.
    await t.http.post(`${API}/users/${user.username}/email/verify`).auth(admin, { type: 'bearer' });
    expect((await t.http.post(`${API}/auth/email/verify`).send({ token: lastLink('email_verification') })).status).toBe(204);
    await t.http
      .patch(`${API}/users/${user.username}`)
      .auth(admin, { type: 'bearer' })
      .send({ email: `again-${user.username}@example.test` });
    expect((await userView(user.username)).email_verified).toBe(false);
  });

  it('others need users:modify and the account ceiling; bad tokens are 400', async () => {
    const { user } = await t.actor(['auditor']);
    const { token: stranger } = await t.actor();
    expect((await t.http.post(`${API}/users/${user.username}/email/verify`).auth(stranger, { type: 'bearer' })).status).toBe(403);
    const { token: userAdmin } = await t.actor(['user_admin']);
    expect((await t.http.post(`${API}/users/${user.username}/email/verify`).auth(userAdmin, { type: 'bearer' })).status).toBe(403);
    const { token: bigAdmin } = await t.actor(['user_admin', 'auditor']);
    expect((await t.http.post(`${API}/users/${user.username}/email/verify`).auth(bigAdmin, { type: 'bearer' })).status).toBe(202);
    for (const body of [{}, { token: 'x'.repeat(43) }, { token: null }, { token: { $ne: null } }]) {
      expect((await t.http.post(`${API}/auth/email/verify`).send(body)).status, JSON.stringify(body)).toBe(400);
    }
    // A reset token is no verification token.
    await t.http.post(`${API}/auth/password-reset`).send({ username: user.username });
    await expect.poll(() => t.notifications.some((n) => n.purpose === 'password_reset' && n.user.id === user.id)).toBe(true);
    expect((await t.http.post(`${API}/auth/email/verify`).send({ token: lastLink('password_reset') })).status).toBe(400);
  });

  it('once verified, the local account is linked by a provider that verified the same email', async () => {
    const { user, token } = await t.actor();
    await t.http.post(`${API}/users/${user.username}/email/verify`).auth(token, { type: 'bearer' });
    await t.http.post(`${API}/auth/email/verify`).send({ token: lastLink('email_verification') });
    const subject = `verified-${user.username}`;
    op.accounts.set(subject, { email: user.email!, email_verified: true });
    const browser = jsonClient();
    expect((await signIn(browser, t.url, subject, { provider: 'linking' })).status).toBe(302);
    const me = await t.http.get(`${API}/auth/me`).set('cookie', `access_token=${browser.cookie('127.0.0.1', 'access_token')}`);
    expect(me.body.id).toBe(user.id);
    expect(await t.dataSource.getRepository(UserEntity).countBy({ email: user.email! })).toBe(1);
  });
});
