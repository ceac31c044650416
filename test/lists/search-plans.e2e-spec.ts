import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchReadStatements } from '../support/named-statements.js';
import { type ExplainRow, mainNodes } from '../support/query-plans.js';
import { API, DATABASE_KINDS, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Broad prefix searches and the audit actor filter stay on their own indexes, whatever the
 * planner would guess: every statement the app runs for the request is EXPLAINed (the app's
 * own SQL and parameters, captured on its query runners) and must not walk the time or
 * created_at index nor scan the table. The data is shaped as the 1M bench's that defeated
 * the planner: matches correlated with age, behind a block of newer non-matching rows.
 */
const MATCHING = 12_000; // past the exact-count cap (10,000)
const OTHERS = 12_000;

interface Page {
  items: { id: string; username?: string; email?: string | null; occurred_at?: string; actor_id?: string | null; actor_name?: string | null }[];
  total: number;
  total_is_estimate: boolean;
  next_cursor: string | null;
}

interface PgClient {
  query(query: { name?: string; text: string; values: unknown[] }): Promise<{ rows: Record<string, unknown>[] }>;
  release(): void;
}

interface Statement {
  sql: string;
  parameters: unknown[];
}

// Query plans of the SQL the lists send: the HTTP adapter changes nothing here, so per database only.
describe.each(DATABASE_KINDS)('search plans on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  let postgres: boolean;
  let capture: Statement[] | undefined;

  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.adminToken();
    postgres = t.dataSource.driver.options.type === 'postgres';
    // The app's statements, as it sends them: every query runner it creates reports here.
    const create = t.dataSource.createQueryRunner.bind(t.dataSource);
    const watched = new WeakSet<object>();
    t.dataSource.createQueryRunner = (...args: Parameters<typeof create>) => {
      const runner = create(...args);
      // SQLite hands out the same runner every time: wrap it once.
      if (watched.has(runner)) return runner;
      watched.add(runner);
      const query = runner.query.bind(runner);
      runner.query = ((sql: string, parameters?: unknown[], ...rest: unknown[]) => {
        capture?.push({ sql, parameters: parameters ?? [] });
        return (query as (...a: unknown[]) => Promise<unknown>)(sql, parameters, ...rest);
      }) as typeof runner.query;
      return runner;
    };
    // And the statements sent by name on TypeORM's pool (named-statements.ts), PostgreSQL only.
    watchReadStatements(t.dataSource, ({ text, values }) => capture?.push({ sql: text, parameters: values }));
    // srch<g>: older as g grows (so `srch1…` is correlated with age); every 100th has no
    // email. zz<g>: all newer than every srch row. Actor "a-7" on every 20th event by id,
    // on every 50th by name (some both); the rest of the log is other actors.
    if (postgres) {
      await t.dataSource.query(
        `INSERT INTO users (id, username, email, full_name, is_active, is_system_admin, email_verified, created_at, updated_at)
         SELECT uuid_generate_v4(), 'srch' || g, CASE WHEN g % 100 = 0 THEN NULL ELSE 'srch' || g || '@example.test' END, NULL, true, false, false,
                now() - interval '1 day' - (g || ' seconds')::interval, now()
         FROM generate_series(1, ${MATCHING}) g`,
      );
      await t.dataSource.query(
        `INSERT INTO users (id, username, email, full_name, is_active, is_system_admin, email_verified, created_at, updated_at)
         SELECT uuid_generate_v4(), 'zz' || g, 'zz' || g || '@example.test', NULL, true, false, false, now() - (g || ' seconds')::interval, now()
         FROM generate_series(1, ${OTHERS}) g`,
      );
      await t.dataSource.query(
        `INSERT INTO audit_events (id, occurred_at, action, outcome, actor_kind, actor_id, actor_name, target_type, target_id)
         SELECT uuid_generate_v4(), now() - (g || ' seconds')::interval, 'login.success', 'success', 'user',
                CASE WHEN g % 20 = 0 THEN 'a-7' ELSE 'id-' || (g % 997) END, CASE WHEN g % 50 = 0 THEN 'a-7' ELSE 'name-' || (g % 991) END, 'user', 't'
         FROM generate_series(1, ${MATCHING + OTHERS}) g`,
      );
      await t.dataSource.query('ANALYZE');
    } else {
      const series = (n: number) => `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${n})`;
      await t.dataSource.query(
        `${series(MATCHING)} INSERT INTO users (id, username, email, full_name, is_active, is_system_admin, email_verified, created_at, updated_at)
         SELECT lower(hex(randomblob(16))), 'srch' || n, CASE WHEN n % 100 = 0 THEN NULL ELSE 'srch' || n || '@example.test' END, NULL, 1, 0, 0,
                strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 day', '-' || n || ' seconds'), strftime('%Y-%m-%d %H:%M:%f', 'now') FROM g`,
      );
      await t.dataSource.query(
        `${series(OTHERS)} INSERT INTO users (id, username, email, full_name, is_active, is_system_admin, email_verified, created_at, updated_at)
         SELECT lower(hex(randomblob(16))), 'zz' || n, 'zz' || n || '@example.test', NULL, 1, 0, 0,
                strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || n || ' seconds'), strftime('%Y-%m-%d %H:%M:%f', 'now') FROM g`,
      );
      await t.dataSource.query(
        `${series(MATCHING + OTHERS)} INSERT INTO audit_events (id, occurred_at, action, outcome, actor_kind, actor_id, actor_name, target_type, target_id)
         SELECT lower(hex(randomblob(16))), strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || n || ' seconds'), 'login.success', 'success', 'user',
                CASE WHEN n % 20 = 0 THEN 'a-7' ELSE 'id-' || (n % 997) END, CASE WHEN n % 50 = 0 THEN 'a-7' ELSE 'name-' || (n % 991) END, 'user', 't' FROM g`,
      );
      await t.dataSource.query('ANALYZE');
    }
  }, 120_000);
  afterAll(() => t?.close());

  const get = async (path: string): Promise<Page> => {
    const res = await t.http.get(`${API}${path}`).auth(admin, { type: 'bearer' });
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
    return res.body as Page;
  };

  /** The page, and the plan of every statement it ran on `table` (EXPLAIN statements themselves left out). */
  async function planned(path: string, table: string): Promise<{ page: Page; plans: string[] }> {
    capture = [];
    const page = await get(path);
    // The list's statements (TypeORM quotes the alias too); not the guard's credential read.
    const statements = capture.filter((s) => /^\s*(SELECT|WITH)/i.test(s.sql) && new RegExp(`"${table}" "`).test(s.sql));
    capture = undefined;
    const plans: string[] = [];
    for (const s of statements) {
      const plan = await t.dataSource.query(postgres ? `EXPLAIN (FORMAT JSON) ${s.sql}` : `EXPLAIN QUERY PLAN ${s.sql}`, s.parameters);
      // The statement leads its plan, so that a failure shows which one it was.
      plans.push(`${s.sql}\n${JSON.stringify(plan)}`);
    }
    expect(plans.length).toBeGreaterThan(0);
    return { page, plans };
  }

  /** The main nodes (query-plans.ts) of a plan `planned` answered, statement first. */
  const mainNodesOf = (plan: string): string => {
    const [, json] = plan.split('\n');
    return JSON.stringify((JSON.parse(json) as ExplainRow[]).map((row) => mainNodes(row['QUERY PLAN'][0].Plan)));
  };
  /** A sequential scan of `table` anywhere in a PostgreSQL plan (a small table's may be the cheaper plan). */
  const seqScanOf = (table: string) => new RegExp(`"Node Type":"Seq Scan"[^{}]*"Relation Name":"${table}"`);

  const codePoints = (a: string, b: string) => {
    const [x, y] = [[...a].map((c) => c.codePointAt(0)!), [...b].map((c) => c.codePointAt(0)!)];
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  };

  async function walk(path: string): Promise<{ pages: Page[]; ids: string[] }> {
    const pages: Page[] = [];
    let page = await get(path);
    for (;;) {
      pages.push(page);
      if (!page.next_cursor) break;
      page = await get(`${path}&cursor=${page.next_cursor}`);
    }
    return { pages, ids: pages.flatMap((p) => p.items.map((i) => i.id)) };
  }

  it('a broad ?q= without a sort reads the prefix indexes in their order, never the created_at index or the table', async () => {
    const { page, plans } = await planned('/users?q=srch1', 'users');
    for (const plan of plans) {
      expect(plan).not.toMatch(/idx_users_created_at_id|idx_users_is_active_created_at_id/);
      if (postgres) {
        expect(plan).not.toMatch(seqScanOf('users'));
        // A count may sort a range it reads whole anyway (under the cap); a page read may not.
        if (!plan.startsWith('SELECT COUNT(')) expect(mainNodesOf(plan)).not.toContain('"Sort"');
      } else {
        expect(plan).not.toMatch(/SCAN u(?! USING)|TEMP B-TREE/);
      }
    }
    const joined = plans.join('\n');
    if (postgres) expect(joined).toContain('idx_users_username_prefix');
    else expect(joined).toMatch(/SEARCH u USING (COVERING )?INDEX sqlite_autoindex_users_\d \(username>\? AND username<\?\)/);
    // srch1, srch10–19, 100–199, 1000–1999, 10000–12000: in code point order of the username.
    expect(page.items[0].username).toBe('srch1');
    expect(page.items.slice(0, 3).map((u) => u.username)).toEqual(['srch1', 'srch10', 'srch100']);
    expect(page).toMatchObject({ total: 3112, total_is_estimate: false });
  });

  it('a rare prefix: PostgreSQL keeps one plan for each statement it names, not a plan per prefix', async () => {
    if (!postgres) return;
    let named: { name: string; text: string; values: unknown[] }[] | undefined = [];
    watchReadStatements(t.dataSource, ({ name, text, values }) => {
      if (name !== undefined && /"users" "u"/.test(text)) named?.push({ name, text, values });
    });
    // One username match (srch11111), none by email (counted in the same statement): what a search box sends.
    expect((await get('/users?q=srch11111')).items.map((u) => u.username)).toEqual(['srch11111']);
    // And a later page of a broad prefix: the section resumed after its cursor's key.
    const first = await get('/users?q=srch1&limit=5');
    expect((await get(`/users?q=srch1&limit=5&cursor=${first.next_cursor}`)).items).toHaveLength(5);
    const sent = named;
    named = undefined;
    expect(sent.map((s) => s.values.length)).toEqual([2, 2, 3]);
    // Each text prepared again on a connection of its own and run as a list would run it: past
    // PostgreSQL's five trial custom plans it must settle on the generic one (a plan per value
    // is 0.1–0.5 ms of planning on every request, which a rare prefix's estimate used to earn).
    const pool = (t.dataSource.driver as unknown as { master: { connect(): Promise<PgClient> } }).master;
    const client = await pool.connect();
    try {
      for (const [n, { text, values }] of sent.entries()) {
        for (let i = 0; i < 8; i++) await client.query({ name: `plan_once_${n}`, text, values });
        const [counts] = (await client.query({ text: 'SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = $1', values: [`plan_once_${n}`] })).rows;
        await client.query({ text: `DEALLOCATE plan_once_${n}`, values: [] });
        expect({ text, plans: counts }).toEqual({ text, plans: { generic_plans: '3', custom_plans: '5' } });
      }
    } finally {
      client.release();
    }
  });

  it('a prefix past the exact count: its total is the planner’s estimate for that prefix, not a guess without it', async () => {
    for (const path of ['/users?q=srch', '/users?q=srch&sort=-created_at']) {
      const page = await get(path);
      // 12,000 usernames start with srch (their emails too, the same users).
      if (postgres) expect({ path, total: page.total, estimate: page.total_is_estimate }).toMatchObject({ path, estimate: true });
      // More than the capped count (10,001) could give: the planner saw the prefix.
      expect(page.total, path).toBeGreaterThan(10_500);
      expect(page.total, path).toBeLessThan(12_000 * 1.25);
    }
  });

  it('a prefix with another filter, an offset page and a search past the cap are planned for their values: the prefix is not hidden from them', async () => {
    const active = await get('/users?q=srch1&is_active=true&limit=5');
    for (const path of [
      '/users?q=srch&is_active=true',
      // A later page of it: the resume key is not hidden either.
      `/users?q=srch1&is_active=true&limit=5&cursor=${active.next_cursor}`,
      '/users?q=srch&is_active=true&sort=-created_at',
      '/users?q=srch&sort=-created_at&offset=3000',
      '/users?q=srch1&sort=created_at',
    ]) {
      capture = [];
      await get(path);
      const sent = capture.filter((s) => /"users" "u"/.test(s.sql));
      capture = undefined;
      expect(sent.length, path).toBeGreaterThan(0);
      // Planned blind, a broad prefix among active users was counted by collecting and sorting its whole range.
      for (const s of sent) expect(s.sql, path).not.toContain('(SELECT CAST(');
    }
  });

  it('match order: every username match by username, then the email-only matches by email, each once', async () => {
    const repo = t.dataSource.getRepository('UserEntity');
    await t.dataSource.query(
      postgres
        ? `INSERT INTO users (id, username, email, is_active, is_system_admin, email_verified, created_at, updated_at)
           VALUES (uuid_generate_v4(), 'mail-b', 'srch11b@example.test', true, false, false, now(), now()),
                  (uuid_generate_v4(), 'mail-a', 'srch11a@example.test', true, false, false, now(), now())`
        : `INSERT INTO users (id, username, email, is_active, is_system_admin, email_verified, created_at, updated_at)
           VALUES (lower(hex(randomblob(16))), 'mail-b', 'srch11b@example.test', 1, 0, 0, '2026-01-01 00:00:00.000', '2026-01-01 00:00:00.000'),
                  (lower(hex(randomblob(16))), 'mail-a', 'srch11a@example.test', 1, 0, 0, '2026-01-01 00:00:00.000', '2026-01-01 00:00:00.000')`,
    );
    try {
      const { pages, ids } = await walk('/users?q=srch11&limit=97');
      const names = pages.flatMap((p) => p.items.map((u) => u.username!));
      expect(new Set(ids).size).toBe(ids.length);
      expect(names).toHaveLength(1 + 10 + 100 + 1000 + 2);
      const byName = names.slice(0, -2);
      expect(byName).toEqual([...byName].sort(codePoints));
      expect(byName.every((n) => n.startsWith('srch11'))).toBe(true);
      expect(names.slice(-2)).toEqual(['mail-a', 'mail-b']);
      for (const p of pages) expect(p).toMatchObject({ total: 1113, total_is_estimate: false });
      // Offset pages answer the same order, across the sections' boundary too.
      const tail = await get('/users?q=srch11&limit=5&offset=1109');
      expect(tail.items.map((u) => u.username)).toEqual(names.slice(1109));
    } finally {
      await repo.delete({ username: 'mail-a' });
      await repo.delete({ username: 'mail-b' });
    }
  });

  it('?q= with a sort past 10,000 matches: a page examines a bounded run of rows; the walk still serves every match once, in order', async () => {
    const { plans } = await planned('/users?q=srch&sort=-created_at&limit=500', 'users');
    for (const plan of plans) {
      // Each statement is LIMITed or a lookup of the page's own ids, never a walk to the end
      // (SQLite has no estimate: it counts the matches exactly, half of this table here, and
      // may rightly scan it to do so — the documented cost of `total` on SQLite).
      if (!postgres && plan.startsWith('SELECT COUNT(')) continue;
      expect(plan).toMatch(/LIMIT \d+|"u"\."id" (IN \(|= ANY\()/);
      if (postgres) expect(plan).toMatch(/"Node Type":"Limit"|"Index Name":"PK_/);
      // The walk answers in its own order, so it stops at the page's last match: no sort of the whole window first.
      if (postgres && plan.includes('ROW_NUMBER()')) expect(plan).not.toContain('"Node Type":"Sort"');
    }
    const all = await t.dataSource.query<{ id: string; username: string; email: string | null; c: string }[]>(
      `SELECT id, username, email, CAST(created_at AS TEXT) AS c FROM users WHERE username LIKE 'srch%'`,
    );
    const { pages, ids } = await walk('/users?q=srch&sort=-created_at&limit=500');
    // The newest 12,000 users do not match: the first pages come back empty, each with a cursor.
    expect(pages[0].items).toHaveLength(0);
    expect(pages[0].next_cursor).not.toBeNull();
    expect(pages[0].total).toBeGreaterThan(10_000);
    const expected = [...all].sort((a, b) => (a.c === b.c ? (a.id < b.id ? 1 : -1) : a.c < b.c ? 1 : -1)).map((u) => u.id);
    expect(ids).toEqual(expected);
    // A nullable sort: emails first (ascending), then the matches without one (by id).
    const byEmail = await walk('/users?q=srch&sort=email&limit=500');
    const withEmail = all.filter((u) => u.email !== null).sort((a, b) => codePoints(a.email!, b.email!));
    const without = all.filter((u) => u.email === null).sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(byEmail.ids).toEqual([...withEmail, ...without].map((u) => u.id));
  });

  it('?q= with a sort under the cap: sorted from the prefix ranges, full pages, exact total', async () => {
    const { plans, page } = await planned('/users?q=srch11&sort=created_at&limit=50', 'users');
    for (const plan of plans) expect(plan).not.toMatch(postgres ? seqScanOf('users') : /SCAN u(?! USING)/);
    for (const plan of plans) expect(plan).not.toContain('idx_users_created_at_id');
    expect(page).toMatchObject({ total: 1111, total_is_estimate: false });
    expect(page.items).toHaveLength(50);
    const { ids } = await walk('/users?q=srch11&sort=created_at&limit=200');
    expect(new Set(ids).size).toBe(1111);
  });

  it('?actor= reads the (actor_id|actor_name, occurred_at, id) indexes in time order, never the time index; both kinds of match, once each', async () => {
    const { plans, page } = await planned('/audit?actor=a-7', 'audit_events');
    for (const plan of plans) {
      expect(plan).not.toContain('idx_audit_events_occurred_at_id');
      if (postgres) expect(plan).not.toMatch(/Seq Scan|"Sort"/);
      else expect(plan).not.toMatch(/SCAN e(?! USING)|TEMP B-TREE/);
    }
    const joined = plans.join('\n');
    expect(joined).toContain('idx_audit_events_actor_id_occurred_at_id');
    expect(joined).toContain('idx_audit_events_actor_name_occurred_at_id');
    // g % 20 = 0 (1,200) or g % 50 = 0 (480), 240 of them both: 1,440 events.
    expect(page).toMatchObject({ total: 1440, total_is_estimate: false });
    const { pages, ids } = await walk('/audit?actor=a-7&limit=300');
    expect(ids).toHaveLength(1440);
    expect(new Set(ids).size).toBe(1440);
    const times = pages.flatMap((p) => p.items.map((e) => e.occurred_at!));
    expect(times).toEqual([...times].sort().reverse());
    const tail = await get('/audit?actor=a-7&limit=10&offset=1435');
    expect(tail.items.map((e) => e.id)).toEqual(ids.slice(1435));
  });

  it('?actor= is one statement, first page and cursor page alike: both branches and their count, on PostgreSQL the count from the indexes alone', async () => {
    // As the log's table is once autovacuum has been by (it only ever grows): its pages all-visible.
    if (postgres) await t.dataSource.query('VACUUM (ANALYZE) audit_events');
    const first = await planned('/audit?actor=a-7&limit=20', 'audit_events');
    const next = await planned(`/audit?actor=a-7&limit=20&cursor=${first.page.next_cursor}`, 'audit_events');
    for (const { plans, page } of [first, next]) {
      expect(plans).toHaveLength(1);
      expect(page).toMatchObject({ total: 1440, total_is_estimate: false });
      // The table is read for the page's rows only: the count's scans are index-only.
      if (postgres) {
        const scans = [...plans[0].matchAll(/"Node Type":"([A-Za-z ]*Scan)"/g)].map((m) => m[1]);
        // The branches' union is cut to the page as their index walks come, merged (no sort).
        expect(mainNodesOf(plans[0])).toContain('"Node Type":"Merge Append"');
        // (A CTE or subquery scan reads what the statement made, no table.)
        expect(scans.filter((s) => s !== 'CTE Scan' && s !== 'Subquery Scan').sort()).toEqual(['Index Only Scan', 'Index Only Scan', 'Index Scan', 'Index Scan']);
      }
    }
    expect(next.page.items[0].occurred_at! <= first.page.items[19].occurred_at!).toBe(true);
  });
});
