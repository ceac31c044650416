import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, startTestApp, TEST_OPTIONS, type TestApp } from '../support/test-app.js';

describe.each(DATABASES)('API keys cannot outgrow their creator on %s (review findings)', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    const roles = { ...TEST_OPTIONS.roles, key_clerk: ['api_keys:list', 'api_keys:create', 'users:list'] };
    t = await startTestApp(kind, { options: { roles } });
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('rerolling a richer key is refused to a creator who does not hold its permissions', async () => {
    const clerk = await t.actor(['key_clerk']);
    const rich = await t.actor(['viewer', 'auditor']);
    const key = (await t.http.post(`${API}/users/${rich.user.username}/api-keys`).set(bearer(admin)).send({ name: 'rich' })).body;
    const res = await t.http.post(`${API}/users/${rich.user.username}/api-keys/${key.id}/reroll`).set(bearer(clerk.token));
    expect(res.status).toBe(403);
    expect((await t.http.get(`${API}/audit`).set('x-api-key', key.key)).status).toBe(200);
  });

  it('a key made for someone else is pinned to what the owner held then, and mints nothing', async () => {
    const owner = await t.actor(['viewer']);
    const created = (await t.http.post(`${API}/users/${owner.user.username}/api-keys`).set(bearer(admin)).send({ name: 'made-for-you' })).body;
    expect(created.scopes).toEqual(['reports:read', 'users:list', 'users:read']);
    await t.http
      .patch(`${API}/users/${owner.user.username}`)
      .set(bearer(admin))
      .send({ roles: ['viewer', 'auditor'] });
    expect((await t.http.get(`${API}/audit`).set('x-api-key', created.key)).status).toBe(403);
    expect((await t.http.get(`${API}/users`).set('x-api-key', created.key)).status).toBe(200);
    const own = await t.login(owner.user.username, owner.password);
    const mine = await t.http.post(`${API}/users/${owner.user.username}/api-keys`).set(bearer(own.access_token)).send({ name: 'mine' });
    expect(mine.status).toBe(403);
  });

  it('a key its owner makes without scopes follows the owner', async () => {
    const maker = await t.actor(['key_clerk']);
    const created = (await t.http.post(`${API}/users/${maker.user.username}/api-keys`).set(bearer(maker.token)).send({ name: 'own' })).body;
    expect(created.scopes).toBeNull();
    await t.http
      .patch(`${API}/users/${maker.user.username}`)
      .set(bearer(admin))
      .send({ roles: ['key_clerk', 'auditor'] });
    expect((await t.http.get(`${API}/audit`).set('x-api-key', created.key)).status).toBe(200);
  });

  it('a pinned key does not count as explicitly allowed to mint keys', async () => {
    const clerk = await t.actor(['key_clerk']);
    const pinned = (await t.http.post(`${API}/users/${clerk.user.username}/api-keys`).set(bearer(admin)).send({ name: 'pinned' })).body;
    expect(pinned.scopes).toContain('api_keys:create');
    const res = await t.http
      .post(`${API}/users/${clerk.user.username}/api-keys`)
      .set('x-api-key', pinned.key)
      .send({ name: 'child', scopes: ['users:list'] });
    expect(res.status).toBe(403);
  });
});
