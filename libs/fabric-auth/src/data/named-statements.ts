import { createHash } from 'node:crypto';
import { type DataSource, QueryFailedError } from 'typeorm';

type Row = Record<string, unknown>;

/**
 * Names given out per process at most. A name costs a parsed statement and its cached plan on
 * every pooled connection that ran it; past the cap a text runs unnamed, as any other statement.
 */
export const MAX_NAMED_STATEMENTS = 256;

/** Prefix of every name we give a statement (how the tests find ours in pg_prepared_statements). */
export const STATEMENT_NAME_PREFIX = 'fabric_';

/** Text → its name: the texts named so far, fixed ones included. */
const names = new Map<string, string>();
let shapedNames = 0;

/** Data sources whose statements all go unnamed (`server.prepared_statements: false`). */
const unnamed = new WeakSet<DataSource>();

/**
 * Whether `dataSource` sends named statements (on by default). Off for a pooler that cannot
 * keep them across transactions (PgBouncer in transaction mode before 1.21): a name prepared
 * on one server connection is unknown on the next.
 */
export function useNamedStatements(dataSource: DataSource, enabled: boolean): void {
  if (enabled) unnamed.delete(dataSource);
  else unnamed.add(dataSource);
}

/**
 * Where a text comes from, which decides whether it may be named: `fixed`, written in our code
 * (one per call site); `shaped`, a list's statement rendered once per shape (statement-cache.ts),
 * bounded by the shapes the lists have but counted against MAX_NAMED_STATEMENTS all the same;
 * `other`, anything else (runs unnamed: its text may carry what a request chose).
 */
export type StatementOrigin = 'fixed' | 'shaped' | 'other';

/**
 * Runs a read on the data source, on PostgreSQL as a named prepared statement where its origin
 * allows: parsed and planned once per pooled connection rather than on every call (TypeORM sends
 * every statement unnamed). The name is a hash of the text, so one text has one name on every
 * connection and two texts never share one. Driver errors come wrapped in TypeORM's
 * QueryFailedError, as `dataSource.query` wraps them (db-errors.ts classifies them).
 */
export async function readStatement(dataSource: DataSource, text: string, values: unknown[], origin: StatementOrigin): Promise<Row[]> {
  const postgres = dataSource.driver.options.type === 'postgres';
  const name = postgres && origin !== 'other' && !unnamed.has(dataSource) ? nameOf(text, origin) : undefined;
  const pool = name ? (dataSource.driver as { master?: { query(q: object): Promise<{ rows: Row[] }> } }).master : undefined;
  if (!pool) return await dataSource.query<Row[]>(text, values);
  try {
    return (await pool.query({ name, text, values })).rows;
  } catch (error) {
    throw new QueryFailedError(text, values, error as Error);
  }
}

function nameOf(text: string, origin: 'fixed' | 'shaped'): string | undefined {
  const known = names.get(text);
  if (known !== undefined || (origin === 'shaped' && shapedNames >= MAX_NAMED_STATEMENTS)) return known;
  // 96 bits: a collision (two texts, one name, refused by the driver) is out of reach.
  const name = STATEMENT_NAME_PREFIX + createHash('sha256').update(text).digest('hex').slice(0, 24);
  names.set(text, name);
  if (origin === 'shaped') shapedNames++;
  return name;
}
