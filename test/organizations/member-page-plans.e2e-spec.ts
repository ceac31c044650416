import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchReadStatements } from '../support/named-statements.js';
import { API, DATABASE_KINDS, type TestApp } from '../support/test-app.js';
import { auth, startOrgApp } from './org-app.js';

/**
 * Pages scoped to one parent whose size varies by orders of magnitude: an organization's
 * members, a user's organizations. The data is what a SaaS has: thousands of small
 * organizations (4 members, fewer than a page), one large customer (2,500 members), every
 * account in one organization and one account in all of them. PostgreSQL names these
 * statements, and the plan it keeps for them (generic: costed for an average parent) must walk
 * the parent's index in order for the large parent too, never read and sort all its rows.
 */
const BIG = 2_500;
const SMALL_ORGS = 5_000;
const SMALL = 4;

interface Page {
  items: { user_id?: string; username?: string; slug?: string; joined_at?: string }[];
  total: number;
  next_cursor: string | null;
}

interface PgClient {
  query(query: { name?: string; text: string; values: unknown[] }): Promise<{ rows: Record<string, unknown>[] }>;
  escapeLiteral(value: string): string;
  release(): void;
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

  it('every page of the large organization and of the user in every organization: each entry once, in joining order; an offset page is that slice', async () => {
    const members = (await walk('/orgs/plan-big/members?limit=200')).flatMap((p) => p.items);
    expect(members).toHaveLength(BIG + 1);
    expect(new Set(members.map((m) => m.user_id)).size).toBe(BIG + 1);
    expect(members.map((m) => m.joined_at)).toEqual(members.map((m) => m.joined_at).sort());
    expect((await get('/orgs/plan-big/members?limit=7&offset=1234')).items).toEqual(members.slice(1234, 1241));
    const small = await get('/orgs/plan-small-7/members');
    expect(small.items.map((m) => m.username)).toEqual([...Array.from({ length: SMALL }, (_, j) => `plan-u${BIG + 7 * SMALL + j}`), expect.any(String)]);

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
   * The generic plan of prepared statement `name`: the nodes that read the page's rows, outside
   * its InitPlans and SubPlans (the capped count reads the parent's rows whole anyway, up to the cap).
   */
  const generic = async (client: PgClient, name: string, values: unknown[]): Promise<string> => {
    type Node = { 'Parent Relationship'?: string; Plans?: Node[] };
    const main = (node: Node): Node => ({
      ...node,
      Plans: node.Plans?.filter((p) => p['Parent Relationship'] !== 'InitPlan' && p['Parent Relationship'] !== 'SubPlan').map(main),
    });
    const literals = values.map((v) => client.escapeLiteral(String(v))).join(', ');
    await client.query({ text: 'SET plan_cache_mode = force_generic_plan', values: [] });
    try {
      const [row] = (await client.query({ text: `EXPLAIN (FORMAT JSON) EXECUTE ${name}(${literals})`, values: [] })).rows as { 'QUERY PLAN': { Plan: Node }[] }[];
      return JSON.stringify(main(row['QUERY PLAN'][0].Plan));
    } finally {
      await client.query({ text: 'RESET plan_cache_mode', values: [] });
    }
  };

  it('PostgreSQL: each page is one named text for any page size or offset, and the plan it keeps walks the parent’s index for the large parent', async () => {
    const cases: [string, string, RegExp, string][] = [];
    const big = await get('/orgs/plan-big/members?limit=50');
    const mine = await get('/orgs?limit=50', everywhere.token);
    for (const path of ['/orgs/plan-big/members', `/orgs/plan-big/members?limit=50&cursor=${big.next_cursor}`, '/orgs/plan-big/members?limit=20&offset=900']) {
      cases.push([path, admin, /FROM "organization_members" "m" INNER JOIN "users"/, 'idx_organization_members_org_created_at_id']);
    }
    for (const path of ['/orgs', `/orgs?limit=50&cursor=${mine.next_cursor}`, '/orgs?limit=20&offset=2000']) {
      cases.push([path, everywhere.token, /FROM "organization_members" "m" INNER JOIN "organizations"/, 'idx_organization_members_user_created_at_id']);
    }
    const pool = (t.dataSource.driver as unknown as { master: { connect(): Promise<PgClient> } }).master;
    const texts = new Map<string, string>();
    for (const [n, [path, token, table, index]] of cases.entries()) {
      const [page] = await statementsOf(path, token, table);
      // Named, with the page's bounds as parameters: a first page and an offset page share a text.
      expect({ path, named: page.name !== undefined }).toEqual({ path, named: true });
      expect(page.text, path).toMatch(/ LIMIT \$\d+( OFFSET \$\d+)?$/);
      const key = `${index} ${path.includes('cursor=') ? 'cursor page' : 'first or offset page'}`;
      if (texts.has(key)) expect(page.text, path).toBe(texts.get(key));
      texts.set(key, page.text);
      const client = await pool.connect();
      try {
        // Past PostgreSQL's five trial custom plans it keeps the generic one (planning on every request is what naming saves)…
        for (let i = 0; i < 8; i++) await client.query({ name: `plan_page_${n}`, text: page.text, values: page.values });
        const [counts] = (await client.query({ text: 'SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = $1', values: [`plan_page_${n}`] })).rows;
        expect({ path, plans: counts }).toEqual({ path, plans: { generic_plans: '3', custom_plans: '5' } });
        // …and that plan walks the parent's index in order, as the large parent needs: no sort of all its rows.
        const plan = await generic(client, `plan_page_${n}`, page.values);
        expect(plan, path).toContain(`"Index Name":"${index}"`);
        expect(plan, path).not.toMatch(/"Node Type":"(Sort|Bitmap Heap Scan|Incremental Sort)"/);
        await client.query({ text: `DEALLOCATE plan_page_${n}`, values: [] });

        // The class this guards against: the same text with the page's size written in. Costed for
        // an average parent (fewer rows than a page), its generic plan reads and sorts the parent's rows.
        const written = page.text.replace(/ LIMIT \$\d+( OFFSET \$\d+)?$/, ' LIMIT 51');
        const writtenValues = page.values.slice(0, page.values.length - (/ OFFSET \$\d+$/.test(page.text) ? 2 : 1));
        await client.query({ name: `plan_written_${n}`, text: written, values: writtenValues });
        // (Shown where it happens with this data: a first or offset page of members; a user's organizations average about one, where either plan walks.)
        if (!path.includes('cursor=') && index.includes('_org_')) expect(await generic(client, `plan_written_${n}`, writtenValues), path).toMatch(/"Node Type":"Sort"/);
        await client.query({ text: `DEALLOCATE plan_written_${n}`, values: [] });
      } finally {
        client.release();
      }
    }
  });
});
