import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

let seq = 0;
const roleName = () => `role-${++seq}-${process.pid}`;

describe.each(DATABASES)('roles API on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  it('creates, reads, lists, updates and deletes a role', async () => {
    const name = roleName();
    const created = await t.http
      .post(`${API}/roles`)
      .set(auth(admin))
      .send({ name, description: 'Support desk', permissions: ['users:read', 'users:list', 'users:read'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, description: 'Support desk', permissions: ['users:list', 'users:read'], from_config: false });
    expect((await t.http.get(`${API}/roles/${name}`).set(auth(admin))).body.name).toBe(name);
    const list = await t.http.get(`${API}/roles?limit=500`).set(auth(admin));
    expect(list.body.items.map((r: { name: string }) => r.name)).toContain(name);
    expect(list.body).toMatchObject({ limit: 500, offset: 0 });
    const updated = await t.http
      .patch(`${API}/roles/${name}`)
      .set(auth(admin))
      .send({ permissions: ['users:list'] });
    expect(updated.body.permissions).toEqual(['users:list']);
    expect((await t.http.delete(`${API}/roles/${name}`).set(auth(admin))).status).toBe(204);
    expect((await t.http.get(`${API}/roles/${name}`).set(auth(admin))).status).toBe(404);
  });

  it('409 on a duplicate name; 400 on unregistered or malformed permissions and unknown fields', async () => {
    const name = roleName();
    await t.http.post(`${API}/roles`).set(auth(admin)).send({ name, permissions: [] });
    expect((await t.http.post(`${API}/roles`).set(auth(admin)).send({ name, permissions: [] })).status).toBe(409);
    const unknown = await t.http
      .post(`${API}/roles`)
      .set(auth(admin))
      .send({ name: roleName(), permissions: ['billing:refund'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toBe('Unknown permissions: billing:refund');
    expect(
      (
        await t.http
          .post(`${API}/roles`)
          .set(auth(admin))
          .send({ name: roleName(), permissions: ['*'] })
      ).status,
    ).toBe(400);
    expect((await t.http.post(`${API}/roles`).set(auth(admin)).send({ name: roleName(), permissions: [], from_config: true })).status).toBe(400);
    expect((await t.http.post(`${API}/roles`).set(auth(admin)).send({ name: 'Bad Name', permissions: [] })).status).toBe(400);
  });

  it('roles:read to read, roles:manage to change', async () => {
    const viewer = await t.actor(['viewer']);
    expect((await t.http.get(`${API}/roles`).set(auth(viewer.token))).status).toBe(403);
    const roleAdmin = await t.actor(['role_admin']);
    expect((await t.http.get(`${API}/roles`).set(auth(roleAdmin.token))).status).toBe(200);
  });

  it('nobody grants a permission they do not hold (SEC-40)', async () => {
    const roleAdmin = await t.actor(['role_admin']);
    const res = await t.http
      .post(`${API}/roles`)
      .set(auth(roleAdmin.token))
      .send({ name: roleName(), permissions: ['audit:read'] });
    expect(res.status).toBe(403);
    const ok = await t.http
      .post(`${API}/roles`)
      .set(auth(roleAdmin.token))
      .send({ name: roleName(), permissions: ['users:read'] });
    expect(ok.status).toBe(201);
    expect((await t.http.patch(`${API}/roles/auditor`).set(auth(roleAdmin.token)).send({ permissions: [] })).status).toBe(403);
    expect((await t.http.delete(`${API}/roles/auditor`).set(auth(roleAdmin.token))).status).toBe(403);
  });

  it('removing a permission from a role bites existing tokens on the next request (SEC-21)', async () => {
    const name = roleName();
    await t.http
      .post(`${API}/roles`)
      .set(auth(admin))
      .send({ name, permissions: ['users:list'] });
    const holder = await t.actor([name]);
    expect((await t.http.get(`${API}/users`).set(auth(holder.token))).status).toBe(200);
    await t.http.patch(`${API}/roles/${name}`).set(auth(admin)).send({ permissions: [] });
    expect((await t.http.get(`${API}/users`).set(auth(holder.token))).status).toBe(403);
    await t.http
      .patch(`${API}/roles/${name}`)
      .set(auth(admin))
      .send({ permissions: ['users:list'] });
    expect((await t.http.get(`${API}/users`).set(auth(holder.token))).status).toBe(200);
    await t.http.delete(`${API}/roles/${name}`).set(auth(admin));
    expect((await t.http.get(`${API}/users`).set(auth(holder.token))).status).toBe(403);
    expect((await t.http.get(`${API}/auth/me`).set(auth(holder.token))).body.roles).toEqual([]);
  });

  it('assigning roles through POST and PATCH /users', async () => {
    const name = roleName();
    await t.http
      .post(`${API}/roles`)
      .set(auth(admin))
      .send({ name, permissions: ['users:list'] });
    const target = await t.actor();
    const res = await t.http
      .patch(`${API}/users/${target.user.username}`)
      .set(auth(admin))
      .send({ roles: [name, 'viewer'] });
    expect(res.body.roles).toEqual([name, 'viewer'].sort());
  });
});
