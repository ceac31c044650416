import { UserEntity } from 'nestjs-fabric-auth/entities';
import pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpErrorForDatabase } from '../../libs/fabric-auth/src/data/db-errors.js';
import { MAX_NAMED_PER_FAMILY, MAX_NAMED_STATEMENTS, readStatement, STATEMENT_NAME_PREFIX, useNamedStatements } from '../../libs/fabric-auth/src/data/named-statements.js';
import { readRows } from '../../libs/fabric-auth/src/data/pagination/keyset.js';
import { startOrgApp } from '../organizations/org-app.js';
import { API, DATABASES, type TestApp } from '../support/test-app.js';

interface PgClient {
  query(text: string): Promise<{ rows: { name: string }[] }>;
  release(): void;
}
interface ResettableClient {
  connection: { stream: { destroy(error: Error): void } };
}
interface PgPool {
  totalCount: number;
  idleCount: number;
  connect(): Promise<PgClient>;
  on(event: 'remove', listener: () => void): void;
  off(event: 'remove', listener: () => void): void;
}

/**
 * Our named statements on every connection of the DataSource's pool (pg_prepared_statements is
 * per connection): all of them checked out at once, so that each answers for itself.
 */
async function preparedOnPool(dataSource: DataSource, where = ''): Promise<Set<string>> {
  const pool = (dataSource.driver as unknown as { master: PgPool }).master;
  const clients = await Promise.all(Array.from({ length: pool.totalCount }, () => pool.connect()));
  try {
    const names = new Set<string>();
    for (const client of clients) {
      const { rows } = await client.query(`SELECT name FROM pg_prepared_statements WHERE name LIKE '${STATEMENT_NAME_PREFIX}%'${where}`);
      for (const row of rows) names.add(row.name);
    }
    return names;
  } finally {
    clients.forEach((client) => client.release());
  }
}

/** Organizations on: their lists are among those read by name. */
const pgTypes = pg.types;

const POSTGRES = DATABASES.find((target) => target.startsWith('postgres'))!;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The lists a console shows: users (first page, cursor page, prefix search), a user's API keys, audit by actor, organizations and their members. */
async function readLists(t: TestApp, admin: string, org: string): Promise<unknown[]> {
  const get = async (path: string) => {
    const res = await t.http.get(`${API}${path}`).set(bearer(admin));
    expect({ path, status: res.status }).toEqual({ path, status: 200 });
    return res.body as { next_cursor?: string | null };
  };
  const first = await get('/users?limit=2&sort=username');
  const answers: unknown[] = [first];
  answers.push(await get(`/users?limit=2&sort=username&cursor=${encodeURIComponent(String(first.next_cursor))}`));
  answers.push(await get('/users?q=named&limit=3'));
  answers.push(await get('/users/admin/api-keys'));
  answers.push(await get('/audit?actor=admin&limit=5'));
  answers.push(await get('/orgs'));
  answers.push(await get(`/orgs/${org}/members`));
  return answers;
}

async function seed(t: TestApp, admin: string): Promise<string> {
  for (let n = 0; n < 4; n++) await t.createUser({ prefix: 'named' });
  expect((await t.http.post(`${API}/users/admin/api-keys`).set(bearer(admin)).send({ name: 'named-key' })).status).toBe(201);
  const org = `named-org-${process.pid}`;
  expect((await t.http.post(`${API}/orgs`).set(bearer(admin)).send({ slug: org, name: 'Named Org' })).status).toBe(201);
  return org;
}

describe('named statements on PostgreSQL', () => {
  let t: TestApp;
  let admin: string;
  let org: string;
  beforeAll(async () => {
    t = await startOrgApp(POSTGRES);
    admin = await t.adminToken();
    org = await seed(t, admin);
  });
  afterAll(() => t?.close());

  it('lists leave their statements prepared on the pool, by name, and answer as unnamed ones do', async () => {
    const named = await readLists(t, admin, org);
    const prepared = await preparedOnPool(t.dataSource);
    // Each list's page and count at least, plus a credential's grants.
    expect(prepared.size).toBeGreaterThanOrEqual(8);
    for (const name of prepared) expect(name).toMatch(/^fabric_[0-9a-f]{24}$/);
    useNamedStatements(t.dataSource, false);
    try {
      expect(await readLists(t, admin, org)).toEqual(named);
    } finally {
      useNamedStatements(t.dataSource, true);
    }
  });

  it('offset pages of a list read in branches (audit by actor) are never named: an offset walk cannot use up the names', async () => {
    await t.http.get(`${API}/audit?actor=admin&limit=2`).set(bearer(admin));
    const before = await preparedOnPool(t.dataSource);
    for (const offset of [1, 2, 3, 4, 5]) {
      const res = await t.http.get(`${API}/audit?actor=admin&limit=2&offset=${offset}`).set(bearer(admin));
      expect(res.status).toBe(200);
    }
    expect(await preparedOnPool(t.dataSource)).toEqual(before);
  });

  it('page sizes a request chooses name at most a few texts of one list: the rest run unnamed, and the names stay for other lists', async () => {
    const tag = `family_${process.pid}_${Date.now()}`;
    for (let take = 1; take <= 10; take++) {
      const rows = await readStatement(t.dataSource, `SELECT id, '${tag}' AS tag FROM users ORDER BY id LIMIT ${take}`, [], 'shaped');
      expect(rows.length).toBeLessThanOrEqual(take);
    }
    expect((await preparedOnPool(t.dataSource, ` AND statement LIKE '%${tag}%'`)).size).toBe(MAX_NAMED_PER_FAMILY);
    // Another list's statement is still named.
    const other = `SELECT id, '${tag}_other' AS tag FROM users ORDER BY id LIMIT 3`;
    await readStatement(t.dataSource, other, [], 'shaped');
    expect((await preparedOnPool(t.dataSource, ` AND statement LIKE '%${tag}_other%'`)).size).toBe(1);
  });

  it('a filter the database refuses is still a 400, read by name or not, and costs the pool no connection', async () => {
    const users = () => t.dataSource.getRepository(UserEntity).createQueryBuilder('u').where('u.id = :id', { id: 'not-a-uuid' });
    const pool = (t.dataSource.driver as unknown as { master: PgPool }).master;
    let removed = 0;
    const onRemove = () => removed++;
    pool.on('remove', onRemove);
    try {
      for (const enabled of [true, false]) {
        useNamedStatements(t.dataSource, enabled);
        for (let n = 0; n < 3; n++) {
          const error = await readRows(users()).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(httpErrorForDatabase(error)?.getStatus()).toBe(400);
        }
      }
    } finally {
      useNamedStatements(t.dataSource, true);
      pool.off('remove', onRemove);
    }
    // pg-pool's own `query` drops the connection on any error: a caller could make it reconnect on every request.
    expect(removed).toBe(0);
  });

  it('timestamps read by name are the Dates an unnamed read gives; a timestamp parser the app set is kept', async () => {
    const text = `SELECT v::timestamp AS v FROM (VALUES ('2026-12-07 08:00:00.123456'), ('1999-12-31 23:59:59'), ('0044-03-15 12:00:00 BC'), ('infinity'), ('10000-01-01 00:00:00'), (NULL)) AS t(v)`;
    const unnamed = await t.dataSource.query(text);
    for (let n = 0; n < 2; n++) expect(await readStatement(t.dataSource, text, [], 'fixed')).toEqual(unnamed);
    expect(unnamed[0].v).toEqual(new Date(2026, 11, 7, 8, 0, 0, 123));

    const own = (value: string) => `app:${value}`;
    const types = { getTypeParser: (oid: number, format?: string) => (oid === 1114 ? own : pgTypes.getTypeParser(oid, format as 'text')) };
    const app = await new DataSource({
      ...(t.dataSource.options as object),
      type: 'postgres',
      entities: [],
      migrations: [],
      migrationsRun: false,
      synchronize: false,
      extra: { types },
    } as never).initialize();
    try {
      expect(await readStatement(app, `SELECT '2026-12-07 08:00:00'::timestamp AS v`, [], 'fixed')).toEqual([{ v: 'app:2026-12-07 08:00:00' }]);
    } finally {
      await app.destroy();
    }
  });

  it('a connection reset in the middle of a read is a 503, not an uncaught error that ends the process', async () => {
    const pool = (
      t.dataSource.driver as unknown as {
        master: { on(event: 'acquire', listener: (client: ResettableClient) => void): void; off(event: 'acquire', listener: (client: ResettableClient) => void): void };
      }
    ).master;
    let reset = 0;
    const resetSoon = (client: ResettableClient) => {
      // After the statement went out: the reset lands while the server is still answering.
      setTimeout(() => {
        reset++;
        client.connection.stream.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' }));
      }, 100);
    };
    for (const origin of ['fixed', 'other'] as const) {
      pool.on('acquire', resetSoon);
      const read = readStatement(t.dataSource, `SELECT pg_sleep(2), '${origin}' AS origin`, [], origin).then(
        () => undefined,
        (error: unknown) => error,
      );
      const failure = await read;
      pool.off('acquire', resetSoon);
      expect(failure).toBeDefined();
      expect(httpErrorForDatabase(failure)?.getStatus()).toBe(503);
    }
    expect(reset).toBe(2);
    // The pool goes on serving reads.
    expect(await readStatement(t.dataSource, 'SELECT 1 AS one', [], 'fixed')).toEqual([{ one: 1 }]);
  });

  it('a statement a migration made stale is read again, not answered with an error', async () => {
    const table = `fabric_stale_probe_${process.pid}`;
    await t.dataSource.query(`CREATE TABLE ${table} (v int)`);
    try {
      await t.dataSource.query(`INSERT INTO ${table} VALUES (7)`);
      const read = () => readStatement(t.dataSource, `SELECT v FROM ${table}`, [], 'fixed');
      // One after another: the pool hands back the connection just released, which holds the statement.
      for (let n = 0; n < 3; n++) expect(await read()).toEqual([{ v: 7 }]);
      await t.dataSource.query(`ALTER TABLE ${table} ALTER COLUMN v TYPE text`);
      // PostgreSQL: "cached plan must not change result type" (0A000) on the connection that prepared it.
      for (let n = 0; n < 3; n++) expect(await read()).toEqual([{ v: '7' }]);
    } finally {
      await t.dataSource.query(`DROP TABLE ${table}`);
    }
  });

  it('offset pages take no name of their own (an offset is written into the text)', async () => {
    for (let offset = 1; offset < 6; offset++) expect((await t.http.get(`${API}/users?offset=${offset}&limit=1`).set(bearer(admin))).status).toBe(200);
    expect(await preparedOnPool(t.dataSource, ` AND statement ILIKE '%OFFSET%'`)).toEqual(new Set());
  });

  it('a transaction’s reads stay unnamed', async () => {
    const before = await preparedOnPool(t.dataSource);
    const probe = (manager: EntityManager) =>
      manager.getRepository(UserEntity).createQueryBuilder('u').where('u.username = :probe AND u.isActive = :active', { probe: 'x', active: true });
    await t.dataSource.transaction((manager) => readRows(probe(manager)));
    expect(await preparedOnPool(t.dataSource)).toEqual(before);
    // The same shape outside one is named.
    await readRows(probe(t.dataSource.manager));
    expect((await preparedOnPool(t.dataSource)).size).toBe(before.size + 1);
  });

  it('many list shapes never name more than the cap', async () => {
    const users = t.dataSource.getRepository(UserEntity);
    for (let n = 0; n < MAX_NAMED_STATEMENTS + 40; n++) await readRows(users.createQueryBuilder('u').where(`u.username <> :name OR ${n} < 0`, { name: 'x' }));
    const prepared = await preparedOnPool(t.dataSource);
    // The credential reads are fixed texts beside the cap.
    expect(prepared.size).toBeGreaterThan(MAX_NAMED_STATEMENTS / 2);
    expect(prepared.size).toBeLessThanOrEqual(MAX_NAMED_STATEMENTS + 3);
    // Past the cap a list still answers, unnamed.
    expect((await t.http.get(`${API}/users?sort=-email&limit=1`).set(bearer(admin))).status).toBe(200);
  }, 60_000);
});

describe('named statements off (server.prepared_statements: false)', () => {
  let t: TestApp;
  afterAll(() => t?.close());

  it('lists and credentials leave nothing prepared on the pool', async () => {
    t = await startOrgApp(POSTGRES, { preparedStatements: false });
    const admin = await t.adminToken();
    const org = await seed(t, admin);
    await readLists(t, admin, org);
    expect(await preparedOnPool(t.dataSource)).toEqual(new Set());
  });
});
