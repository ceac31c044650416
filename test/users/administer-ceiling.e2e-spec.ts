import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

describe.each(DATABASES)('acting on another account on %s (review findings)', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('users:modify is not a master key: a richer account is out of reach (403), a poorer one is not', async () => {
    const helpdesk = await t.actor(['user_admin']);
    const richer = await t.actor(['viewer']);
    const poorer = await t.actor();
    for (const [method, path, body] of [
      ['post', `/users/${richer.user.username}/password`, { new_password: 'Taken-over-pass-1' }],
      ['patch', `/users/${richer.user.username}`, { email: 'attacker@evil.example' }],
      ['post', `/users/${richer.user.username}/deactivate`, {}],
      ['post', `/users/${richer.user.username}/sessions/revoke`, {}],
      ['post', `/users/${richer.user.username}/unlock`, {}],
    ] as const) {
      const res = await (t.http as any)[method](`${API}${path}`).set(bearer(helpdesk.token)).send(body);
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    expect((await t.login(richer.user.username, richer.password)).access_token).toBeTruthy();
    expect((await t.http.post(`${API}/users/${poorer.user.username}/password`).set(bearer(helpdesk.token)).send({ new_password: 'Reset-by-desk-1' })).status).toBe(204);
  });

  it('an API key cannot move another account’s email (where reset links go)', async () => {
    const helpdesk = await t.actor(['user_admin']);
    const target = await t.actor();
    const key = (await t.http.post(`${API}/users/${helpdesk.user.username}/api-keys`).set(bearer(admin)).send({ name: 'desk' })).body.key;
    const res = await t.http.patch(`${API}/users/${target.user.username}`).set('x-api-key', key).send({ email: 'attacker@evil.example' });
    expect(res.status).toBe(403);
    expect((await t.http.patch(`${API}/users/${target.user.username}`).set('x-api-key', key).send({ full_name: 'Renamed' })).status).toBe(200);
  });

  it('a scoped key is held to its scopes on its own owner’s account', async () => {
    const owner = await t.actor(['viewer']);
    await t.http.post(`${API}/users/${owner.user.username}/api-keys`).set(bearer(admin)).send({ name: 'other' });
    const scoped = (
      await t.http
        .post(`${API}/users/${owner.user.username}/api-keys`)
        .set(bearer(admin))
        .send({ name: 'narrow', scopes: ['users:list'] })
    ).body;
    expect((await t.http.post(`${API}/users/${owner.user.username}/sessions/revoke`).set('x-api-key', scoped.key)).status).toBe(403);
    expect((await t.http.get(`${API}/users/${owner.user.username}/sessions`).set('x-api-key', scoped.key)).status).toBe(403);
    expect((await t.http.get(`${API}/auth/me`).auth(owner.token, { type: 'bearer' })).status).toBe(200);
  });

  it('a reset link dies when an admin sets a new password or moves the email', async () => {
    for (const change of ['password', 'email'] as const) {
      const { user } = await t.createUser();
      const link = t.nextNotification(user.id);
      await t.http.post(`${API}/auth/password-reset`).send({ email: user.email });
      const { token } = await link;
      if (change === 'password') await t.http.post(`${API}/users/${user.username}/password`).set(bearer(admin)).send({ new_password: 'Admin-set-pass-1' });
      else
        await t.http
          .patch(`${API}/users/${user.username}`)
          .set(bearer(admin))
          .send({ email: `moved-${user.email}` });
      expect((await t.http.post(`${API}/auth/password-reset/confirm`).send({ token, new_password: 'Holder-pass-123' })).status, change).toBe(400);
    }
  });

  it.each([
    ['PATCH email null', 'patch', '/users/TARGET', { email: null }],
    ['PATCH username null', 'patch', '/users/TARGET', { username: null }],
    ['PATCH roles null', 'patch', '/users/TARGET', { roles: null }],
    ['POST password null', 'post', '/users', { username: 'nullpass', email: 'nullpass@example.test', password: null }],
    ['password change with null current_password', 'post', '/users/admin/password', { current_password: null, new_password: 'Whatever-pass-1' }],
    ['reset request with an object email next to a username', 'post', '/auth/password-reset', { username: 'bob', email: { $ne: null } }],
    ['reset request with a number email', 'post', '/auth/password-reset', { username: 'bob', email: 123 }],
    ['reset request with both', 'post', '/auth/password-reset', { username: 'bob', email: 'bob@example.test' }],
    ['reset request with neither', 'post', '/auth/password-reset', {}],
    ['API key with null scopes', 'post', '/users/admin/api-keys', { name: 'x', scopes: null }],
  ])('%s → 400, never a 500', async (_, method, path, body) => {
    const target = await t.actor(['viewer']);
    const res = await (t.http as any)
      [method](`${API}${path.replace('TARGET', target.user.username)}`)
      .set(bearer(admin))
      .send(body);
    expect(res.status).toBe(400);
    expect((await t.http.get(`${API}/users/${target.user.username}`).set(bearer(admin))).body.roles).toEqual(['viewer']);
  });

  it.each(['since=2024-W01', 'since=20240101T000000Z', 'until=2024-13-45', 'since=2024-02-30T25:00:00Z'])('audit ?%s → 400', async (query) => {
    expect((await t.http.get(`${API}/audit?${query}`).set(bearer(admin))).status).toBe(400);
  });

  it('searching users treats _ and % as characters', async () => {
    const underscored = await t.http
      .post(`${API}/users`)
      .set(bearer(admin))
      .send({ username: `k_l${process.pid}`, email: `k_l${process.pid}@example.test`, password: 'Under-score-pass-1' });
    expect(underscored.status).toBe(201);
    await t.http
      .post(`${API}/users`)
      .set(bearer(admin))
      .send({ username: `kxl${process.pid}`, email: `kxl${process.pid}@example.test`, password: 'Under-score-pass-1' });
    const res = await t.http.get(`${API}/users?q=k_`).set(bearer(admin));
    expect(res.body.items.map((u: { username: string }) => u.username)).toEqual([`k_l${process.pid}`]);
  });
});
