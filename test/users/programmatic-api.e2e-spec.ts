import { ApiKeysService, PasswordPolicyError, systemActor, UnknownRolesError, UserManagementService, UsersService } from 'nestjs-fabric-auth';
import { UserEntity } from 'nestjs-fabric-auth/entities';
import { createTestCredential, testPrincipal } from 'nestjs-fabric-auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

// What a host app's own code (a job, a seeder) does with the exported services: no request.
describe.each(DATABASES)('the services called from app code on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(() => t?.close());

  const users = () => t.app.get(UsersService);
  const hashOf = async (id: string) => (await t.dataSource.getRepository(UserEntity).findOne({ where: { id }, select: { id: true, passwordHash: true } }))!.passwordHash;

  it('UsersService.setPassword applies the password policy it documents', async () => {
    const { user, password } = await t.createUser();
    const before = await hashOf(user.id);
    for (const weak of ['password', 'short', user.username, 'x'.repeat(73)]) {
      await expect(users().setPassword(user.id, weak), weak).rejects.toBeInstanceOf(PasswordPolicyError);
    }
    expect(await hashOf(user.id)).toBe(before);
    await users().setPassword(user.id, 'A-much-better-pass-42');
    await expect(t.login(user.username, 'A-much-better-pass-42')).resolves.toHaveProperty('access_token');
    await expect(t.login(user.username, password)).rejects.toThrow('login failed');
  });

  it('UsersService.create with an unknown role, or a refused password, writes nothing', async () => {
    await expect(users().create({ username: 'orphan1', email: 'orphan1@example.test', roles: ['viewer', 'ghost'] })).rejects.toBeInstanceOf(UnknownRolesError);
    await expect(users().create({ username: 'orphan2', email: 'orphan2@example.test', password: 'password' })).rejects.toBeInstanceOf(PasswordPolicyError);
    expect(await t.dataSource.getRepository(UserEntity).countBy([{ username: 'orphan1' }, { username: 'orphan2' }])).toBe(0);
    const made = await users().create({ username: 'withrole', email: 'withrole@example.test', roles: ['viewer'] });
    expect((await t.http.get(`${API}/users/withrole`).auth(await t.adminToken(), { type: 'bearer' })).body.roles).toEqual(['viewer']);
    expect(made.passwordHash).toBeNull();
  });

  it('UserManagementService and ApiKeysService take a system actor and no request; the audit log names it', async () => {
    const created = await t.app.get(UserManagementService).create(systemActor('nightly-import'), {
      username: 'imported',
      email: 'imported@example.test',
      roles: ['viewer'],
    });
    expect(created.roles).toEqual(['viewer']);
    const audit = await t.http.get(`${API}/audit?action=user.create&target=${created.id}`).auth(await t.adminToken(), { type: 'bearer' });
    expect(audit.body.items[0]).toMatchObject({ actor_kind: 'system', actor_name: 'nightly-import', outcome: 'success' });
    const key = await t.app.get(ApiKeysService).create(systemActor(), { kind: 'user', id: created.id }, { name: 'job' }, 'api_keys:create');
    const me = await t.http.get(`${API}/auth/me`).set('X-API-Key', key.key);
    expect(me.status).toBe(200);
    expect(me.body.username).toBe('imported');
  });
});

describe.each(DATABASES)('nestjs-fabric-auth/testing on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(() => t?.close());

  it('createTestCredential: a credential with exactly the chosen permissions, in one call, no password', async () => {
    const reader = await createTestCredential(t.app, { permissions: ['reports:read'] });
    const nobody = await createTestCredential(t.app);
    expect((await t.http.get(`${API}/demo/reports`).set(reader.headers)).status).toBe(200);
    expect((await t.http.get(`${API}/demo/reports`).set(nobody.headers)).status).toBe(403);
    expect([...reader.principal.permissions]).toEqual(['reports:read']);
    expect(reader.user.passwordHash).toBeNull();
    const me = await t.http.get(`${API}/auth/me`).set(reader.headers);
    expect(me.body.permissions).toEqual(['reports:read']);
    // A real session: logging out revokes it.
    expect((await t.http.post(`${API}/auth/logout`).set(reader.headers)).status).toBe(204);
    expect((await t.http.get(`${API}/demo/reports`).set(reader.headers)).status).toBe(401);
  });

  it('refuses a permission nobody declared', async () => {
    await expect(createTestCredential(t.app, { permissions: ['billing:refund'] })).rejects.toThrow('billing:refund is not a registered permission');
  });

  it('testPrincipal builds a principal for unit tests', () => {
    const p = testPrincipal({ username: 'carol', permissions: ['reports:read'] });
    expect(p.permissions.has('reports:read')).toBe(true);
    expect(p).toMatchObject({ kind: 'user', username: 'carol', isSystemAdmin: false, authMethod: 'jwt' });
  });
});
