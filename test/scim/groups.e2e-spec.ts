import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, type TestApp } from '../support/test-app.js';
import { orgWithOwner } from '../organizations/org-app.js';
import { bearer, GROUP_SCHEMA, orgToken, PATCH_OP, platformToken, SCIM, SCIM_JSON, startScimApp, USER_SCHEMA } from './scim-app.js';

const patchOf = (operations: unknown[]) => ({ schemas: [PATCH_OP], Operations: operations });

// SPEC §17 "groups map to roles only through an explicit group → role mapping".
describe.each(DATABASES)('SCIM Groups, single-tenant, on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  let key: string;
  beforeAll(async () => {
    t = await startScimApp(kind, { options: { scim: { enabled: true, roleMapping: { Engineering: ['viewer'] } } } });
    admin = await t.adminToken();
    key = (await platformToken(t, admin)).key;
  });
  afterAll(() => t?.close());

  /** An account (with a password, to sign in) provisioned through SCIM; its resource id. */
  async function provisioned(): Promise<{ id: string; username: string; userId: string }> {
    const { user } = await t.createUser();
    const res = await t.http
      .post(`${SCIM}/Users`)
      .set(bearer(key))
      .send({ schemas: [USER_SCHEMA], userName: user.username });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, username: user.username, userId: user.id };
  }
  const rolesOf = async (username: string) => ((await t.http.get(`${API}/users/${username}`).set(bearer(admin))).body.roles as string[]).sort();

  it('a mapped group grants its roles to its members, keeps them when renamed, takes back only what it gave', async () => {
    const a = await provisioned();
    const b = await provisioned();
    expect(
      (
        await t.http
          .patch(`${API}/users/${a.username}`)
          .set(bearer(admin))
          .send({ roles: ['auditor'] })
      ).status,
    ).toBe(200);
    const created = await t.http
      .post(`${SCIM}/Groups`)
      .set(bearer(key))
      .set('content-type', SCIM_JSON)
      .send(JSON.stringify({ schemas: [GROUP_SCHEMA], displayName: 'Engineering', externalId: 'eng-1', members: [{ value: a.id }] }));
    expect(created.status).toBe(201);
    expect(created.headers['content-type']).toContain(SCIM_JSON);
    expect(created.body.members).toEqual([expect.objectContaining({ value: a.id, display: a.username })]);
    expect(await rolesOf(a.username)).toEqual(['auditor', 'viewer']);
    const groupId = created.body.id as string;
    // Entra: rename, then members added and removed in chunks.
    const renamed = await t.http
      .patch(`${SCIM}/Groups/${groupId}`)
      .set(bearer(key))
      .send(patchOf([{ op: 'Replace', path: 'displayName', value: 'Platform Engineering' }]));
    expect(renamed.status).toBe(200);
    expect(renamed.body.displayName).toBe('Platform Engineering');
    const added = await t.http
      .patch(`${SCIM}/Groups/${groupId}`)
      .set(bearer(key))
      .send(patchOf([{ op: 'Add', path: 'members', value: [{ value: b.id }] }]));
    expect(added.status).toBe(200);
    expect(await rolesOf(b.username)).toEqual(['viewer']);
    const removed = await t.http
      .patch(`${SCIM}/Groups/${groupId}`)
      .set(bearer(key))
      .send(patchOf([{ op: 'Remove', path: `members[value eq "${a.id}"]` }]));
    expect(removed.status).toBe(200);
    expect(await rolesOf(a.username)).toEqual(['auditor']);
    expect((await t.http.get(`${SCIM}/Groups/${groupId}?excludedAttributes=members`).set(bearer(key))).body.members).toBeUndefined();
    expect((await t.http.get(`${SCIM}/Groups?filter=${encodeURIComponent('displayName eq "platform engineering"')}`).set(bearer(key))).body.totalResults).toBe(1);
    expect((await t.http.delete(`${SCIM}/Groups/${groupId}`).set(bearer(key))).status).toBe(204);
    expect(await rolesOf(b.username)).toEqual([]);
  });

  it('an unmapped group, or a group renamed to a mapped name, grants nothing; unknown mapped roles are skipped', async () => {
    const a = await provisioned();
    const group = await t.http
      .post(`${SCIM}/Groups`)
      .set(bearer(key))
      .send({ schemas: [GROUP_SCHEMA], displayName: 'Sales', members: [{ value: a.id }] });
    expect(group.status).toBe(201);
    expect(await rolesOf(a.username)).toEqual([]);
    await t.http
      .patch(`${SCIM}/Groups/${group.body.id}`)
      .set(bearer(key))
      .send(patchOf([{ op: 'replace', value: { displayName: 'Engineering' } }]));
    expect(await rolesOf(a.username)).toEqual([]);
  });

  it('unknown members are 400 and change nothing; a duplicate externalId is 409 uniqueness', async () => {
    const res = await t.http
      .post(`${SCIM}/Groups`)
      .set(bearer(key))
      .send({ schemas: [GROUP_SCHEMA], displayName: 'X', members: [{ value: '00000000-0000-4000-8000-000000000000' }] });
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe('invalidValue');
    expect((await t.http.post(`${SCIM}/Groups`).set(bearer(key)).send({ displayName: 'Y', externalId: 'dup' })).status).toBe(201);
    const dup = await t.http.post(`${SCIM}/Groups`).set(bearer(key)).send({ displayName: 'Z', externalId: 'dup' });
    expect(dup.status).toBe(409);
    expect(dup.body.scimType).toBe('uniqueness');
  });
});

describe.each(DATABASES)('SCIM Groups in organizations on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startScimApp(kind, { organizations: true, options: { scim: { enabled: true, roleMapping: { Admins: ['admin'] } } } });
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  it("maps to org roles of the token's organization (never owner); another organization's token sees none of it", async () => {
    const a = await orgWithOwner(t, admin);
    const b = await orgWithOwner(t, admin);
    const keyA = (await orgToken(t, a.slug, a.owner.token)).key;
    const keyB = (await orgToken(t, b.slug, b.owner.token)).key;
    const { user } = await t.createUser();
    const resource = await t.http
      .post(`${SCIM}/Users`)
      .set(bearer(keyA))
      .send({ schemas: [USER_SCHEMA], userName: user.username });
    const group = await t.http
      .post(`${SCIM}/Groups`)
      .set(bearer(keyA))
      .send({ schemas: [GROUP_SCHEMA], displayName: 'Admins', members: [{ value: resource.body.id }] });
    expect(group.status).toBe(201);
    const member = await t.http.get(`${API}/orgs/${a.slug}/members/${user.username}`).set(bearer(admin));
    expect(member.body.roles.sort()).toEqual(['admin', 'member']);
    expect((await t.http.get(`${SCIM}/Groups/${group.body.id}`).set(bearer(keyB))).status).toBe(404);
    expect((await t.http.get(`${SCIM}/Groups`).set(bearer(keyB))).body.totalResults).toBe(0);
    // B cannot put A's user in its own group.
    const foreign = await t.http
      .post(`${SCIM}/Groups`)
      .set(bearer(keyB))
      .send({ schemas: [GROUP_SCHEMA], displayName: 'Admins', members: [{ value: resource.body.id }] });
    expect(foreign.status).toBe(400);
    // Deprovisioned and back: the group's roles come back with the membership.
    await t.http
      .patch(`${SCIM}/Users/${resource.body.id}`)
      .set(bearer(keyA))
      .send(patchOf([{ op: 'replace', path: 'active', value: false }]));
    expect((await t.http.get(`${API}/orgs/${a.slug}/members/${user.username}`).set(bearer(admin))).status).toBe(404);
    await t.http
      .patch(`${SCIM}/Users/${resource.body.id}`)
      .set(bearer(keyA))
      .send(patchOf([{ op: 'replace', path: 'active', value: true }]));
    expect((await t.http.get(`${API}/orgs/${a.slug}/members/${user.username}`).set(bearer(admin))).body.roles.sort()).toEqual(['admin', 'member']);
  });
});
