import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchReadStatements } from '../support/named-statements.js';
import { type ExplainRow, mainNodes } from '../support/query-plans.js';
import { API, DATABASE_KINDS, type TestApp } from '../support/test-app.js';
import { auth, startOrgApp } from './org-app.js';

/**
 * Pages scoped to one parent whose size varies by orders of magnitude: an organization's
 * members, a user's organizations, a user's API keys. The data is what a SaaS has: thousands
 * of small organizations (4 members, fewer than a page), one large customer (2,500 members),
 * every account in one organization and one account in all of them; every account with one
 * API key, and one automation account with 2,500. PostgreSQL names these
 * statements, and the plan it keeps for them (generic: costed for an average parent) must walk
 * the parent's index in order for the large parent too, never read and sort all its rows.
 */
const BIG = 2_500;
const SMALL_ORGS = 5_000;
const SMALL = 4;

interface Page {
  items: { id?: string; user_id?: string; username?: string; slug?: string; joined_at?: string }[];
  total: number;
  next_cursor: string | null;
}

interface PgClient {
  query(query: { name?: string; text: string; values: unknown[] }): Promise<{ rows: Record<string, unknown>[] }>;
  escapeLiteral(value: string): string;
  /** `true`: the connection is closed, not returned to the pool. */
  release(destroy?: boolean): void;
}

// Plans and paging of the SQL these lists send: the HTTP adapter changes nothing here, so per database only.
describe.each(DATABASE_KINDS)('pages of one parent among parents of any size on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  let everywhere: { token: string; id: string };
  let postgres: boolean;
  let sent: { name: string | undefined; text: string; values: unknown[] }[] | undefined;

  beforeAll(async () => {
    t = await startOrgApp(`${kind}/express`);
    admin = await t.adminToken();
    postgres = t.dataSource.driver.options.type === 'postgres';
    watchReadStatements(t.dataSource, (statement) => sent?.push(statement));
    const actor = await t.actor();
    everywhere = { token: actor.token, id: actor.user.id };
    const users = Array.from({ length: BIG + SMALL_ORGS * SMALL }, (_, n) => ({ id: randomUUID(), name: `plan-u${n}` }));
    const insert = async (table: string, columns: string[], rows: unknown[][]) => {
      for (let at = 0; at < rows.length; at += 500) {
        const batch = rows.slice(at, at + 500);
        const placeholders = batch.map((row, r) => `(${row.map((_, c) => (postgres ? `$${r * row.length + c + 1}` : '?')).join(', ')})`);
        await t.dataSource.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${placeholders.join(', ')}`, batch.flat());
      }
    };
    const stamp = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString().replace('T', ' ').replace('Z', '');
    const truth = postgres ? true : 1;
    await insert(
      'users',
      ['id', 'username', 'email', 'full_name', 'is_active', 'is_system_admin', 'email_verified', 'created_at', 'updated_at'],
      users.map((u, n) => [u.id, u.name, `${u.name}@example.test`, null, truth, postgres ? false : 0, truth, stamp(n), stamp(n)]),
    );
    const orgs = [{ id: randomUUID(), slug: 'plan-big' }, ...Array.from({ length: SMALL_ORGS }, (_, n) => ({ id: randomUUID(), slug: `plan-small-${n}` }))];
    await insert(
      'organizations',
      ['id', 'slug', 'slug_key', 'name', 'mfa_required', 'created_at', 'updated_at'],
      // slug_key: the look-alike key (organization-slug.ts) maps 0 → o and 1 → l.
      orgs.map((o, n) => [o.id, o.slug, o.slug.replace(/0/g, 'o').replace(/1/g, 'l'), o.slug, postgres ? false : 0, stamp(n), stamp(n)]),
    );
    const members: unknown[][] = [];
    users.slice(0, BIG).forEach((u, n) => members.push([randomUUID(), orgs[0].id, u.id, stamp(100_000 + n)]));
    orgs.slice(1).forEach((o, k) => {
      for (let j = 0; j < SMALL; j++) members.push([randomUUID(), o.id, users[BIG + k * SMALL + j].id, stamp(200_000 + k * 10 + j)]);
    });
    orgs.forEach((o, n) => members.push([randomUUID(), o.id, everywhere.id, stamp(300_000 + n)]));
    await insert('organization_members', ['id', 'organization_id', 'user_id', 'created_at'], members);
    // plan-u0, the automation account, holds BIG keys; everyone else one.
    const keys = users.flatMap((u, n) => Array.from({ length: n === 0 ? BIG : 1 }, (_, j) => [u.id, stamp(400_000 + n * 10 + j)]));
    await insert(
      'api_keys',
      ['id', 'name', 'prefix', 'key_hash', 'user_id', 'created_at'],
      keys.map(([userId, created], n) => [randomUUID(), `plan-key-${n}`, 'fab_plan', `plan-key-hash-${n}`, userId, created]),
    );
    await t.dataSource.query('ANALYZE');
  }, 120_000);
  afterAll(() => t?.close());

  const get = async (path: string, token = admin): Promise<Page> => {
    const res = await t.http.get(`${API}${path}`).set(auth(token));
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
    return res.body as Page;
  };

  async function walk(path: string, token = admin): Promise<Page[]> {
    const pages = [await get(path, token)];
    while (pages.at(-1)!.next_cursor) pages.push(await get(`${path}${path.includes('?') ? '&' : '?'}cursor=${pages.at(-1)!.next_cursor}`, token));
    return pages;
  }

  it('every page of the large organization, of the user in every organization and of the account with many keys: each entry once, in order; an offset page is that slice', async () => {
    const members = (await walk('/orgs/plan-big/members?limit=200')).flatMap((p) => p.items);
    expect(members).toHaveLength(BIG + 1);
    expect(new Set(members.map((m) => m.user_id)).size).toBe(BIG + 1);
    expect(members.map((m) => m.joined_at)).toEqual(members.map((m) => m.joined_at).sort());
    expect((await get('/orgs/plan-big/members?limit=7&offset=1234')).items).toEqual(members.slice(1234, 1241));
    const small = await get('/orgs/plan-small-7/members');
    expect(small.items.map((m) => m.username)).toEqual([...Array.from({ length: SMALL }, (_, j) => `plan-u${BIG + 7 * SMALL + j}`), expect.any(String)]);

    const keys = (await walk('/users/plan-u0/api-keys?limit=500')).flatMap((p) => p.items);
    expect(keys).toHaveLength(BIG);
    expect(new Set(keys.map((k) => k.id)).size).toBe(BIG);
    expect((await get('/users/plan-u0/api-keys?limit=4&offset=777')).items).toEqual(keys.slice(777, 781));
    expect((await get('/users/plan-u9/api-keys')).items).toHaveLength(1);

    const organizations = (await walk('/orgs?limit=500', everywhere.token)).flatMap((p) => p.items);
    expect(organizations.map((o) => o.slug)).toEqual(['plan-big', ...Array.from({ length: SMALL_ORGS }, (_, n) => `plan-small-${n}`)]);
    expect((await get('/orgs?limit=3&offset=100', everywhere.token)).items).toEqual(organizations.slice(100, 103));
  });

  if (kind !== 'postgres') return;

  /** The statements readStatement sent for `path` that read `table`. */
  async function statementsOf(path: string, token: string, table: RegExp): Promise<{ name: string | undefined; text: string; values: unknown[] }[]> {
    sent = [];
    await get(path, token);
    const mine = sent.filter((s) => table.test(s.text));
    sent = undefined;
    expect(mine, path).not.toHaveLength(0);
    return mine;
  }

  /**
   * The generic plan of prepared statement `name`: `main`, its main nodes (query-plans.ts: not
   * the count nor each row's role names); `all`, the whole plan.
   */
  const generic = async (client: PgClient, name: string, values: unknown[]): Promise<{ main: string; all: string }> => {
    const literals = values.map((v) => client.escapeLiteral(String(v))).join(', ');
    await client.query({ text: 'SET plan_cache_mode = force_generic_plan', values: [] });
    try {
      const [row] = (await client.query({ text: `EXPLAIN (FORMAT JSON) EXECUTE ${name}(${literals})`, values: [] })).rows as unknown as ExplainRow[];
      const plan = row['QUERY PLAN'][0].Plan;
      return { main: JSON.stringify(mainNodes(plan)), all: JSON.stringify(plan) };
    } finally {
      await client.query({ text: 'RESET plan_cache_mode', values: [] });
    }
  };

  it('PostgreSQL: a first or cursor page is one named text for any page size, and the plan PostgreSQL keeps walks the parent’s index for the large parent; an offset page runs unnamed', async () => {
    type Case = { path: string; token: string; table: RegExp; index: string };
    const cases: Case[] = [];
    const big = await get('/orgs/plan-big/members?limit=50');
    const mine = await get('/orgs?limit=50', everywhere.token);
    const keys = await get('/users/plan-u0/api-keys?limit=50');
    const lists: [string, string, string, RegExp, string][] = [
      ['/orgs/plan-big/members', big.next_cursor!, admin, /FROM "organization_members" "m" INNER JOIN "users"/, 'idx_organization_members_org_created_at_id'],
      ['/orgs', mine.next_cursor!, everywhere.token, /FROM "organization_members" "m" INNER JOIN "organizations"/, 'idx_organization_members_user_created_at_id'],
      ['/users/plan-u0/api-keys', keys.next_cursor!, admin, /FROM "api_keys" "k"/, 'idx_api_keys_user_created_at_id'],
    ];
    for (const [list, cursor, token, table, index] of lists) {
      for (const path of [list, `${list}?limit=7`, `${list}?limit=50&cursor=${cursor}`, `${list}?limit=20&offset=900`]) cases.push({ path, token, table, index });
    }
    const pool = (t.dataSource.driver as unknown as { master: { connect(): Promise<PgClient> } }).master;
    const texts = new Map<string, string>();
    for (const [n, { path, token, table, index }] of cases.entries()) {
      const [page] = await statementsOf(path, token, table);
      if (path.includes('offset=')) {
        // Under the first page's name, a few deep offsets (each as dear as reading the parent)
        // would weigh in PostgreSQL's choice of the plan it keeps for every first page.
        expect({ path, named: page.name !== undefined }).toEqual({ path, named: false });
        expect(page.text, path).toMatch(/ LIMIT \d+ OFFSET 900$/);
        continue;
      }
      // Named, with the page size as a parameter: a first page of any size is one text.
      expect({ path, named: page.name !== undefined }).toEqual({ path, named: true });
      expect(page.text, path).toMatch(/ LIMIT \$\d+( OFFSET 0)?$/);
      const key = `${index} ${path.includes('cursor=') ? 'cursor page' : 'first page'}`;
      if (texts.has(key)) expect(page.text, path).toBe(texts.get(key));
      texts.set(key, page.text);
      // A connection of its own, dropped after: it is left with prepared names and settings of this test's.
      const client = await pool.connect();
      try {
        // Past PostgreSQL's five trial custom plans it keeps the generic one (planning on every request is what naming saves)…
        for (let i = 0; i < 8; i++) await client.query({ name: `plan_page_${n}`, text: page.text, values: page.values });
        const [counts] = (await client.query({ text: 'SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = $1', values: [`plan_page_${n}`] })).rows;
        expect({ path, plans: counts }).toEqual({ path, plans: { generic_plans: '3', custom_plans: '5' } });
        // …and that plan walks the parent's index in order, as the large parent needs: no sort of all its rows.
        const plan = await generic(client, `plan_page_${n}`, page.values);
        expect(plan.main, path).toContain(`"Index Name":"${index}"`);
        expect(plan.main, path).not.toMatch(/"Node Type":"(Sort|Bitmap Heap Scan|Incremental Sort|Gather|Gather Merge)"/);
        // A first page's count rides in the same statement: it walks the index too, which stops
        // at the cap, where a bitmap scan reads every entry the parent has before the LIMIT.
        expect(plan.all, path).not.toMatch(/"Node Type":"(Bitmap Index Scan|Gather)"/);

        // The class this guards against: the same text with the page's size written in. Costed for
        // an average parent (fewer rows than a page), its generic plan reads and sorts the parent's
        // rows. (Shown where this data has it: a first page of members; a user's organizations and
        // keys average about one, where either plan walks.)
        if (path.includes('cursor=') || !index.includes('_org_')) continue;
        const written = page.text.replace(/ LIMIT \$\d+( OFFSET 0)?$/, ' LIMIT 51$1');
        await client.query({ name: `plan_written_${n}`, text: written, values: page.values.slice(0, -1) });
        expect((await generic(client, `plan_written_${n}`, page.values.slice(0, -1))).main, path).toMatch(/"Node Type":"Sort"/);
      } finally {
        client.release(true);
      }
    }
  });
});
