import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** PostgreSQL is mandatory: an unreachable server fails the run, it never skips it. */
export const POSTGRES_URL = process.env.FABRIC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function postgresUrlFor(database: string): string {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh database of its own for one suite; `drop` removes it. */
export async function createScratchDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `fabric_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: postgresUrlFor(name),
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

export async function assertPostgresReachable(): Promise<void> {
  try {
    await withAdmin((c) => c.query('SELECT 1'));
  } catch (error) {
    throw new Error(
      `PostgreSQL is required for the test suite and is not reachable at ${POSTGRES_URL} ` + `(${(error as Error).message}). Start it or set FABRIC_TEST_POSTGRES_URL.`,
      { cause: error },
    );
  }
}
