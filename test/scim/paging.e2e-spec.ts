import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, type TestApp } from '../support/test-app.js';
import { bearer, GROUP_SCHEMA, PATCH_OP, platformToken, SCIM, SCIM_JSON, startScimApp, USER_SCHEMA } from './scim-app.js';

/** More users than one page of the largest size (200), so the last pages are deep. */
const USERS = 260;
const GROUPS = 210;

interface Listed {
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: Array<{ id: string; userName?: string; displayName?: string; meta: { created: string } }>;
}

/** In `concurrency` lanes: creation order then has ties on `created` that only the id breaks. */
async function inLanes<T>(count: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await work(i);
      }
    }),
  );
  return out;
}

describe.each(DATABASES)('SCIM paging at depth, on %s', (kind) => {
  let t: TestApp;
  let key: string;
  /** Every user as created: id, userName, created, in the order pages must follow (created, then id). */
  let users: Array<{ id: string; userName: string; created: string }>;
  let groups: Array<{ id: string; displayName: string; created: string }>;

  const get = async (path: string): Promise<Listed> => {
    const res = await t.http.get(`${SCIM}/${path}`).set(bearer(key));
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
    return res.body as Listed;
  };
  const byCreation = <T extends { id: string; created: string }>(rows: T[]) =>
    [...rows].sort((a, b) => (a.created === b.created ? (a.id < b.id ? -1 : 1) : a.created < b.created ? -1 : 1));

  beforeAll(async () => {
    t = await startScimApp(kind);
    key = (await platformToken(t, await t.adminToken())).key;
    users = await inLanes(USERS, 8, async (i) => {
      const userName = `deep${String(i).padStart(4, '0')}`;
      const res = await t.http
        .post(`${SCIM}/Users`)
        .set(bearer(key))
        .set('content-type', SCIM_JSON)
        .send(
          JSON.stringify({
            schemas: [USER_SCHEMA],
            userName,
            externalId: `ext-${userName}`,
            emails: [
              { value: `${userName}@work.example.test`, type: 'work', primary: true },
              { value: `${userName}@home.example.test`, type: 'home' },
            ],
            active: true,
          }),
        );
      if (res.status !== 201) throw new Error(`${userName}: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.id as string, userName, created: res.body.meta.created as string };
    });
    users = byCreation(users);
    groups = await inLanes(GROUPS, 8, async (i) => {
      const displayName = `Deep Group ${String(i).padStart(4, '0')}`;
      const res = await t.http
        .post(`${SCIM}/Groups`)
        .set(bearer(key))
        .send({ schemas: [GROUP_SCHEMA], displayName });
      if (res.status !== 201) throw new Error(`${displayName}: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.id as string, displayName, created: res.body.meta.created as string };
    });
    groups = byCreation(groups);
  }, 120_000);
  afterAll(() => t?.close());

  it('pages of 100 and of 7 walk every user once, in creation order, with the right totalResults at every depth', async () => {
    for (const size of [100, 7]) {
      const walked: string[] = [];
      for (let startIndex = 1; startIndex <= USERS; startIndex += size) {
        const page = await get(`Users?startIndex=${startIndex}&count=${size}`);
        expect(page).toMatchObject({ totalResults: USERS, startIndex, itemsPerPage: Math.min(size, USERS - startIndex + 1) });
        walked.push(...page.Resources.map((r) => r.id));
      }
      expect(walked).toEqual(users.map((u) => u.id));
    }
    // One page near the end, read directly: the 251st to the 260th user.
    const deep = await get(`Users?startIndex=251&count=50`);
    expect(deep).toMatchObject({ totalResults: USERS, startIndex: 251, itemsPerPage: 10 });
    expect(deep.Resources.map((r) => r.userName)).toEqual(users.slice(250).map((u) => u.userName));
    // Past the end: no resources, the total still told; count=0: the total alone.
    expect(await get(`Users?startIndex=${USERS + 1}&count=10`)).toMatchObject({ totalResults: USERS, itemsPerPage: 0, Resources: [] });
    expect(await get(`Users?count=0`)).toMatchObject({ totalResults: USERS, itemsPerPage: 0, Resources: [] });
  });

  it('the filters an identity provider sends before a create find a user created late (userName, externalId, emails.value: eq)', async () => {
    const late = users[USERS - 3];
    for (const filter of [
      `userName eq "${late.userName.toUpperCase()}"`,
      `externalId eq "ext-${late.userName}"`,
      `emails.value eq "${late.userName}@work.example.test"`,
      `emails[value eq "${late.userName}@WORK.example.test"]`,
      `emails.value eq "${late.userName}@home.example.test"`,
    ]) {
      const found = await get(`Users?filter=${encodeURIComponent(filter)}`);
      expect(found, filter).toMatchObject({ totalResults: 1, itemsPerPage: 1 });
      expect(found.Resources[0].id, filter).toBe(late.id);
    }
    // A filter matching many pages pages like the whole list: the 3rd page of `sw "deep02"` (deep0200…deep0259).
    const sw = await get(`Users?filter=${encodeURIComponent('userName sw "deep02"')}&startIndex=41&count=20`);
    const matching = users.filter((u) => u.userName.startsWith('deep02'));
    expect(sw).toMatchObject({ totalResults: 60, startIndex: 41, itemsPerPage: 20 });
    expect(sw.Resources.map((r) => r.id)).toEqual(matching.slice(40, 60).map((u) => u.id));
  });

  it('emails.value eq follows changes: a replaced email is found under its new value only, a deleted user under none', async () => {
    const user = users[USERS - 5];
    const count = async (email: string) => (await get(`Users?filter=${encodeURIComponent(`emails.value eq "${email}"`)}`)).totalResults;
    const patched = await t.http
      .patch(`${SCIM}/Users/${user.id}`)
      .set(bearer(key))
      .set('content-type', SCIM_JSON)
      .send(JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'emails[type eq "work"].value', value: `moved-${user.userName}@work.example.test` }] }));
    expect(patched.status).toBe(200);
    expect(await count(`${user.userName}@work.example.test`)).toBe(0);
    expect(await count(`moved-${user.userName}@work.example.test`)).toBe(1);
    expect(await count(`${user.userName}@home.example.test`)).toBe(1);
    expect((await t.http.delete(`${SCIM}/Users/${user.id}`).set(bearer(key))).status).toBe(204);
    expect(await count(`moved-${user.userName}@work.example.test`)).toBe(0);
    expect(await count(`${user.userName}@home.example.test`)).toBe(0);
    users = users.filter((u) => u.id !== user.id);
    expect((await get('Users?count=0')).totalResults).toBe(USERS - 1);
  });

  it('groups page the same way, and displayName eq (any case) finds a group created late, also after a rename', async () => {
    const walked: string[] = [];
    for (let startIndex = 1; startIndex <= GROUPS; startIndex += 50) {
      const page = await get(`Groups?startIndex=${startIndex}&count=50&excludedAttributes=members`);
      expect(page).toMatchObject({ totalResults: GROUPS, startIndex });
      walked.push(...page.Resources.map((r) => r.id));
    }
    expect(walked).toEqual(groups.map((g) => g.id));
    const late = groups[GROUPS - 2];
    const found = await get(`Groups?filter=${encodeURIComponent(`displayName eq "${late.displayName.toUpperCase()}"`)}`);
    expect(found).toMatchObject({ totalResults: 1 });
    expect(found.Resources[0].id).toBe(late.id);
    const renamed = await t.http
      .patch(`${SCIM}/Groups/${late.id}`)
      .set(bearer(key))
      .send({ schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'displayName', value: 'Renamed Deep Group' }] });
    expect(renamed.status).toBe(200);
    expect((await get(`Groups?filter=${encodeURIComponent(`displayName eq "${late.displayName}"`)}`)).totalResults).toBe(0);
    expect((await get(`Groups?filter=${encodeURIComponent('displayName eq "renamed deep group"')}`)).Resources.map((r) => r.id)).toEqual([late.id]);
  });
});
