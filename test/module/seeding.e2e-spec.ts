import { hashPassword, SystemAdminConflictError, upsertSystemAdmin, verifyPassword } from 'nestjs-fabric-auth';
import type { PasswordHashSettings } from '../../libs/fabric-auth/src/core/password-hashes.js';
import { RoleEntity, UserEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

/** The defaults (README: `auth.password_hash` and its costs). */
const hashing: PasswordHashSettings = {
  algorithm: 'argon2id',
  argon2Memory: 19_456,
  argon2Iterations: 2,
  argon2Parallelism: 1,
  scryptCost: 13,
  scryptBlockSize: 8,
  scryptParallelism: 10,
  bcryptCost: 12,
};

describe.each(DATABASES)('startup seeding on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(() => t?.close());

  it("creates the system admin from config, with an argon2id hash at OWASP's setting (m=19 MiB, t=2, p=1) and a salt of its own", async () => {
    const admin = await t.dataSource.getRepository(UserEntity).findOneOrFail({ where: { username: 'admin' }, select: { id: true, isSystemAdmin: true, passwordHash: true } });
    expect(admin.isSystemAdmin).toBe(true);
    expect(admin.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword(ADMIN_PASSWORD, admin.passwordHash!)).toBe(true);
    expect(await verifyPassword(`${ADMIN_PASSWORD}x`, admin.passwordHash!)).toBe(false);
    const again = await hashPassword(ADMIN_PASSWORD, hashing);
    expect(again).not.toBe(admin.passwordHash);
    expect(again.split('$')[4]).not.toBe(admin.passwordHash!.split('$')[4]);
  });

  it('refuses well-known default admin credentials', async () => {
    for (const password of ['admin', 'password', 'changeme']) {
      const res = await t.http.post(`${API}/auth/token`).send({ grant_type: 'password', username: 'admin', password });
      expect(res.status).toBe(400);
    }
  });

  it('never overwrites a changed admin password when run again', async () => {
    const repo = t.dataSource.getRepository(UserEntity);
    const admin = await repo.findOneByOrFail({ username: 'admin' });
    const original = (await repo.findOneOrFail({ where: { id: admin.id }, select: { id: true, passwordHash: true } })).passwordHash;
    const changed = await hashPassword('Chang3d-by-the-admin', hashing);
    await repo.update({ id: admin.id }, { passwordHash: changed });
    try {
      const result = await upsertSystemAdmin(t.dataSource, { username: 'admin', password: ADMIN_PASSWORD, hashing });
      expect(result.created).toBe(false);
      const after = await repo.findOneOrFail({ where: { id: admin.id }, select: { id: true, passwordHash: true } });
      expect(after.passwordHash).toBe(changed);
    } finally {
      await repo.update({ id: admin.id }, { passwordHash: original });
    }
  });

  it('refuses to promote an ordinary account that holds the admin username', async () => {
    const { user } = await t.createUser({ prefix: 'root' });
    await expect(upsertSystemAdmin(t.dataSource, { username: user.username, password: ADMIN_PASSWORD, hashing })).rejects.toBeInstanceOf(SystemAdminConflictError);
    const again = await t.dataSource.getRepository(UserEntity).findOneByOrFail({ id: user.id });
    expect(again.isSystemAdmin).toBe(false);
  });

  it('creates the roles declared in config with their permissions', async () => {
    const roles = await t.dataSource.getRepository(RoleEntity).find({ order: { name: 'ASC' } });
    expect(roles.map((r) => r.name)).toEqual(['auditor', 'role_admin', 'user_admin', 'viewer']);
    expect(roles.find((r) => r.name === 'viewer')!.permissions).toEqual(['reports:read', 'users:list', 'users:read']);
    expect(roles.every((r) => r.fromConfig)).toBe(true);
  });
});

describe('config roles on restart', () => {
  it('are updated to what the config says now', async () => {
    const first = await startTestApp('sqlite', { options: { roles: { viewer: ['users:list'] } } });
    try {
      const { user, password } = await first.createUser({ roles: ['viewer'] });
      const token = (await first.login(user.username, password)).access_token;
      expect((await first.http.get(`${API}/auth/me`).auth(token, { type: 'bearer' })).body.permissions).toEqual(['users:list']);
      const repo = first.dataSource.getRepository(RoleEntity);
      await repo.update({ name: 'viewer' }, { permissions: ['users:list', 'audit:read'] });
      const { RolesService } = await import('nestjs-fabric-auth');
      await first.app.get(RolesService).syncConfigRoles();
      expect((await repo.findOneByOrFail({ name: 'viewer' })).permissions).toEqual(['users:list']);
    } finally {
      await first.close();
    }
  });

  it('naming an unregistered permission stops startup, naming the role', async () => {
    await expect(startTestApp('sqlite', { options: { roles: { viewer: ['billing:refund'] } } })).rejects.toThrow(
      'auth.roles.viewer: "billing:refund" is not a registered permission',
    );
  });
});
