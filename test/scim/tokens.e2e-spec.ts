import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';
import { orgWithOwner } from '../organizations/org-app.js';
import { bearer, ERROR_SCHEMA, orgToken, platformToken, SCIM, SCIM_JSON, startScimApp } from './scim-app.js';

const withKey = (key: string) => ({ 'x-api-key': key });

/** Every refusal of a SCIM route is a SCIM Error (RFC 7644 §3.12) in its media type. */
function expectScimError(res: { status: number; body: Record<string, unknown>; headers: Record<string, string> }, status: number): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toContain(SCIM_JSON);
  expect(res.body.schemas).toEqual([ERROR_SCHEMA]);
  expect(res.body.status).toBe(String(status));
}

// SPEC §17 "Auth": a SCIM token is made once (raw shown once, no-store) on the API-key machinery,
// works on the SCIM routes only, and they take no other credential.
describe.each(DATABASES)('SCIM tokens, single-tenant, on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startScimApp(kind);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  it('created once by a holder of scim:manage (no-store), listed without the secret, refused to others', async () => {
    const created = await t.http.post(`${API}/scim-tokens`).set(bearer(admin)).send({ name: 'okta', expires_in_days: 30 });
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    expect(created.body.key).toMatch(/^fab_/);
    const list = await t.http.get(`${API}/scim-tokens`).set(bearer(admin));
    expect(list.status).toBe(200);
    const listed = list.body.items.find((k: { id: string }) => k.id === created.body.id);
    expect(listed).toMatchObject({ name: 'okta', prefix: created.body.prefix, revoked_at: null });
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
    const manager = await t.actor(['scim_admin']);
    expect((await t.http.post(`${API}/scim-tokens`).set(bearer(manager.token)).send({ name: 'entra' })).status).toBe(201);
    const someone = await t.actor(['viewer']);
    expect((await t.http.post(`${API}/scim-tokens`).set(bearer(someone.token)).send({ name: 'x' })).status).toBe(403);
    expect((await t.http.get(`${API}/scim-tokens`).set(bearer(someone.token))).status).toBe(403);
    // A user's ordinary key is not listed among them, nor revocable there.
    const key = await t.http.post(`${API}/users/admin/api-keys`).set(bearer(admin)).send({ name: 'plain' });
    expect(list.body.items.some((k: { id: string }) => k.id === key.body.id)).toBe(false);
    expect((await t.http.delete(`${API}/scim-tokens/${key.body.id}`).set(bearer(admin))).status).toBe(404);
  });

  it('works as a Bearer (and as X-API-Key) on the SCIM routes, answering application/scim+json', async () => {
    const { key } = await platformToken(t, admin);
    const config = await t.http.get(`${SCIM}/ServiceProviderConfig`).set(bearer(key));
    expect(config.status).toBe(200);
    expect(config.headers['content-type']).toContain(SCIM_JSON);
    expect(config.body.patch).toEqual({ supported: true });
    expect(config.body.meta.location).toMatch(/\/api\/v1\/scim\/v2\/ServiceProviderConfig$/);
    expect((await t.http.get(`${SCIM}/ServiceProviderConfig`).set(withKey(key))).status).toBe(200);
    const types = await t.http.get(`${SCIM}/ResourceTypes`).set(bearer(key));
    expect(types.body.Resources.map((r: { id: string }) => r.id)).toEqual(['User', 'Group']);
    const schemas = await t.http.get(`${SCIM}/Schemas`).set(bearer(key));
    expect(schemas.body.totalResults).toBe(3);
    expect((await t.http.get(`${SCIM}/Schemas/urn:ietf:params:scim:schemas:core:2.0:User`).set(bearer(key))).body.name).toBe('User');
    expectScimError(await t.http.get(`${SCIM}/Schemas/nope`).set(bearer(key)), 404);
  });

  it('a SCIM token is refused on every route outside SCIM, as a Bearer or as X-API-Key', async () => {
    const { key } = await platformToken(t, admin);
    for (const path of [`${API}/auth/me`, `${API}/users`, `${API}/scim-tokens`, `${API}/roles`, `${API}/demo/protected`, `${API}/audit`]) {
      expect((await t.http.get(path).set(bearer(key))).status, path).toBe(401);
      expect((await t.http.get(path).set(withKey(key))).status, path).toBe(401);
    }
    // Nor does it mint tokens: client credentials are a service account's.
    const grant = await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'client_credentials', client_id: 'idp', client_secret: key });
    expect(grant.status).toBe(401);
  });

  it("a user's Bearer, an ordinary API key (header or Bearer) and no credential get 401 on SCIM routes", async () => {
    const { token } = await t.actor(['viewer']);
    expectScimError(await t.http.get(`${SCIM}/ServiceProviderConfig`).set(bearer(admin)), 401);
    expectScimError(await t.http.get(`${SCIM}/ServiceProviderConfig`).set(bearer(token)), 401);
    const key = (await t.http.post(`${API}/users/admin/api-keys`).set(bearer(admin)).send({ name: 'plain' })).body.key as string;
    expect((await t.http.get(`${API}/auth/me`).set(withKey(key))).status).toBe(200);
    expectScimError(await t.http.get(`${SCIM}/ServiceProviderConfig`).set(withKey(key)), 401);
    expectScimError(await t.http.get(`${SCIM}/ServiceProviderConfig`).set(bearer(key)), 401);
    expectScimError(await t.http.get(`${SCIM}/ServiceProviderConfig`), 401);
    expectScimError(await t.http.get(`${SCIM}/ServiceProviderConfig`).set(bearer('fab_notakey')), 401);
  });

  it('revoked: refused from the next request; the revocation is audited', async () => {
    const { id, key } = await platformToken(t, admin);
    expect((await t.http.get(`${SCIM}/ServiceProviderConfig`).set(bearer(key))).status).toBe(200);
    expect((await t.http.delete(`${API}/scim-tokens/${id}`).set(bearer(admin))).status).toBe(204);
    expectScimError(await t.http.get(`${SCIM}/ServiceProviderConfig`).set(bearer(key)), 401);
    const audit = await t.http.get(`${API}/audit?action=scim_token.revoke`).set(bearer(admin));
    expect(audit.body.items.some((e: { target_id: string }) => e.target_id === id)).toBe(true);
  });

  it('the org routes answer 404 without organizations', async () => {
    expect((await t.http.post(`${API}/orgs/acme/scim-tokens`).set(bearer(admin)).send({ name: 'x' })).status).toBe(404);
  });
});

describe.each(DATABASES)("an organization's SCIM tokens on %s", (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startScimApp(kind, { organizations: true });
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  it('made by its owner (org:manage) or a platform admin; 403 to a plain member, 404 to an outsider', async () => {
    const org = await orgWithOwner(t, admin);
    const token = await orgToken(t, org.slug, org.owner.token);
    expect((await t.http.get(`${SCIM}/ServiceProviderConfig`).set(bearer(token.key))).status).toBe(200);
    expect((await t.http.post(`${API}/orgs/${org.id}/scim-tokens`).set(bearer(admin)).send({ name: 'by-admin' })).status).toBe(201);
    const member = await t.actor();
    await t.http.post(`${API}/orgs/${org.slug}/members`).set(bearer(admin)).send({ username: member.user.username });
    expect((await t.http.post(`${API}/orgs/${org.slug}/scim-tokens`).set(bearer(member.token)).send({ name: 'x' })).status).toBe(403);
    const outsider = await t.actor();
    expect((await t.http.get(`${API}/orgs/${org.slug}/scim-tokens`).set(bearer(outsider.token))).status).toBe(404);
    const list = await t.http.get(`${API}/orgs/${org.slug}/scim-tokens`).set(bearer(org.owner.token));
    expect(list.body.items.map((k: { name: string }) => k.name).sort()).toEqual(['by-admin', 'idp']);
    // Another organization's owner neither lists nor revokes it.
    const other = await orgWithOwner(t, admin);
    expect((await t.http.delete(`${API}/orgs/${other.slug}/scim-tokens/${token.id}`).set(bearer(other.owner.token))).status).toBe(404);
    expect((await t.http.delete(`${API}/orgs/${org.slug}/scim-tokens/${token.id}`).set(bearer(org.owner.token))).status).toBe(204);
    expect((await t.http.get(`${SCIM}/ServiceProviderConfig`).set(bearer(token.key))).status).toBe(401);
  });

  it('platform tokens do not exist with organizations on; an org token reaches no org route', async () => {
    expect((await t.http.post(`${API}/scim-tokens`).set(bearer(admin)).send({ name: 'x' })).status).toBe(404);
    const org = await orgWithOwner(t, admin);
    const { key } = await orgToken(t, org.slug, org.owner.token);
    for (const path of [`${API}/orgs`, `${API}/orgs/${org.slug}`, `${API}/orgs/${org.slug}/members`, `${API}/orgs/${org.slug}/scim-tokens`]) {
      expect((await t.http.get(path).set(bearer(key))).status, path).toBe(401);
    }
  });
});

describe('auth.scim.enabled', () => {
  it('off by default: no SCIM route, no token route', async () => {
    const t = await startTestApp('sqlite/express');
    try {
      const admin = await t.adminToken();
      expect((await t.http.post(`${API}/scim-tokens`).set(bearer(admin)).send({ name: 'x' })).status).toBe(404);
      expect((await t.http.get(`${SCIM}/ServiceProviderConfig`)).status).toBe(404);
    } finally {
      await t.close();
    }
  });
});
