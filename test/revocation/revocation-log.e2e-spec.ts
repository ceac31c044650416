import { createRequire } from 'node:module';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, databaseOf, startTestApp, type TestApp } from '../support/test-app.js';

interface SqliteConnection {
  pragma(source: string): unknown;
  prepare(sql: string): { run(...params: unknown[]): unknown };
  transaction(work: () => void): () => void;
  close(): void;
}
/** A second, plain connection to the app's SQLite file (better-sqlite3 ships no types). */
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => SqliteConnection;

/** What both describes ask of their app: its database options, `/auth/me` with a token, a user's cached session, and how long until a token is refused. */
function sessionProbes(app: () => TestApp) {
  const options = () => app().dataSource.options as { url?: string; database?: string };
  const me = (token: string) => app().http.get(`${API}/auth/me`).auth(token, { type: 'bearer' });
  async function cachedSession() {
    const t = app();
    const { user, password } = await t.createUser();
    const tokens = await t.login(user.username, password);
    expect((await me(tokens.access_token)).status).toBe(200);
    const [row] = await t.dataSource.query(`SELECT id FROM sessions WHERE user_id = ${t.dataSource.options.type === 'postgres' ? '$1' : '?'} ORDER BY created_at DESC`, [user.id]);
    return { token: tokens.access_token, sessionId: row.id as string };
  }
  async function refusedWithin(token: string, ms: number): Promise<number> {
    const started = Date.now();
    let status = (await me(token)).status;
    while (status !== 401 && Date.now() - started < ms) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await me(token)).status;
    }
    expect(status).toBe(401);
    return Date.now() - started;
  }
  return { options, me, cachedSession, refusedWithin };
}

/**
 * SEC-92, from the database side: a revocation another instance committed, whose
 * broadcast never arrived, is honoured within 2 s — the revocation log is the guarantee.
 * "Another instance" is a plain database connection here: it revokes a session and logs
 * it, and publishes nothing.
 */
describe.each(DATABASES)('the revocation log on %s', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  const { options, me, cachedSession, refusedWithin } = sessionProbes(() => t);

  it('a session revoked and logged elsewhere, with no broadcast, is refused within 2 s', async () => {
    const { token, sessionId } = await cachedSession();
    if (databaseOf(kind) === 'postgres') {
      const client = new pg.Client({ connectionString: options().url });
      await client.connect();
      try {
        await client.query('BEGIN');
        await client.query(`UPDATE sessions SET revoked_at = now(), revoked_reason = 'elsewhere' WHERE id = $1`, [sessionId]);
        await client.query(`INSERT INTO revocations (kind, subject, created_at) VALUES ('session', $1, now())`, [sessionId]);
        await client.query('COMMIT');
      } finally {
        await client.end();
      }
    } else {
      const db = new Database(options().database!);
      db.pragma('busy_timeout = 5000');
      db.transaction(() => {
        db.prepare(`UPDATE sessions SET revoked_at = datetime('now'), revoked_reason = 'elsewhere' WHERE id = ?`).run(sessionId);
        db.prepare(`INSERT INTO revocations (kind, subject, created_at) VALUES ('session', ?, datetime('now'))`).run(sessionId);
      })();
      db.close();
    }
    // No broadcast came: only the log can evict the cached principal (the cache TTL is 60 s).
    expect(await refusedWithin(token, 2_000)).toBeLessThanOrEqual(2_000);
  });

  it('a logout writes its log row in the same transaction as the session change', async () => {
    const { token, sessionId } = await cachedSession();
    expect((await t.http.post(`${API}/auth/logout`).auth(token, { type: 'bearer' })).status).toBe(204);
    const rows = await t.dataSource.query(`SELECT kind FROM revocations WHERE subject = ${databaseOf(kind) === 'postgres' ? '$1' : '?'}`, [sessionId]);
    expect(rows).toEqual([{ kind: 'session' }]);
    expect((await me(token)).status).toBe(401);
  });
});

describe.each(['postgres'] as const)('the revocation log on %s: commits out of id order', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  const { options, me, cachedSession, refusedWithin } = sessionProbes(() => t);

  it('a revocation whose transaction commits after a later one (ids out of commit order) is not skipped', async () => {
    const early = await cachedSession();
    const late = await cachedSession();
    const slow = new pg.Client({ connectionString: options().url });
    const fast = new pg.Client({ connectionString: options().url });
    await slow.connect();
    await fast.connect();
    try {
      // The slow transaction takes its id first and commits last.
      await slow.query('BEGIN');
      await slow.query(`UPDATE sessions SET revoked_at = now(), revoked_reason = 'elsewhere' WHERE id = $1`, [early.sessionId]);
      await slow.query(`INSERT INTO revocations (kind, subject, created_at) VALUES ('session', $1, now())`, [early.sessionId]);
      await fast.query('BEGIN');
      await fast.query(`UPDATE sessions SET revoked_at = now(), revoked_reason = 'elsewhere' WHERE id = $1`, [late.sessionId]);
      await fast.query(`INSERT INTO revocations (kind, subject, created_at) VALUES ('session', $1, now())`, [late.sessionId]);
      await fast.query('COMMIT');
      await refusedWithin(late.token, 2_000);
      expect((await me(early.token)).status).toBe(200);
      await slow.query('COMMIT');
      await refusedWithin(early.token, 2_000);
    } finally {
      await slow.end();
      await fast.end();
    }
  });
});
