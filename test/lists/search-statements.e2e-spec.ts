import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatementLog, type LoggedStatement } from '../support/statement-log.js';
import { API, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * What a `?q=` page of the users list costs the database, in statements (issue 19 item 13): a
 * deterministic guard where timing would be noise. Each statement is a round trip the request
 * waits for, one after the other: a page in match order carries its count and its rows' roles
 * in its own statement; a page in another order (a bounded search) reads its candidates with
 * their count, then its rows with their roles.
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

  it('another order (a bounded search): the candidates with their count, then the rows with their roles', async () => {
    const first = await within('/users?q=find12&sort=-created_at&limit=50', 2);
    expect(first).toMatchObject({ total: 111, total_is_estimate: false });
    // find12 is the newest of them: find1299 is the oldest.
    expect(first.items[0].username).toBe('find12');
    const next = await within(`/users?q=find12&sort=-created_at&limit=50&cursor=${first.next_cursor}`, 2);
    expect(next).toMatchObject({ total: 111, total_is_estimate: false });
    expect(next.items).toHaveLength(50);
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
