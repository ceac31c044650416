import { UserEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePayload } from '../support/jwt-forge.js';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

describe.each(DATABASES)('passwords and sessions on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const hashOf = async (id: string) => (await t.dataSource.getRepository(UserEntity).findOneOrFail({ where: { id }, select: { id: true, passwordHash: true } })).passwordHash;

  describe('POST /users/{username}/password', () => {
    it('self: needs the current password; a wrong one is a 400 and changes nothing', async () => {
      const me = await t.actor();
      const before = await hashOf(me.user.id);
      const path = `${API}/users/${me.user.username}/password`;
      const missing = await t.http.post(path).set(bearer(me.token)).send({ new_password: 'Fresh-garden-77' });
      expect(missing.status).toBe(400);
      expect(missing.body.message).toBe('current_password is required');
      const wrong = await t.http.post(path).set(bearer(me.token)).send({ current_password: 'Not-my-password-1', new_password: 'Fresh-garden-77' });
      expect(wrong.status).toBe(400);
      expect(wrong.body.message).toBe('current_password is incorrect');
      expect(await hashOf(me.user.id)).toBe(before);
    });

    it('self: success keeps this session and revokes the others at once', async () => {
      const me = await t.actor();
      const other = await t.login(me.user.username, me.password);
      const res = await t.http.post(`${API}/users/${me.user.username}/password`).set(bearer(me.token)).send({ current_password: me.password, new_password: 'Fresh-garden-77' });
      expect(res.status).toBe(204);
      expect((await t.http.get(`${API}/auth/me`).set(bearer(me.token))).status).toBe(200);
      expect((await t.http.get(`${API}/auth/me`).set(bearer(other.access_token))).status).toBe(401);
      expect((await t.http.post(`${API}/auth/token`).send({ grant_type: 'refresh_token', refresh_token: other.refresh_token })).status).toBe(400);
      expect((await t.login(me.user.username, 'Fresh-garden-77')).access_token).toBeTruthy();
      const old = await t.http.post(`${API}/auth/token`).send({ grant_type: 'password', username: me.user.username, password: me.password });
      expect(old.status).toBe(400);
    });

    it('the policy applies: short, common, too long → 400', async () => {
      const me = await t.actor();
      for (const new_password of ['Short-1', 'Password1!', 'qwerty123', `${'x'.repeat(73)}`]) {
        const res = await t.http.post(`${API}/users/${me.user.username}/password`).set(bearer(me.token)).send({ current_password: me.password, new_password });
        expect(res.status).toBe(400);
      }
    });

    it('users:modify changes another user’s password without theirs and ends all their sessions', async () => {
      const helpdesk = await t.actor(['user_admin']);
      const target = await t.actor();
      const res = await t.http.post(`${API}/users/${target.user.username}/password`).set(bearer(helpdesk.token)).send({ new_password: 'Reset-by-admin-9' });
      expect(res.status).toBe(204);
      expect((await t.http.get(`${API}/auth/me`).set(bearer(target.token))).status).toBe(401);
      expect((await t.login(target.user.username, 'Reset-by-admin-9')).access_token).toBeTruthy();
    });

    it('others without users:modify get 403', async () => {
      const plain = await t.actor();
      const target = await t.actor();
      const res = await t.http.post(`${API}/users/${target.user.username}/password`).set(bearer(plain.token)).send({ new_password: 'Fresh-garden-77' });
      expect(res.status).toBe(403);
    });

    it('unknown fields are refused', async () => {
      const me = await t.actor();
      const res = await t.http
        .post(`${API}/users/${me.user.username}/password`)
        .set(bearer(me.token))
        .send({ current_password: me.password, new_password: 'Fresh-garden-77', username: 'admin' });
      expect(res.status).toBe(400);
    });
  });

  describe('sessions', () => {
    it('lists live sessions with their metadata, never a token or hash', async () => {
      const me = await t.actor();
      await t.http.post(`${API}/auth/token`).set('user-agent', 'second-device/1.0').send({ grant_type: 'password', username: me.user.username, password: me.password });
      const res = await t.http.get(`${API}/users/${me.user.username}/sessions`).set(bearer(me.token));
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(2);
      const item = res.body.items[0];
      expect(Object.keys(item).sort()).toEqual(['created_at', 'current', 'expires_at', 'id', 'ip', 'last_used_at', 'login_method', 'user_agent']);
      expect(res.body.items.map((s: { user_agent: string }) => s.user_agent)).toContain('second-device/1.0');
      expect(res.body.items.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
      expect(res.text).not.toMatch(/hash|refresh_token|eyJ/);
    });

    it('self or users:read may list; others get 403', async () => {
      const me = await t.actor();
      const plain = await t.actor();
      expect((await t.http.get(`${API}/users/${me.user.username}/sessions`).set(bearer(plain.token))).status).toBe(403);
      const viewer = await t.actor(['viewer']);
      expect((await t.http.get(`${API}/users/${me.user.username}/sessions`).set(bearer(viewer.token))).status).toBe(200);
    });

    it('DELETE one session: the next request with it fails; the others keep working', async () => {
      const me = await t.actor();
      const other = await t.login(me.user.username, me.password);
      const sid = decodePayload(other.access_token).sid as string;
      const res = await t.http.delete(`${API}/users/${me.user.username}/sessions/${sid}`).set(bearer(me.token));
      expect(res.status).toBe(204);
      expect((await t.http.get(`${API}/auth/me`).set(bearer(other.access_token))).status).toBe(401);
      expect((await t.http.get(`${API}/auth/me`).set(bearer(me.token))).status).toBe(200);
      expect((await t.http.delete(`${API}/users/${me.user.username}/sessions/${sid}`).set(bearer(me.token))).status).toBe(404);
      expect((await t.http.delete(`${API}/users/${me.user.username}/sessions/not-a-uuid`).set(bearer(me.token))).status).toBe(404);
    });

    it("someone else's session id under my name is a 404, and revoking others needs users:modify", async () => {
      const me = await t.actor();
      const other = await t.actor();
      const sid = decodePayload(other.token).sid as string;
      expect((await t.http.delete(`${API}/users/${me.user.username}/sessions/${sid}`).set(bearer(me.token))).status).toBe(404);
      expect((await t.http.delete(`${API}/users/${other.user.username}/sessions/${sid}`).set(bearer(me.token))).status).toBe(403);
      expect((await t.http.get(`${API}/auth/me`).set(bearer(other.token))).status).toBe(200);
    });

    it('an admin revokes all of a user’s sessions (SEC-17)', async () => {
      const target = await t.actor();
      const second = await t.login(target.user.username, target.password);
      const res = await t.http.post(`${API}/users/${target.user.username}/sessions/revoke`).set(bearer(admin));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ revoked: 2 });
      expect((await t.http.get(`${API}/auth/me`).set(bearer(target.token))).status).toBe(401);
      expect((await t.http.post(`${API}/auth/token`).send({ grant_type: 'refresh_token', refresh_token: second.refresh_token })).status).toBe(400);
    });
  });
});
