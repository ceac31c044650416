import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, databaseOf, startTestApp, type TestApp } from '../support/test-app.js';

const SETS = [['viewer'], ['auditor'], ['viewer', 'auditor'], ['user_admin'], ['role_admin', 'auditor']];
const asKey = (roles: readonly string[]) => [...roles].sort().join(',');

/** SEC-93: concurrent writes on one account end in a state one of them asked for; a taken unique key is a 409. */
describe.each(DATABASES)('races on %s', (kind) => {
  // Names cannot hold the '/' of 'sqlite/express'.
  const tag = kind.replace('/', '-');
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.adminToken();
  });
  afterAll(async () => {
    await t?.close();
  });

  async function storedRolesOfUser(userId: string): Promise<string[]> {
    const rows: Array<{ name: string }> = await t.dataSource.query(
      `SELECT r.name FROM role_assignments ra JOIN roles r ON r.id = ra.role_id WHERE ra.user_id = ${databaseOf(kind) === 'postgres' ? '$1' : '?'}`,
      [userId],
    );
    return rows.map((r) => r.name).sort();
  }

  it('20 parallel role replacements with different sets: one requested set, never a union, 200 or 409', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const { user } = await t.createUser();
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          t.http
            .patch(`${API}/users/${user.username}`)
            .auth(admin, { type: 'bearer' })
            .send({ roles: SETS[i % SETS.length] }),
        ),
      );
      for (const answer of answers) expect([200, 409]).toContain(answer.status);
      const stored = await storedRolesOfUser(user.id);
      expect(SETS.map(asKey)).toContain(stored.join(','));
      const shown = await t.http.get(`${API}/users/${user.username}`).auth(admin, { type: 'bearer' });
      expect(shown.body.roles).toEqual(stored);
    }
  });

  it('20 parallel replacements with the same set: no duplicate key, no 500', async () => {
    const { user } = await t.createUser();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.http
          .patch(`${API}/users/${user.username}`)
          .auth(admin, { type: 'bearer' })
          .send({ roles: ['viewer', 'auditor'] }),
      ),
    );
    for (const answer of answers) expect([200, 409]).toContain(answer.status);
    expect(answers.some((a) => a.status === 200)).toBe(true);
    expect(await storedRolesOfUser(user.id)).toEqual(['auditor', 'viewer']);
  });

  it('service accounts: 20 parallel role replacements end in one requested set', async () => {
    const created = await t.http
      .post(`${API}/service-accounts`)
      .auth(admin, { type: 'bearer' })
      .send({ name: `race-${tag}`, roles: ['viewer'] });
    expect(created.status).toBe(201);
    for (const sets of [SETS, [['auditor', 'viewer']]]) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          t.http
            .patch(`${API}/service-accounts/${created.body.id}`)
            .auth(admin, { type: 'bearer' })
            .send({ roles: sets[i % sets.length] }),
        ),
      );
      for (const answer of answers) expect([200, 409]).toContain(answer.status);
      const shown = await t.http.get(`${API}/service-accounts/${created.body.id}`).auth(admin, { type: 'bearer' });
      expect(sets.map(asKey)).toContain(asKey(shown.body.roles));
      const rows: Array<{ n: number | string }> = await t.dataSource.query(
        `SELECT count(*) AS n FROM role_assignments WHERE service_account_id = ${databaseOf(kind) === 'postgres' ? '$1' : '?'}`,
        [created.body.id],
      );
      expect(Number(rows[0].n)).toBe(shown.body.roles.length);
    }
  });

  it('a unique key taken by a concurrent request is a 409: users, roles, service accounts', async () => {
    const users = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.http
          .post(`${API}/users`)
          .auth(admin, { type: 'bearer' })
          .send({ username: `same-${tag}`, email: `same-${tag}@example.test` }),
      ),
    );
    expect(users.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    const roles = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.http
          .post(`${API}/roles`)
          .auth(admin, { type: 'bearer' })
          .send({ name: `same-role-${tag}`, permissions: ['users:list'] }),
      ),
    );
    expect(roles.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    const accounts = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.http
          .post(`${API}/service-accounts`)
          .auth(admin, { type: 'bearer' })
          .send({ name: `same-sa-${tag}` }),
      ),
    );
    expect(accounts.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    for (const answer of [...users, ...roles, ...accounts].filter((r) => r.status === 409)) {
      expect(answer.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
    }
  });

  it('two concurrent renames to one free username: one 200, one 409', async () => {
    const [first, second] = [await t.createUser(), await t.createUser()];
    const answers = await Promise.all(
      [first, second].map(({ user }) =>
        t.http
          .patch(`${API}/users/${user.username}`)
          .auth(admin, { type: 'bearer' })
          .send({ username: `renamed-${tag}` }),
      ),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
  });
});
