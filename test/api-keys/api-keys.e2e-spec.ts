import { ApiKeyEntity, AuditEventEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, isWellFormedApiKey } from '../../libs/fabric-auth/src/access/api-keys/api-key-format.js';
import { API, DATABASES, startTestApp, TEST_OPTIONS, type TestApp } from '../support/test-app.js';

const KEY_FORMAT = /^fab_[A-Za-z0-9]{49}$/;

describe.each(DATABASES)('user API keys on %s (SEC-43…SEC-49)', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    const roles = { ...TEST_OPTIONS.roles, key_maker: ['api_keys:create', 'users:list', 'users:read', 'reports:read'] };
    t = await startTestApp(kind, { options: { roles } });
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const withKey = (key: string) => ({ 'x-api-key': key });

  async function keyFor(username: string, body: object = { name: 'ci' }, token = admin) {
    const res = await t.http.post(`${API}/users/${username}/api-keys`).set(bearer(token)).send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; key: string; prefix: string; scopes: string[] | null; expires_at: string; created_at: string; name: string };
  }

  it('creates a key: raw key once, recognisable format, prefix from the key, default expiry', async () => {
    const owner = await t.actor(['viewer']);
    const created = await keyFor(owner.user.username, { name: 'ci-deploy', scopes: ['users:read'] });
    expect(Object.keys(created).sort()).toEqual(['created_at', 'expires_at', 'id', 'key', 'name', 'prefix', 'scopes']);
    expect(created.key).toMatch(KEY_FORMAT);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(created.scopes).toEqual(['users:read']);
    const days = (Date.parse(created.expires_at) - Date.parse(created.created_at)) / 86_400_000;
    expect(Math.round(days)).toBe(90);
    const list = await t.http.get(`${API}/users/${owner.user.username}/api-keys`).set(bearer(admin));
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(1);
    expect(Object.keys(list.body.items[0]).sort()).toEqual(['created_at', 'expires_at', 'id', 'last_used_at', 'name', 'prefix', 'revoked_at', 'scopes', 'use_count']);
    expect(list.text).not.toContain(created.key);
    const rows = await t.dataSource.getRepository(ApiKeyEntity).findBy({ id: created.id });
    expect(JSON.stringify(rows)).not.toContain(created.key);
    const events = await t.dataSource.getRepository(AuditEventEntity).findBy({ targetId: created.id });
    expect(JSON.stringify(events)).not.toContain(created.key);
  });

  it('1,000 keys are unique and well formed (SEC-45)', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateApiKey().key));
    expect(keys.size).toBe(1000);
    for (const key of keys) {
      expect(key).toMatch(KEY_FORMAT);
      expect(isWellFormedApiKey(key)).toBe(true);
    }
  });

  it('authenticates with X-API-Key: scopes ∩ owner permissions, auth_method api_key', async () => {
    const owner = await t.actor(['viewer']);
    const scoped = await keyFor(owner.user.username, { name: 'scoped', scopes: ['users:list'] });
    const me = await t.http.get(`${API}/auth/me`).set(withKey(scoped.key));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: 'user', id: owner.user.id, auth_method: 'api_key', permissions: ['users:list'] });
    expect((await t.http.get(`${API}/users`).set(withKey(scoped.key))).status).toBe(200);
    expect((await t.http.get(`${API}/demo/reports`).set(withKey(scoped.key))).status).toBe(403);
    const unscoped = await keyFor(owner.user.username, { name: 'all' });
    expect((await t.http.get(`${API}/demo/reports`).set(withKey(unscoped.key))).status).toBe(200);
  });

  it('only the header counts: query string and body keys are ignored (401)', async () => {
    const owner = await t.actor(['viewer']);
    const { key } = await keyFor(owner.user.username);
    expect((await t.http.get(`${API}/auth/me?api_key=${key}`)).status).toBe(401);
    expect((await t.http.get(`${API}/auth/me?x-api-key=${key}`)).status).toBe(401);
  });

  it('unknown, malformed and checksum-broken keys get the same 401', async () => {
    const owner = await t.actor();
    const { key } = await keyFor(owner.user.username);
    const flipped = key.slice(0, 10) + (key[10] === 'a' ? 'b' : 'a') + key.slice(11);
    const answers = await Promise.all([flipped, 'fab_short', 'not-a-key', `fab_${'A'.repeat(49)}`, generateApiKey().key].map((k) => t.http.get(`${API}/auth/me`).set(withKey(k))));
    for (const res of answers) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, message: 'Invalid credentials', error: 'Unauthorized' });
    }
  });

  it('scopes must be registered (400) and held by the owner (403); expiry is bounded (400)', async () => {
    const owner = await t.actor(['viewer']);
    const path = `${API}/users/${owner.user.username}/api-keys`;
    expect(
      (
        await t.http
          .post(path)
          .set(bearer(admin))
          .send({ name: 'x', scopes: ['billing:refund'] })
      ).status,
    ).toBe(400);
    const notHeld = await t.http
      .post(path)
      .set(bearer(admin))
      .send({ name: 'x', scopes: ['audit:read'] });
    expect(notHeld.status).toBe(403);
    expect((await t.http.post(path).set(bearer(admin)).send({ name: 'x', expires_in_days: 366 })).status).toBe(400);
    expect((await t.http.post(path).set(bearer(admin)).send({ name: 'x', expires_in_days: 0 })).status).toBe(400);
    expect((await t.http.post(path).set(bearer(admin)).send({ name: 'x', expires_in_days: -5 })).status).toBe(400);
    expect((await t.http.post(path).set(bearer(admin)).send({ name: 'x', user_id: 'someone' })).status).toBe(400);
  });

  it('a creator cannot issue a key beyond their own permissions (grant ceiling)', async () => {
    const maker = await t.actor(['key_maker']);
    const richOwner = await t.actor(['viewer', 'auditor']);
    const res = await t.http.post(`${API}/users/${richOwner.user.username}/api-keys`).set(bearer(maker.token)).send({ name: 'x' });
    expect(res.status).toBe(403);
    // Even a narrow key is a way into a richer account (SEC-79): the account ceiling refuses it.
    const narrow = await t.http
      .post(`${API}/users/${richOwner.user.username}/api-keys`)
      .set(bearer(maker.token))
      .send({ name: 'x', scopes: ['users:list'] });
    expect(narrow.status).toBe(403);
    const poorOwner = await t.actor(['viewer']);
    const ok = await t.http
      .post(`${API}/users/${poorOwner.user.username}/api-keys`)
      .set(bearer(maker.token))
      .send({ name: 'x', scopes: ['users:list'] });
    expect(ok.status).toBe(201);
    expect(
      (
        await t.http
          .post(`${API}/users/admin/api-keys`)
          .set(bearer(maker.token))
          .send({ name: 'x', scopes: ['users:list'] })
      ).status,
    ).toBe(403);
  });

  it('needs api_keys:create; unauthenticated creation is a 401 (better-auth CVE-2025-61928)', async () => {
    const owner = await t.actor(['viewer']);
    expect((await t.http.post(`${API}/users/${owner.user.username}/api-keys`).set(bearer(owner.token)).send({ name: 'x' })).status).toBe(403);
    expect((await t.http.post(`${API}/users/${owner.user.username}/api-keys`).send({ name: 'x', userId: owner.user.id })).status).toBe(401);
  });

  it('a key cannot mint keys or change passwords unless a scope explicitly allows it (SEC-48)', async () => {
    const maker = await t.actor(['key_maker']);
    const inherited = await keyFor(maker.user.username, { name: 'inherits' }, admin);
    const mint = await t.http
      .post(`${API}/users/${maker.user.username}/api-keys`)
      .set(withKey(inherited.key))
      .send({ name: 'child', scopes: ['users:list'] });
    expect(mint.status).toBe(403);
    const password = await t.http
      .post(`${API}/users/${maker.user.username}/password`)
      .set(withKey(inherited.key))
      .send({ current_password: maker.password, new_password: 'Changed-by-key-1' });
    expect(password.status).toBe(403);
    // A key is never "self" on its owner's account (SEC-79): it mints there only when it carries all the owner holds.
    const explicit = await keyFor(maker.user.username, { name: 'minter', scopes: ['api_keys:create', 'users:list', 'users:read', 'reports:read'] }, admin);
    const child = await t.http
      .post(`${API}/users/${maker.user.username}/api-keys`)
      .set(withKey(explicit.key))
      .send({ name: 'child', scopes: ['users:list'] });
    expect(child.status).toBe(201);
  });

  it('revocation is immediate, by the owner or api_keys:revoke; others get 403', async () => {
    const owner = await t.actor(['viewer']);
    const { id, key } = await keyFor(owner.user.username);
    expect((await t.http.get(`${API}/auth/me`).set(withKey(key))).status).toBe(200);
    const stranger = await t.actor(['viewer']);
    expect((await t.http.delete(`${API}/users/${owner.user.username}/api-keys/${id}`).set(bearer(stranger.token))).status).toBe(403);
    expect((await t.http.delete(`${API}/users/${stranger.user.username}/api-keys/${id}`).set(bearer(stranger.token))).status).toBe(404);
    expect((await t.http.delete(`${API}/users/${owner.user.username}/api-keys/${id}`).set(bearer(owner.token))).status).toBe(204);
    expect((await t.http.get(`${API}/auth/me`).set(withKey(key))).status).toBe(401);
    const listed = await t.http.get(`${API}/users/${owner.user.username}/api-keys`).set(bearer(owner.token));
    expect(listed.body.items[0].revoked_at).not.toBeNull();
  });

  it('an expired key fails; a deactivated owner’s keys fail; a lost permission bites at once', async () => {
    const owner = await t.actor(['viewer']);
    const { key } = await keyFor(owner.user.username, { name: 'short', expires_in_days: 1 });
    expect((await t.http.get(`${API}/users`).set(withKey(key))).status).toBe(200);
    t.clock.advance(86_400 + 1);
    try {
      expect((await t.http.get(`${API}/users`).set(withKey(key))).status).toBe(401);
    } finally {
      t.clock.reset();
    }
    const second = await keyFor(owner.user.username, { name: 'long' });
    expect((await t.http.get(`${API}/users`).set(withKey(second.key))).status).toBe(200);
    await t.http.patch(`${API}/users/${owner.user.username}`).set(bearer(admin)).send({ roles: [] });
    expect((await t.http.get(`${API}/users`).set(withKey(second.key))).status).toBe(403);
    await t.http.post(`${API}/users/${owner.user.username}/deactivate`).set(bearer(admin));
    expect((await t.http.get(`${API}/auth/me`).set(withKey(second.key))).status).toBe(401);
    await t.http.post(`${API}/users/${owner.user.username}/reactivate`).set(bearer(admin));
    expect((await t.http.get(`${API}/auth/me`).set(withKey(second.key))).status).toBe(200);
  });

  it('a scoped key of the system admin stays within its scopes', async () => {
    const { key } = await keyFor('admin', { name: 'narrow', scopes: ['users:list'] });
    expect((await t.http.get(`${API}/users`).set(withKey(key))).status).toBe(200);
    expect((await t.http.get(`${API}/audit`).set(withKey(key))).status).toBe(403);
    const me = await t.http.get(`${API}/auth/me`).set(withKey(key));
    expect(me.body.is_system_admin).toBe(false);
  });

  it('counts uses and keeps last_used_at without a write per request', async () => {
    const owner = await t.actor(['viewer']);
    const { id, key } = await keyFor(owner.user.username);
    for (let i = 0; i < 5; i++) await t.http.get(`${API}/auth/me`).set(withKey(key));
    const row = await t.dataSource.getRepository(ApiKeyEntity).findOneByOrFail({ id });
    expect(row.useCount).toBe(0);
    const listed = await t.http.get(`${API}/users/${owner.user.username}/api-keys`).set(bearer(admin));
    expect(listed.body.items[0].use_count).toBe(5);
    expect(listed.body.items[0].last_used_at).not.toBeNull();
  });

  it('reroll: a new secret under the same id; the old one works during the grace period only', async () => {
    const owner = await t.actor(['viewer']);
    const created = await keyFor(owner.user.username, { name: 'rolling', scopes: ['users:list'] });
    const res = await t.http.post(`${API}/users/${owner.user.username}/api-keys/${created.id}/reroll`).set(bearer(admin));
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(created.id);
    expect(res.body.key).not.toBe(created.key);
    expect(res.body.scopes).toEqual(['users:list']);
    expect((await t.http.get(`${API}/users`).set(withKey(res.body.key))).status).toBe(200);
    expect((await t.http.get(`${API}/users`).set(withKey(created.key))).status).toBe(200);
    t.clock.advance(3601);
    try {
      expect((await t.http.get(`${API}/users`).set(withKey(created.key))).status).toBe(401);
      expect((await t.http.get(`${API}/users`).set(withKey(res.body.key))).status).toBe(200);
    } finally {
      t.clock.reset();
    }
  });
});
