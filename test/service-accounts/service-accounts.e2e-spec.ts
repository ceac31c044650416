import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, startTestApp, TEST_OPTIONS, type TestApp } from '../support/test-app.js';

let seq = 0;
const accountName = () => `svc-${++seq}-${process.pid}`;

describe.each(DATABASES)('service accounts on %s (SEC-50)', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    const roles = { ...TEST_OPTIONS.roles, sa_admin: ['service_accounts:read', 'service_accounts:create', 'service_accounts:modify', 'users:list'] };
    t = await startTestApp(kind, { options: { roles } });
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  async function account(roles: string[] = ['viewer'], token = admin) {
    const res = await t.http.post(`${API}/service-accounts`).set(bearer(token)).send({ name: accountName(), description: 'nightly ETL job', roles });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; name: string };
  }

  async function keyOf(id: string, body: object = { name: 'prod-key', expires_in_days: 365 }) {
    const res = await t.http.post(`${API}/service-accounts/${id}/api-keys`).set(bearer(admin)).send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; key: string };
  }

  it('creates, reads, lists and updates a service account in the wire format', async () => {
    const created = await account();
    expect(Object.keys(created).sort()).toEqual(['created_at', 'description', 'id', 'is_active', 'name', 'roles']);
    expect(created).toMatchObject({ description: 'nightly ETL job', is_active: true, roles: ['viewer'] });
    expect((await t.http.get(`${API}/service-accounts/${created.id}`).set(bearer(admin))).body.name).toBe(created.name);
    const list = await t.http.get(`${API}/service-accounts?limit=500`).set(bearer(admin));
    expect(list.body.items.map((a: { id: string }) => a.id)).toContain(created.id);
    const patched = await t.http.patch(`${API}/service-accounts/${created.id}`).set(bearer(admin)).send({ description: 'hourly', roles: [] });
    expect(patched.body).toMatchObject({ description: 'hourly', roles: [] });
  });

  it('409 on a duplicate name, 404 on unknown or malformed ids, 400 on unknown fields', async () => {
    const created = await account();
    expect((await t.http.post(`${API}/service-accounts`).set(bearer(admin)).send({ name: created.name })).status).toBe(409);
    expect((await t.http.get(`${API}/service-accounts/00000000-0000-4000-8000-000000000000`).set(bearer(admin))).status).toBe(404);
    expect((await t.http.get(`${API}/service-accounts/not-a-uuid`).set(bearer(admin))).status).toBe(404);
    expect((await t.http.post(`${API}/service-accounts`).set(bearer(admin)).send({ name: accountName(), is_active: false })).status).toBe(400);
    expect(
      (
        await t.http
          .post(`${API}/service-accounts`)
          .set(bearer(admin))
          .send({ name: accountName(), roles: ['overlord'] })
      ).status,
    ).toBe(400);
  });

  it('its keys authenticate as kind service_account, bounded by its roles', async () => {
    const svc = await account(['viewer']);
    const { key } = await keyOf(svc.id);
    const me = await t.http.get(`${API}/auth/me`).set('x-api-key', key);
    expect(me.body).toMatchObject({ kind: 'service_account', id: svc.id, username: svc.name, email: null, roles: ['viewer'], auth_method: 'api_key' });
    expect((await t.http.get(`${API}/users`).set('x-api-key', key)).status).toBe(200);
    expect((await t.http.get(`${API}/audit`).set('x-api-key', key)).status).toBe(403);
    const beyond = await t.http
      .post(`${API}/service-accounts/${svc.id}/api-keys`)
      .set(bearer(admin))
      .send({ name: 'x', scopes: ['audit:read'] });
    expect(beyond.status).toBe(403);
  });

  it('never logs in with a password and has no refresh grant', async () => {
    const svc = await account();
    const login = await t.http.post(`${API}/auth/token`).send({ grant_type: 'password', username: svc.name, password: 'anything-at-all' });
    expect(login.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid username or password' });
    const { key } = await keyOf(svc.id);
    const refresh = await t.http.post(`${API}/auth/token`).send({ grant_type: 'refresh_token', refresh_token: key });
    expect(refresh.status).toBe(400);
  });

  it('deactivation blocks its keys at once; reactivation restores them', async () => {
    const svc = await account();
    const { key } = await keyOf(svc.id);
    expect((await t.http.get(`${API}/auth/me`).set('x-api-key', key)).status).toBe(200);
    expect((await t.http.post(`${API}/service-accounts/${svc.id}/deactivate`).set(bearer(admin))).body.is_active).toBe(false);
    expect((await t.http.get(`${API}/auth/me`).set('x-api-key', key)).status).toBe(401);
    await t.http.post(`${API}/service-accounts/${svc.id}/reactivate`).set(bearer(admin));
    expect((await t.http.get(`${API}/auth/me`).set('x-api-key', key)).status).toBe(200);
  });

  it('removing its role bites its keys on the next request', async () => {
    const svc = await account(['viewer']);
    const { key } = await keyOf(svc.id);
    expect((await t.http.get(`${API}/users`).set('x-api-key', key)).status).toBe(200);
    await t.http.patch(`${API}/service-accounts/${svc.id}`).set(bearer(admin)).send({ roles: [] });
    expect((await t.http.get(`${API}/users`).set('x-api-key', key)).status).toBe(403);
  });

  it('lists and revokes its keys', async () => {
    const svc = await account();
    const { id, key } = await keyOf(svc.id);
    const list = await t.http.get(`${API}/service-accounts/${svc.id}/api-keys`).set(bearer(admin));
    expect(list.body.items.map((k: { id: string }) => k.id)).toEqual([id]);
    expect(list.text).not.toContain(key);
    expect((await t.http.delete(`${API}/service-accounts/${svc.id}/api-keys/${id}`).set(bearer(admin))).status).toBe(204);
    expect((await t.http.get(`${API}/auth/me`).set('x-api-key', key)).status).toBe(401);
    const other = await account();
    expect((await t.http.delete(`${API}/service-accounts/${other.id}/api-keys/${id}`).set(bearer(admin))).status).toBe(404);
  });

  it('permissions: read, create and modify are separate; roles obey the grant ceiling', async () => {
    const viewer = await t.actor(['viewer']);
    expect((await t.http.get(`${API}/service-accounts`).set(bearer(viewer.token))).status).toBe(403);
    expect((await t.http.post(`${API}/service-accounts`).set(bearer(viewer.token)).send({ name: accountName() })).status).toBe(403);
    const saAdmin = await t.actor(['sa_admin']);
    const escalate = await t.http
      .post(`${API}/service-accounts`)
      .set(bearer(saAdmin.token))
      .send({ name: accountName(), roles: ['auditor'] });
    expect(escalate.status).toBe(403);
    const ok = await t.http.post(`${API}/service-accounts`).set(bearer(saAdmin.token)).send({ name: accountName() });
    expect(ok.status).toBe(201);
  });

  it('a service account key cannot mint keys without an explicit scope', async () => {
    const maker = await account(['sa_admin']);
    const { key } = await keyOf(maker.id);
    const target = await account([]);
    const res = await t.http.post(`${API}/service-accounts/${target.id}/api-keys`).set('x-api-key', key).send({ name: 'child' });
    expect(res.status).toBe(403);
  });
});
