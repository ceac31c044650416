import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASE_KINDS, startTestApp, type TestApp } from '../support/test-app.js';

/** Past the exact-count cap (10,000 matching rows), so `total` may become an estimate. */
const ROWS = 12_000;

// Query plans and counts at scale: the HTTP adapter changes nothing here, so this suite runs per database only.
describe.each(DATABASE_KINDS)('large lists on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.adminToken();
    if (kind === 'postgres') {
      await t.dataSource.query(
        `INSERT INTO users (id, username, email, full_name, is_active, is_system_admin, email_verified, created_at, updated_at)
         SELECT uuid_generate_v4(), 'scale' || g, 'scale' || g || '@example.test', NULL, g % 10 <> 0, false, false,
                now() - (g || ' seconds')::interval, now()
         FROM generate_series(1, ${ROWS}) g`,
      );
      await t.dataSource.query('ANALYZE users');
    } else {
      await t.dataSource.query(
        `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${ROWS})
         INSERT INTO users (id, username, email, full_name, is_active, is_system_admin, email_verified, created_at, updated_at)
         SELECT lower(hex(randomblob(16))), 'scale' || n, 'scale' || n || '@example.test', NULL, n % 10 <> 0, 0, 0,
                strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || n || ' seconds'), strftime('%Y-%m-%d %H:%M:%f', 'now')
         FROM g`,
      );
    }
  });
  afterAll(() => t?.close());

  const list = async (query: string) => {
    const res = await t.http.get(`${API}/users${query}`).auth(admin, { type: 'bearer' });
    expect(res.status).toBe(200);
    return res.body as { total: number; total_is_estimate: boolean; items: unknown[]; next_cursor: string | null };
  };

  it('total past 10,000 matches: PostgreSQL estimates and says so; SQLite counts', async () => {
    const exact = ROWS + 1; // the seeded admin
    const page = await list('');
    if (kind === 'postgres') {
      expect(page.total_is_estimate).toBe(true);
      expect(page.total).toBeGreaterThan(exact * 0.8);
      expect(page.total).toBeLessThan(exact * 1.2);
    } else {
      expect(page).toMatchObject({ total: exact, total_is_estimate: false });
    }
    // The estimate never claims fewer rows than a deep page proves.
    const deep = await list('?offset=11990&limit=10');
    expect(deep.total).toBeGreaterThanOrEqual(12_000);
  });

  it('below the cap, total is exact and marked so, filtered or not', async () => {
    expect(await list('?q=scale1199')).toMatchObject({ total: 11, total_is_estimate: false }); // scale1199, scale11990–11999
    expect(await list('?q=scale12&limit=5')).toMatchObject({ total: 112, total_is_estimate: false }); // scale12, 120–129, 1200–1299, 12000
    expect(await list('?q=scale1&is_active=false&limit=5')).toMatchObject({ total_is_estimate: false });
    expect(await list('?q=nobody-has-this')).toMatchObject({ total: 0, total_is_estimate: false, next_cursor: null, items: [] });
  });

  it('a filter matching more than the cap is estimated on PostgreSQL', async () => {
    const page = await list('?q=scale&limit=5');
    expect(page.total_is_estimate).toBe(kind === 'postgres');
    if (kind === 'sqlite') expect(page.total).toBe(ROWS);
    else expect(page.total).toBeGreaterThan(10_000);
  });

  it('prefix search and keyset pages use an index (query plans)', async () => {
    if (kind === 'postgres') {
      const plan = async (sql: string, parameters: unknown[]) => JSON.stringify(await t.dataSource.query(`EXPLAIN (FORMAT JSON) ${sql}`, parameters));
      // A bind parameter as the app sends it, planned with its value (unnamed statement).
      expect(await plan(`SELECT id FROM users u WHERE u.username LIKE $1 ESCAPE '\\'`, ['scale123%'])).toContain('idx_users_username_prefix');
      expect(await plan(`SELECT id FROM users u WHERE u.email LIKE $1 ESCAPE '\\'`, ['scale123%'])).toContain('idx_users_email_prefix');
      const keyset = await plan(`SELECT id FROM users u WHERE (u.created_at, u.id) < ($1, $2) ORDER BY u.created_at DESC, u.id DESC LIMIT 51`, [
        new Date(Date.now() - 6000 * 1000),
        '00000000-0000-0000-0000-000000000000',
      ]);
      expect(keyset).toContain('idx_users_created_at_id');
      expect(keyset).not.toContain('"Sort"');
    } else {
      const plan = async (sql: string, parameters: unknown[]) => JSON.stringify(await t.dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, parameters));
      const prefix = await plan(`SELECT id FROM users u WHERE (u.username >= ? AND u.username < ?) OR (u.email >= ? AND u.email < ?)`, [
        'scale123',
        'scale124',
        'scale123',
        'scale124',
      ]);
      expect(prefix).toMatch(/SEARCH u USING (COVERING )?INDEX sqlite_autoindex_users_\d \(username>\? AND username<\?\)/);
      expect(prefix).toMatch(/SEARCH u USING (COVERING )?INDEX sqlite_autoindex_users_\d \(email>\? AND email<\?\)/);
      const keyset = await plan(`SELECT id FROM users u WHERE (u.created_at, u.id) < (?, ?) ORDER BY u.created_at DESC, u.id DESC LIMIT 51`, ['2026-01-01 00:00:00.000', 'x']);
      expect(keyset).toContain('idx_users_created_at_id');
      expect(keyset).not.toContain('TEMP B-TREE');
    }
  });

  it('a cursor deep in the set answers the rows the matching offset does', async () => {
    let page = await list('?sort=username&limit=500');
    for (let i = 0; i < 3; i++) page = await list(`?sort=username&limit=500&cursor=${page.next_cursor}`);
    const byOffset = await list('?sort=username&limit=500&offset=1500');
    expect(page.items).toEqual(byOffset.items);
  });
});
