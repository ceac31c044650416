import { SessionEntity, UserEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

let seq = 0;
const unique = (prefix: string) => `${prefix}${++seq}x${process.pid}`;

describe.each(DATABASES)('users API on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const as = (token: string) => ({
    get: (path: string) => t.http.get(`${API}${path}`).auth(token, { type: 'bearer' }),
    post: (path: string, body?: object) =>
      t.http
        .post(`${API}${path}`)
        .auth(token, { type: 'bearer' })
        .send(body ?? {}),
    patch: (path: string, body: object) => t.http.patch(`${API}${path}`).auth(token, { type: 'bearer' }).send(body),
  });

  describe('POST /users', () => {
    it('creates a user and answers the wire format, never a hash', async () => {
      const username = unique('carol');
      const res = await as(admin).post('/users', { username, email: `${username}@Example.TEST`, full_name: 'Carol', password: 'Sunny-meadow-42', roles: ['viewer'] });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(['created_at', 'email', 'email_verified', 'full_name', 'id', 'is_active', 'last_login_at', 'roles', 'updated_at', 'username']);
      expect(res.body).toMatchObject({ username, email: `${username}@example.test`, full_name: 'Carol', is_active: true, roles: ['viewer'], last_login_at: null });
      expect(res.text).not.toMatch(/\$2[aby]\$|password/i);
      expect((await t.login(username, 'Sunny-meadow-42')).access_token).toBeTruthy();
    });

    it('normalises username and email (case, NFKC) before checking uniqueness: 409', async () => {
      const username = unique('dave');
      expect((await as(admin).post('/users', { username, email: `${username}@example.test`, password: 'Sunny-meadow-42' })).status).toBe(201);
      const fullwidth = username.toUpperCase().replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
      const again = await as(admin).post('/users', { username: fullwidth, email: `other-${username}@example.test`, password: 'Sunny-meadow-42' });
      expect(again.status).toBe(409);
      expect(again.body).toEqual({ statusCode: 409, message: 'Username already exists', error: 'Conflict' });
      const email = await as(admin).post('/users', { username: unique('erin'), email: `${username}＠EXAMPLE.test`, password: 'Sunny-meadow-42' });
      expect(email.status).toBe(409);
      expect(email.body.message).toBe('Email already in use');
    });

    it.each([
      ['is_system_admin', { is_system_admin: true }],
      ['id', { id: '00000000-0000-4000-8000-000000000000' }],
      ['password_hash', { password_hash: '$2b$10$abc' }],
      ['created_at', { created_at: '2020-01-01T00:00:00Z' }],
      ['is_active', { is_active: false }],
      ['permissions', { permissions: ['*'] }],
    ])('refuses the unknown field %s (mass assignment) and creates nothing', async (_, extra) => {
      const username = unique('mass');
      const res = await as(admin).post('/users', { username, email: `${username}@example.test`, password: 'Sunny-meadow-42', ...extra });
      expect(res.status).toBe(400);
      expect(await t.dataSource.getRepository(UserEntity).countBy({ username })).toBe(0);
    });

    it.each([
      ['a nested object', { username: { name: 'x', role: 'admin' } }],
      ['an operator object', { email: { $ne: null } }],
      ['a bad username', { username: 'Bad Name!' }],
      ['a bad email', { email: 'not-an-email' }],
      ['roles not a list', { roles: 'viewer' }],
      ['an unknown role', { roles: ['overlord'] }],
      ['a 7-character password', { password: 'Abc-123' }],
      ['a common password', { password: 'password123' }],
      ['a 73-byte password', { password: `${'Ab1-'.repeat(18)}x` }],
      ['25 euro signs (75 bytes)', { password: '€'.repeat(25) }],
      ['the username as password', { password: 'USERNAME' }],
    ])('refuses %s with 400', async (_, override) => {
      const username = unique('bad');
      const body = { username, email: `${username}@example.test`, password: 'Sunny-meadow-42', ...override };
      if ((override as { password?: string }).password === 'USERNAME') body.password = username;
      const res = await as(admin).post('/users', body);
      expect(res.status).toBe(400);
      expect(res.body.statusCode).toBe(400);
      expect(await t.dataSource.getRepository(UserEntity).countBy({ username })).toBe(0);
    });

    it('accepts long passphrases, spaces, Cyrillic and emoji', async () => {
      for (const password of ['correct horse battery staple', 'пароль-надёжный', '🔐🔑 ключ 2049!']) {
        const username = unique('uni');
        expect((await as(admin).post('/users', { username, email: `${username}@example.test`, password })).status).toBe(201);
        expect((await t.login(username, password)).access_token).toBeTruthy();
      }
    });

    it('needs users:create (403), and a credential (401)', async () => {
      const viewer = await t.actor(['viewer']);
      const username = unique('nope');
      expect((await as(viewer.token).post('/users', { username, email: `${username}@example.test` })).status).toBe(403);
      expect((await t.http.post(`${API}/users`).send({ username, email: `${username}@example.test` })).status).toBe(401);
    });

    it('nobody grants a role whose permissions they do not hold', async () => {
      const userAdmin = await t.actor(['user_admin']);
      const username = unique('esc');
      const res = await as(userAdmin.token).post('/users', { username, email: `${username}@example.test`, password: 'Sunny-meadow-42', roles: ['auditor'] });
      expect(res.status).toBe(403);
      expect(res.body.message).toContain('audit:read');
      const ok = await as(userAdmin.token).post('/users', { username, email: `${username}@example.test`, password: 'Sunny-meadow-42', roles: ['user_admin'] });
      expect(ok.status).toBe(201);
    });

    it('without a password the user is created inactive-for-login and gets an activation link', async () => {
      const username = unique('newbie');
      const res = await as(admin).post('/users', { username, email: `${username}@example.test` });
      expect(res.status).toBe(201);
      expect(res.text).not.toContain('token');
      const message = t.notifications.findLast((n) => n.user.username === username);
      expect(message?.purpose).toBe('activation');
      const login = await t.http.post(`${API}/auth/token`).send({ grant_type: 'password', username, password: 'anything-at-all' });
      expect(login.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid username or password' });
    });
  });

  describe('GET /users', () => {
    it('answers the list envelope, paginates, filters and sorts', async () => {
      const prefix = unique('list');
      for (const n of [1, 2, 3]) {
        await as(admin).post('/users', { username: `${prefix}-${n}`, email: `${prefix}-${n}@example.test`, password: 'Sunny-meadow-42' });
      }
      await as(admin).post(`/users/${prefix}-2/deactivate`);
      const page = await as(admin).get(`/users?q=${prefix}&limit=2&offset=0&sort=-username`);
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(3);
      expect(page.body.limit).toBe(2);
      expect(page.body.offset).toBe(0);
      expect(page.body.items.map((u: { username: string }) => u.username)).toEqual([`${prefix}-3`, `${prefix}-2`]);
      const next = await as(admin).get(`/users?q=${prefix}&limit=2&offset=2&sort=-username`);
      expect(next.body.items.map((u: { username: string }) => u.username)).toEqual([`${prefix}-1`]);
      const inactive = await as(admin).get(`/users?q=${prefix}&is_active=false`);
      expect(inactive.body.items.map((u: { username: string }) => u.username)).toEqual([`${prefix}-2`]);
      const defaults = await as(admin).get('/users');
      expect(defaults.body.limit).toBe(50);
      expect(defaults.body.offset).toBe(0);
    });

    it.each([
      'limit=1000000',
      'limit=-1',
      'limit=0',
      'limit=abc',
      'offset=-5',
      'sort=name;DROP TABLE users',
      'sort=(CASE WHEN 1=1 THEN id END)',
      'sort=password_hash',
      'order=username',
      'is_active=maybe',
      'filter[email][$ne]=',
      'page=NaN',
    ])('refuses ?%s with 400', async (query) => {
      const res = await as(admin).get(`/users?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.statusCode).toBe(400);
    });

    it('treats SQL in q as text', async () => {
      for (const q of ["' OR 1=1--", "%' AND pg_sleep(5)--", '%', '_']) {
        const started = Date.now();
        const res = await as(admin).get(`/users?q=${encodeURIComponent(q)}`);
        expect(res.status).toBe(200);
        expect(res.body.total).toBe(0);
        expect(Date.now() - started).toBeLessThan(3000);
      }
    });

    it('needs users:list', async () => {
      const plain = await t.actor();
      expect((await as(plain.token).get('/users')).status).toBe(403);
    });
  });

  describe('GET /users/{username}', () => {
    it('self, or users:read; 404 for an unknown user; 403 for others without users:read', async () => {
      const plain = await t.actor();
      const other = await t.actor();
      expect((await as(plain.token).get(`/users/${plain.user.username}`)).body.id).toBe(plain.user.id);
      expect((await as(plain.token).get(`/users/${other.user.username}`)).status).toBe(403);
      expect((await as(plain.token).get('/users/nobody-at-all')).status).toBe(403);
      const viewer = await t.actor(['viewer']);
      expect((await as(viewer.token).get(`/users/${other.user.username}`)).body.username).toBe(other.user.username);
      const missing = await as(viewer.token).get('/users/nobody-at-all');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ statusCode: 404, message: 'User not found', error: 'Not Found' });
    });
  });

  describe('PATCH /users/{username}', () => {
    it('updates allowed fields and refuses the rest without changing the row', async () => {
      const target = await t.actor();
      const res = await as(admin).patch(`/users/${target.user.username}`, { full_name: 'New Name' });
      expect(res.status).toBe(200);
      expect(res.body.full_name).toBe('New Name');
      for (const body of [{ is_system_admin: true }, { password: 'Sunny-meadow-42' }, { id: 'x' }, { updated_at: 'x' }, { is_active: false }]) {
        expect((await as(admin).patch(`/users/${target.user.username}`, body)).status).toBe(400);
      }
      const row = await t.dataSource.getRepository(UserEntity).findOneByOrFail({ id: target.user.id });
      expect(row).toMatchObject({ isSystemAdmin: false, isActive: true, fullName: 'New Name' });
    });

    it('a user without users:modify cannot patch, not even themselves (SEC-39)', async () => {
      const plain = await t.actor();
      const res = await as(plain.token).patch(`/users/${plain.user.username}`, { full_name: 'x' });
      expect(res.status).toBe(403);
    });

    it('409 on a username or email that is taken', async () => {
      const a = await t.actor();
      const b = await t.actor();
      expect((await as(admin).patch(`/users/${a.user.username}`, { username: b.user.username })).status).toBe(409);
      expect((await as(admin).patch(`/users/${a.user.username}`, { email: b.user.email })).status).toBe(409);
    });

    it('changing roles obeys the grant ceiling, and bites existing tokens at once', async () => {
      const userAdmin = await t.actor(['user_admin']);
      const target = await t.actor(['viewer']);
      expect((await as(userAdmin.token).patch(`/users/${target.user.username}`, { roles: ['viewer', 'auditor'] })).status).toBe(403);
      expect((await as(target.token).get('/users')).status).toBe(200);
      expect((await as(admin).patch(`/users/${target.user.username}`, { roles: [] })).body.roles).toEqual([]);
      expect((await as(target.token).get('/users')).status).toBe(403);
    });

    it('an admin cannot escalate themselves past their own permissions', async () => {
      const userAdmin = await t.actor(['user_admin']);
      const res = await as(userAdmin.token).patch(`/users/${userAdmin.user.username}`, { roles: ['user_admin', 'role_admin'] });
      expect(res.status).toBe(403);
    });

    it('changing one’s own email needs the current password (403 without)', async () => {
      const userAdmin = await t.actor(['user_admin']);
      const path = `/users/${userAdmin.user.username}`;
      expect((await as(userAdmin.token).patch(path, { email: `${unique('new')}@example.test` })).status).toBe(403);
      expect((await as(userAdmin.token).patch(path, { email: `${unique('new')}@example.test`, current_password: 'wrong-password' })).status).toBe(403);
      const ok = await as(userAdmin.token).patch(path, { email: `${unique('new')}@example.test`, current_password: userAdmin.password });
      expect(ok.status).toBe(200);
    });

    it('nobody but the system admin touches the system admin', async () => {
      const userAdmin = await t.actor(['user_admin']);
      expect((await as(userAdmin.token).patch('/users/admin', { full_name: 'pwned' })).status).toBe(403);
      expect((await as(userAdmin.token).post('/users/admin/deactivate')).status).toBe(403);
      expect((await as(userAdmin.token).post('/users/admin/password', { new_password: 'Pwned-passw0rd!' })).status).toBe(403);
    });
  });

  describe('deactivation', () => {
    it('revokes sessions at once, blocks login and refresh; reactivation restores login only', async () => {
      const target = await t.actor();
      const tokens = await t.login(target.user.username, target.password);
      const res = await as(admin).post(`/users/${target.user.username}/deactivate`);
      expect(res.status).toBe(200);
      expect(res.body.is_active).toBe(false);
      expect((await as(target.token).get('/auth/me')).status).toBe(401);
      expect((await t.http.post(`${API}/auth/token`).send({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).status).toBe(400);
      const login = await t.http.post(`${API}/auth/token`).send({ grant_type: 'password', username: target.user.username, password: target.password });
      expect(login.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid username or password' });
      expect((await as(admin).post(`/users/${target.user.username}/reactivate`)).body.is_active).toBe(true);
      expect((await as(target.token).get('/auth/me')).status).toBe(401);
      expect((await t.login(target.user.username, target.password)).access_token).toBeTruthy();
      const live = await t.dataSource.getRepository(SessionEntity).countBy({ userId: target.user.id, revokedReason: 'user_deactivated' });
      expect(live).toBe(2);
    });

    it('the last active system admin cannot be deactivated (409)', async () => {
      const res = await as(admin).post('/users/admin/deactivate');
      expect(res.status).toBe(409);
      expect((await as(admin).get('/auth/me')).status).toBe(200);
    });

    it('needs users:deactivate', async () => {
      const viewer = await t.actor(['viewer']);
      const target = await t.actor();
      expect((await as(viewer.token).post(`/users/${target.user.username}/deactivate`)).status).toBe(403);
    });

    it('404 for an unknown user', async () => {
      expect((await as(admin).post('/users/nobody-at-all/deactivate')).status).toBe(404);
    });
  });
});
