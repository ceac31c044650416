import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatementLog, type LoggedStatement } from '../support/statement-log.js';
import { API, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * What a `?q=` page of the users list costs the database, in statements (issue 19 item 13): a
 * deterministic guard where timing would be noise. Each statement is a round trip the request
 * waits for, one after the other: a page in match order carries its count and its rows' roles
 * in its own statement; so does a page in another order (a bounded search): its candidates
 * with their count, or its walk of the sort order, joined to its rows and their roles.
 */
const ROWS = 3_000;

interface Page {
  items: { username: string; roles: string[] }[];
  total: number;
  total_is_estimate: boolean;
  next_cursor: string | null;
}

// Statements are the same on either HTTP adapter, and PostgreSQL is the database the budget is about.
describe('statements per ?q= page on postgres', () => {
  let t: TestApp;
  let log: StatementLog;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp('postgres');
    log = StatementLog.watch(t);
    admin = await t.adminToken();
    // find1 … find3000: `find12` matches find12, find120–129, find1200–1299 (111 users).
    await t.dataSource.query(
      `INSERT INTO users (id, username, email, full_name, is_active, is_system_admin, email_verified, created_at, updated_at)
       SELECT uuid_generate_v4(), 'find' || g, 'find' || g || '@example.test', NULL, true, false, false, now() - (g || ' seconds')::interval, now()
       FROM generate_series(1, ${ROWS}) g`,
    );
    await t.dataSource.query('ANALYZE users');
  }, 120_000);
  afterAll(() => t?.close());

  /** The session read a principal cache miss starts with (CredentialReads.session). */
  const readsPrincipal = (statement: LoggedStatement) => /\bs\.absolute_expires_at\b/.test(statement.sql);
  const show = (statements: LoggedStatement[]) => statements.map((s, n) => `${n + 1}. ${s.sql}`).join('\n');

  /** The page `path` answers and its statements, the caller's principal cached (see the org query budget). */
  async function counted(path: string): Promise<{ page: Page; statements: LoggedStatement[] }> {
    for (let attempt = 1; ; attempt++) {
      const { result, statements } = await log.during(() => t.http.get(`${API}${path}`).auth(admin, { type: 'bearer' }));
      expect(result.status, `${path}: ${JSON.stringify(result.body)}`).toBe(200);
      if (attempt === 3 || !statements.some(readsPrincipal)) return { page: result.body as Page, statements };
    }
  }

  async function within(path: string, budget: number): Promise<Page> {
    const { page, statements } = await counted(path);
    expect(statements.length, `GET ${path}:\n${show(statements)}`).toBeLessThanOrEqual(budget);
    return page;
  }

  it('match order: one statement a page, first and cursor page, few or many matches', async () => {
    const few = await within('/users?q=find1234', 1);
    expect(few).toMatchObject({ total: 1, total_is_estimate: false, next_cursor: null });
    expect(few.items.map((u) => [u.username, u.roles])).toEqual([['find1234', []]]);
    const first = await within('/users?q=find12&limit=50', 1);
    expect(first).toMatchObject({ total: 111, total_is_estimate: false });
    expect(first.items[0].username).toBe('find12');
    const next = await within(`/users?q=find12&limit=50&cursor=${first.next_cursor}`, 1);
    expect(next).toMatchObject({ total: 111, total_is_estimate: false });
    expect(next.items[0].username).toBe('find1244');
    // A row's roles come with the page's rows, as the user's own page answers them.
    const [user] = (await within('/users?q=admin', 1)).items;
    const own = await t.http.get(`${API}/users/${user.username}`).auth(admin, { type: 'bearer' });
    expect(own.status).toBe(200);
    expect(user.roles).toEqual(own.body.roles);
  });

  it('another order (a bounded search): one statement a page, the candidates with their count joined to their rows and roles', async () => {
    const [role] = await t.dataSource.query<{ id: string; name: string }[]>('SELECT id, name FROM roles ORDER BY name LIMIT 1');
    await t.dataSource.query(
      `INSERT INTO role_assignments (id, role_id, user_id, created_at) SELECT uuid_generate_v4(), $1, u.id, now() FROM users u WHERE u.username IN ('find1205', 'find1250')`,
      [role.id],
    );
    const first = await within('/users?q=find12&sort=-created_at&limit=50', 1);
    expect(first).toMatchObject({ total: 111, total_is_estimate: false });
    // find12 is the newest of them: find1299 is the oldest.
    expect(first.items[0].username).toBe('find12');
    const next = await within(`/users?q=find12&sort=-created_at&limit=50&cursor=${first.next_cursor}`, 1);
    expect(next).toMatchObject({ total: 111, total_is_estimate: false });
    expect(next.items).toHaveLength(50);
    // Newest first: find12, find120–129, find1200–1238 on the first page, then find1239–1288.
    expect(next.items.map((u) => u.username)).toEqual(Array.from({ length: 50 }, (_, n) => `find${1239 + n}`));
    // Each item as the user's own page answers it, roles included.
    expect([first.items[16], next.items[11]].map((u) => [u.username, u.roles])).toEqual([
      ['find1205', [role.name]],
      ['find1250', [role.name]],
    ]);
    for (const item of [first.items[16], next.items[9], next.items[11]]) {
      const own = await t.http.get(`${API}/users/${item.username}`).auth(admin, { type: 'bearer' });
      expect(item).toEqual(own.body);
    }
  });

  it('another order with more matches than the count cap (the walk of the sort order): one statement a page, its rows and roles joined to the walk', async () => {
    // wide1 … wide10500, newer than every other user, wide1 the newest: past EXACT_COUNT_CAP, so a
    // page walks the created_at index (bounded-search.ts scan) and fills within its first rows.
    await t.dataSource.query(
      `INSERT INTO users (id, username, email, full_name, is_active, is_system_admin, email_verified, created_at, updated_at)
       SELECT uuid_generate_v4(), 'wide' || g, 'wide' || g || '@example.test', 'Wide ' || g, g % 4 <> 0, false, g % 3 = 0, now() + ((10501 - g) || ' seconds')::interval, now()
       FROM generate_series(1, 10500) g`,
    );
    const [role] = await t.dataSource.query<{ id: string; name: string }[]>('SELECT id, name FROM roles ORDER BY name LIMIT 1');
    await t.dataSource.query(
      `INSERT INTO role_assignments (id, role_id, user_id, created_at) SELECT uuid_generate_v4(), $1, u.id, now() FROM users u WHERE u.username IN ('wide4', 'wide27')`,
      [role.id],
    );
    await t.dataSource.query('ANALYZE users');
    // The first page settles how the search is counted (kept for the next pages); the pages after it are one statement each.
    const { page: first, statements } = await counted('/users?q=wide&sort=-created_at&limit=20');
    // Its candidates' read finds them past the cap and throws its rows away: it looks none of them up.
    const candidates = statements.find((s) => s.sql.includes('LATERAL'));
    expect(candidates, show(statements)).toBeDefined();
    const [{ 'QUERY PLAN': plan }] = await t.dataSource.query<{ 'QUERY PLAN': unknown }[]>(`EXPLAIN (ANALYZE, FORMAT JSON) ${candidates!.sql}`, candidates!.parameters);
    type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; 'Actual Loops': number; Plans?: PlanNode[] };
    const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];
    const lookups = nodes((plan as { Plan: PlanNode }[])[0].Plan).filter((n) => n['Relation Name'] === 'users' && n['Index Name']?.startsWith('PK_'));
    expect(
      lookups.map((n) => n['Actual Loops']),
      JSON.stringify(plan),
    ).toEqual([0]);
    expect(first.items.map((u) => u.username)).toEqual(Array.from({ length: 20 }, (_, n) => `wide${n + 1}`));
    const again = await within('/users?q=wide&sort=-created_at&limit=20', 1);
    expect(again.items).toEqual(first.items);
    const next = await within(`/users?q=wide&sort=-created_at&limit=20&cursor=${again.next_cursor}`, 1);
    expect(next.items.map((u) => u.username)).toEqual(Array.from({ length: 20 }, (_, n) => `wide${n + 21}`));
    // Each item as the user's own page answers it, roles included.
    expect(first.items[3].roles).toEqual([role.name]);
    for (const item of [first.items[0], first.items[3], next.items[6], next.items[8]]) {
      const own = await t.http.get(`${API}/users/${item.username}`).auth(admin, { type: 'bearer' });
      expect(own.status).toBe(200);
      expect(item).toEqual(own.body);
    }
  });

  it("a user's own keys and sessions: one statement (the caller is the user named); another user's: the user, then the page", async () => {
    for (let n = 0; n < 3; n++)
      expect(
        (
          await t.http
            .post(`${API}/users/admin/api-keys`)
            .auth(admin, { type: 'bearer' })
            .send({ name: `own-${n}` })
        ).status,
      ).toBe(201);
    const keys = (await within('/users/admin/api-keys?limit=2', 1)) as unknown as { items: { name: string }[]; total: number };
    expect(keys.total).toBeGreaterThanOrEqual(3);
    expect(keys.items.map((k) => k.name)).toEqual(['own-2', 'own-1']);
    const sessions = (await within('/users/admin/sessions', 1)) as unknown as { items: { current: boolean }[] };
    expect(sessions.items.some((s) => s.current)).toBe(true);
    // Another user's lists read that user first; an unknown one is still a 404.
    expect(((await within('/users/find7/api-keys', 2)) as unknown as { items: unknown[] }).items).toEqual([]);
    expect(((await within('/users/find7/sessions', 2)) as unknown as { items: unknown[] }).items).toEqual([]);
    const unknown = await t.http.get(`${API}/users/nobody-${process.pid}/api-keys`).auth(admin, { type: 'bearer' });
    expect(unknown.status).toBe(404);
  });
});
