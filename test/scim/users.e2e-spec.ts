import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, type TestApp } from '../support/test-app.js';
import { itOnPostgres, orgWithOwner } from '../organizations/org-app.js';
import { bearer, ENTERPRISE, ERROR_SCHEMA, orgToken, PATCH_OP, platformToken, SCIM, SCIM_JSON, startScimApp, USER_SCHEMA } from './scim-app.js';

let seq = 0;
const unique = (prefix = 'u') => `${prefix}${++seq}x${process.pid}`;

function userBody(userName: string, more: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: [USER_SCHEMA, ENTERPRISE],
    userName,
    externalId: `ext-${userName}`,
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    displayName: `Ada ${userName}`,
    emails: [{ value: `${userName}@example.test`, type: 'work', primary: true }],
    active: true,
    [ENTERPRISE]: { employeeNumber: '42', department: 'R&D', manager: { value: 'boss' } },
    ...more,
  };
}

describe.each(DATABASES)('SCIM Users, single-tenant, on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  let key: string;
  beforeAll(async () => {
    t = await startScimApp(kind);
    admin = await t.adminToken();
    key = (await platformToken(t, admin)).key;
  });
  afterAll(() => t?.close());

  const post = (body: unknown, token = key) => t.http.post(`${SCIM}/Users`).set(bearer(token)).set('content-type', SCIM_JSON).send(JSON.stringify(body));
  const patch = (id: string, operations: unknown[]) =>
    t.http
      .patch(`${SCIM}/Users/${id}`)
      .set(bearer(key))
      .set('content-type', SCIM_JSON)
      .send(JSON.stringify({ schemas: [PATCH_OP], Operations: operations }));
  const list = (filter: string, extra = '') => t.http.get(`${SCIM}/Users?filter=${encodeURIComponent(filter)}${extra}`).set(bearer(key));

  it('POST creates the resource and an account without a password; GET reads it back with the enterprise extension', async () => {
    const userName = unique();
    const created = await post(userBody(userName));
    expect(created.status).toBe(201);
    expect(created.headers['content-type']).toContain(SCIM_JSON);
    expect(created.headers.location).toBe(created.body.meta.location);
    expect(created.body).toMatchObject({ userName, externalId: `ext-${userName}`, active: true, name: { givenName: 'Ada' } });
    expect(created.body.schemas).toEqual([USER_SCHEMA, ENTERPRISE]);
    expect(created.body[ENTERPRISE]).toEqual({ employeeNumber: '42', department: 'R&D', manager: { value: 'boss' } });
    const read = await t.http.get(`${SCIM}/Users/${created.body.id}`).set(bearer(key));
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    const account = await t.users.findByUsername(userName);
    expect(account).toMatchObject({ email: `${userName}@example.test`, isActive: true });
    expect(await t.users.hasPassword(account!.id)).toBe(false);
    expect((await t.http.get(`${SCIM}/Users/00000000-0000-4000-8000-000000000000`).set(bearer(key))).status).toBe(404);
    expect((await t.http.get(`${SCIM}/Users/not-an-id`).set(bearer(key))).status).toBe(404);
  });

  it('the same userName (any case) or externalId again is 409 uniqueness; a bad body is 400 invalidValue', async () => {
    const userName = unique();
    expect((await post(userBody(userName))).status).toBe(201);
    const again = await post(userBody(userName.toUpperCase(), { externalId: 'other' }));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '409', scimType: 'uniqueness' });
    const sameExternal = await post(userBody(unique(), { externalId: `ext-${userName}` }));
    expect(sameExternal.status).toBe(409);
    expect(sameExternal.body.scimType).toBe('uniqueness');
    const bad = await post({ schemas: [USER_SCHEMA], userName: 12 });
    expect(bad.status).toBe(400);
    expect(bad.body.scimType).toBe('invalidValue');
    expect((await post({ schemas: [USER_SCHEMA] })).body.scimType).toBe('invalidValue');
  });

  it('filters: eq, co, sw, and, or, parentheses on userName, externalId, emails.value, displayName; attribute names in any case', async () => {
    const stem = unique('flt');
    const ids: string[] = [];
    for (const n of ['a', 'b', 'c']) ids.push((await post(userBody(`${stem}${n}`, { displayName: `Team ${stem} ${n}` }))).body.id);
    const names = (res: { body: { Resources: Array<{ userName: string }> } }) => res.body.Resources.map((r) => r.userName).sort();
    const eq = await list(`USERNAME eq "${stem.toUpperCase()}A"`);
    expect(eq.status).toBe(200);
    expect(eq.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(names(await list(`userName sw "${stem}"`))).toEqual([`${stem}a`, `${stem}b`, `${stem}c`]);
    expect(names(await list(`externalId eq "ext-${stem}b"`))).toEqual([`${stem}b`]);
    expect(names(await list(`emails.value eq "${stem}c@example.test"`))).toEqual([`${stem}c`]);
    expect(names(await list(`emails[value co "${stem}c@"]`))).toEqual([`${stem}c`]);
    expect(names(await list(`displayName co "${stem} b"`))).toEqual([`${stem}b`]);
    expect(names(await list(`(userName eq "${stem}a" or userName eq "${stem}b") and displayName co "team"`))).toEqual([`${stem}a`, `${stem}b`]);
    expect(names(await list(`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "${stem}a"`))).toEqual([`${stem}a`]);
    expect((await list(`userName eq "nobody-${stem}"`)).body).toMatchObject({ totalResults: 0, Resources: [] });
    // A value with LIKE's wildcards matches them literally.
    expect((await list(`userName co "%"`)).body.totalResults).toBe(0);
    for (const hostile of [
      'nickName eq "x"',
      'userName eq "unterminated',
      'userName zz "x"',
      `${'('.repeat(50)}userName eq "x"${')'.repeat(50)}`,
      `userName eq "${'x'.repeat(2000)}"`,
      'userName gt "a"',
      '',
    ]) {
      if (hostile === '') continue;
      const res = await list(hostile);
      expect(res.status, hostile).toBe(400);
      expect(res.body.scimType, hostile).toBe('invalidFilter');
    }
  });

  it('paging: startIndex and count, count bounded at 200', async () => {
    const stem = unique('pg');
    for (let i = 0; i < 5; i++) await post(userBody(`${stem}${i}`));
    const page = await list(`userName sw "${stem}"`, '&startIndex=2&count=2');
    expect(page.body).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
    expect(page.body.Resources.map((r: { userName: string }) => r.userName)).toEqual([`${stem}1`, `${stem}2`]);
    const counted = await list(`userName sw "${stem}"`, '&count=0');
    expect(counted.body).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
    const all = await t.http.get(`${SCIM}/Users?count=100000`).set(bearer(key));
    expect(all.body.itemsPerPage).toBeLessThanOrEqual(200);
    expect((await t.http.get(`${SCIM}/Users?count=abc`).set(bearer(key))).status).toBe(400);
  });

  it('PUT replaces; PATCH as Entra sends it: "Replace", "False", a filtered path, a value without path, the enterprise URN path', async () => {
    const userName = unique();
    const id = (await post(userBody(userName))).body.id as string;
    const put = await t.http
      .put(`${SCIM}/Users/${id}`)
      .set(bearer(key))
      .send(userBody(userName, { displayName: 'Replaced', [ENTERPRISE]: { department: 'Ops' } }));
    expect(put.status).toBe(200);
    expect(put.body.displayName).toBe('Replaced');
    expect(put.body[ENTERPRISE]).toEqual({ department: 'Ops' });
    const patched = await patch(id, [
      { op: 'Replace', path: 'emails[type eq "work"].value', value: `new-${userName}@example.test` },
      { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' },
      { op: 'Replace', value: { displayName: 'By value', 'name.familyName': 'Byron' } },
      { op: 'Replace', path: `${ENTERPRISE}:employeeNumber`, value: '7' },
      { op: 'replace', path: 'title', value: 'Countess' },
    ]);
    expect(patched.status).toBe(200);
    expect(patched.body.emails).toEqual([{ value: `new-${userName}@example.test`, type: 'work', primary: true }]);
    expect(patched.body.phoneNumbers).toEqual([{ type: 'mobile', value: '+1 555 0100' }]);
    expect(patched.body).toMatchObject({ displayName: 'By value', name: { givenName: 'Ada', familyName: 'Byron' }, title: 'Countess' });
    expect(patched.body[ENTERPRISE]).toEqual({ department: 'Ops', employeeNumber: '7' });
    expect((await list(`emails.value eq "new-${userName}@example.test"`)).body.totalResults).toBe(1);
    const removed = await patch(id, [{ op: 'Remove', path: 'title' }]);
    expect(removed.body.title).toBeUndefined();
    const idChange = await patch(id, [{ op: 'replace', path: 'id', value: 'x' }]);
    expect(idChange.status).toBe(400);
    expect(idChange.body.scimType).toBe('mutability');
    const badOp = await patch(id, [{ op: 'frobnicate', path: 'title', value: 'x' }]);
    expect(badOp.status).toBe(400);
    const noTarget = await patch(id, [{ op: 'remove' }]);
    expect(noTarget.body.scimType).toBe('noTarget');
    expect((await patch(id, [{ op: 'replace', path: 'active', value: 'maybe' }])).body.scimType).toBe('invalidValue');
  });

  it('active "False" deprovisions: the account is deactivated and its existing Bearer refused on the next request; "True" reactivates; audited with the token as actor', async () => {
    const { user, password } = await t.createUser();
    const session = await t.login(user.username, password);
    expect((await t.http.get(`${API}/auth/me`).set(bearer(session.access_token))).status).toBe(200);
    // The identity provider's userName names the existing account: the resource provisions it.
    const id = (await post(userBody(user.username))).body.id as string;
    const off = await patch(id, [{ op: 'Replace', path: 'active', value: 'False' }]);
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect((await t.http.get(`${API}/auth/me`).set(bearer(session.access_token))).status).toBe(401);
    const refresh = await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'refresh_token', refresh_token: session.refresh_token });
    expect(refresh.status).toBeGreaterThanOrEqual(400);
    expect((await t.users.findById(user.id))!.isActive).toBe(false);
    const on = await patch(id, [{ op: 'replace', value: { active: 'True' } }]);
    expect(on.body.active).toBe(true);
    expect((await t.users.findById(user.id))!.isActive).toBe(true);
    const audit = await t.http.get(`${API}/audit?target=${id}`).set(bearer(admin));
    const actions = audit.body.items.map((e: { action: string }) => e.action);
    expect(actions).toContain('scim.user.update');
    expect(audit.body.items[0]).toMatchObject({ actor_kind: 'scim_token' });
  });

  it("Okta's PUT with active: false deprovisions too; DELETE deactivates and removes the resource", async () => {
    const { user, password } = await t.createUser();
    const session = await t.login(user.username, password);
    const id = (await post(userBody(user.username))).body.id as string;
    const put = await t.http
      .put(`${SCIM}/Users/${id}`)
      .set(bearer(key))
      .send(userBody(user.username, { active: false }));
    expect(put.body.active).toBe(false);
    expect((await t.http.get(`${API}/auth/me`).set(bearer(session.access_token))).status).toBe(401);
    const other = await t.createUser();
    const otherSession = await t.login(other.user.username, other.password);
    const otherId = (await post(userBody(other.user.username))).body.id as string;
    expect((await t.http.delete(`${SCIM}/Users/${otherId}`).set(bearer(key))).status).toBe(204);
    expect((await t.http.get(`${SCIM}/Users/${otherId}`).set(bearer(key))).status).toBe(404);
    expect((await t.http.get(`${API}/auth/me`).set(bearer(otherSession.access_token))).status).toBe(401);
    expect((await t.http.delete(`${SCIM}/Users/${otherId}`).set(bearer(key))).status).toBe(404);
  });

  it('never deprovisions the system admin', async () => {
    const id = (await post(userBody('admin', { externalId: 'admin-ext', emails: [] }))).body.id as string;
    const res = await patch(id, [{ op: 'replace', path: 'active', value: false }]);
    expect(res.status).toBe(403);
    expect((await t.http.get(`${API}/auth/me`).set(bearer(admin))).status).toBe(200);
  });

  itOnPostgres(kind, '20 parallel creates of one user give one resource and one account; the others are 409 uniqueness', async () => {
    const userName = unique('race');
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(userBody(userName))));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    for (const answer of answers.filter((a) => a.status === 409)) expect(answer.body.scimType).toBe('uniqueness');
    expect((await list(`userName eq "${userName}"`)).body.totalResults).toBe(1);
  });

  itOnPostgres(kind, 'a PATCH racing a DELETE ends consistent: the resource is gone and the account deactivated, never a 500', async () => {
    for (let round = 0; round < 5; round++) {
      const { user } = await t.createUser();
      const id = (await post(userBody(user.username))).body.id as string;
      const [patched, deleted] = await Promise.all([patch(id, [{ op: 'replace', path: 'displayName', value: 'x' }]), t.http.delete(`${SCIM}/Users/${id}`).set(bearer(key))]);
      expect([200, 404]).toContain(patched.status);
      expect(deleted.status).toBe(204);
      expect((await t.http.get(`${SCIM}/Users/${id}`).set(bearer(key))).status).toBe(404);
      expect((await t.users.findById(user.id))!.isActive).toBe(false);
    }
  });
});

describe.each(DATABASES)('SCIM Users in organizations on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startScimApp(kind, { organizations: true });
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  it("provisions members of the token's organization only; another organization's token neither sees nor touches them", async () => {
    const a = await orgWithOwner(t, admin);
    const b = await orgWithOwner(t, admin);
    const keyA = (await orgToken(t, a.slug, a.owner.token)).key;
    const keyB = (await orgToken(t, b.slug, b.owner.token)).key;
    const userName = unique('org');
    const created = await t.http.post(`${SCIM}/Users`).set(bearer(keyA)).send(userBody(userName));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const member = await t.http.get(`${API}/orgs/${a.slug}/members/${userName}`).set(bearer(admin));
    expect(member.status).toBe(200);
    expect(member.body.roles).toEqual(['member']);
    expect((await t.http.get(`${SCIM}/Users/${id}`).set(bearer(keyB))).status).toBe(404);
    expect((await t.http.get(`${SCIM}/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`).set(bearer(keyB))).body.totalResults).toBe(0);
    expect((await t.http.put(`${SCIM}/Users/${id}`).set(bearer(keyB)).send(userBody(userName))).status).toBe(404);
    expect((await t.http.delete(`${SCIM}/Users/${id}`).set(bearer(keyB))).status).toBe(404);
    // B may provision the same account in its own organization: userName is unique per organization.
    const inB = await t.http.post(`${SCIM}/Users`).set(bearer(keyB)).send(userBody(userName));
    expect(inB.status).toBe(201);
    expect(inB.body.id).not.toBe(id);
    // Deprovisioned in A: the membership of A goes, B's stays, the account stays active.
    const off = await t.http
      .patch(`${SCIM}/Users/${id}`)
      .set(bearer(keyA))
      .send({ schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
    expect(off.status).toBe(200);
    expect((await t.http.get(`${API}/orgs/${a.slug}/members/${userName}`).set(bearer(admin))).status).toBe(404);
    expect((await t.http.get(`${API}/orgs/${b.slug}/members/${userName}`).set(bearer(admin))).status).toBe(200);
    expect((await t.users.findByUsername(userName))!.isActive).toBe(true);
    const audit = await t.http.get(`${API}/orgs/${a.slug}/audit?action=scim.user.update`).set(bearer(a.owner.token));
    expect(audit.status).toBe(200);
    expect(audit.body.items.length).toBeGreaterThan(0);
  });

  it("deprovisioning refuses the member's existing token in the organization on the next request", async () => {
    const org = await orgWithOwner(t, admin);
    const key = (await orgToken(t, org.slug, org.owner.token)).key;
    const { user, password } = await t.createUser();
    const id = (await t.http.post(`${SCIM}/Users`).set(bearer(key)).send(userBody(user.username))).body.id as string;
    const session = await t.login(user.username, password);
    const switched = await t.http.post(`${API}/auth/token`).set(bearer(session.access_token)).type('form').send({ grant_type: 'organization', organization: org.slug });
    expect(switched.status).toBe(200);
    const orgBearer = switched.body.access_token as string;
    expect((await t.http.get(`${API}/orgs/${org.slug}/members`).set(bearer(orgBearer))).status).toBe(200);
    expect((await t.http.delete(`${SCIM}/Users/${id}`).set(bearer(key))).status).toBe(204);
    expect((await t.http.get(`${API}/orgs/${org.slug}/members`).set(bearer(orgBearer))).status).toBe(404);
  });
});
