import { AuditEventEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, API, DATABASES, RolesService, startTestApp, type TestApp } from '../support/test-app.js';

describe.each(DATABASES)('FabricGuard: permissions and immediate revocation on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(() => t?.close());

  const get = (path: string, token: string) => t.http.get(`${API}${path}`).auth(token, { type: 'bearer' });

  it('@Public() routes need no credential; guarded ones answer 401 without', async () => {
    expect((await t.http.get(`${API}/demo/public`)).status).toBe(200);
    const res = await t.http.get(`${API}/demo/protected`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('@RequirePermission: 403 without the permission, 200 with it through a role', async () => {
    const plain = await t.createUser();
    const viewer = await t.createUser({ roles: ['viewer'] });
    const plainToken = (await t.login(plain.user.username, plain.password)).access_token;
    const viewerToken = (await t.login(viewer.user.username, viewer.password)).access_token;
    const denied = await get('/demo/reports', plainToken);
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({ statusCode: 403, message: 'Missing permission: reports:read', error: 'Forbidden' });
    expect((await get('/demo/protected', plainToken)).status).toBe(200);
    expect((await get('/demo/reports', viewerToken)).status).toBe(200);
  });

  it('/auth/me reports the wire format with roles and effective permissions', async () => {
    const viewer = await t.createUser({ roles: ['viewer'] });
    const token = (await t.login(viewer.user.username, viewer.password)).access_token;
    const res = await get('/auth/me', token);
    expect(res.body).toEqual({
      kind: 'user',
      id: viewer.user.id,
      username: viewer.user.username,
      email: viewer.user.email,
      roles: ['viewer'],
      permissions: ['reports:read', 'users:list', 'users:read'],
      is_system_admin: false,
      auth_method: 'jwt',
    });
  });

  it('the system admin passes every permission check', async () => {
    const token = (await t.login('admin', ADMIN_PASSWORD)).access_token;
    expect((await get('/demo/reports', token)).status).toBe(200);
    const me = await get('/auth/me', token);
    expect(me.body.is_system_admin).toBe(true);
    expect(me.body.permissions).toContain('audit:read');
    expect(me.body.permissions).toContain('reports:read');
  });

  it('logout revokes the session on the very next request, other sessions keep working', async () => {
    const { user, password } = await t.createUser();
    const a = await t.login(user.username, password);
    const b = await t.login(user.username, password);
    expect((await get('/auth/me', a.access_token)).status).toBe(200);
    expect((await t.http.post(`${API}/auth/logout`).auth(a.access_token, { type: 'bearer' })).status).toBe(204);
    expect((await get('/auth/me', a.access_token)).status).toBe(401);
    const refresh = await t.http.post(`${API}/auth/token`).send({ grant_type: 'refresh_token', refresh_token: a.refresh_token });
    expect(refresh.status).toBe(400);
    expect((await get('/auth/me', b.access_token)).status).toBe(200);
    const logged = await t.dataSource.getRepository(AuditEventEntity).findBy({ action: 'logout', actorId: user.id });
    expect(logged).toHaveLength(1);
  });

  it('a deactivated user gets 401 on the very next request (cached principal dropped)', async () => {
    const { user, password } = await t.createUser();
    const tokens = await t.login(user.username, password);
    expect((await get('/auth/me', tokens.access_token)).status).toBe(200);
    await t.users.deactivate(user.id);
    expect((await get('/auth/me', tokens.access_token)).status).toBe(401);
    await t.users.reactivate(user.id);
    expect((await get('/auth/me', tokens.access_token)).status).toBe(401);
    expect((await t.login(user.username, password)).access_token).toBeTruthy();
  });

  it('a removed role bites an existing token on the next request', async () => {
    const viewer = await t.createUser({ roles: ['viewer'] });
    const token = (await t.login(viewer.user.username, viewer.password)).access_token;
    expect((await get('/demo/reports', token)).status).toBe(200);
    await t.app.get(RolesService).assignToUser(viewer.user.id, []);
    expect((await get('/demo/reports', token)).status).toBe(403);
  });

  it('a malformed X-API-Key is a 401 (no fall-through to other credentials)', async () => {
    const res = await t.http.get(`${API}/auth/me`).set('x-api-key', 'fab_something');
    expect(res.status).toBe(401);
  });

  it('concurrent first requests of one session share one lookup and all succeed', async () => {
    const { user, password } = await t.createUser();
    const token = (await t.login(user.username, password)).access_token;
    const answers = await Promise.all(Array.from({ length: 20 }, () => get('/auth/me', token)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
  });
});
