import { createHash } from 'node:crypto';
import { type DataSource, QueryFailedError } from 'typeorm';
import { withValuesPlanned } from './pagination/dialect.js';
import { type TypeParsers, withFastTimestamps } from './timestamp-parser.js';

type Row = Record<string, unknown>;

/**
 * Names given out per process at most. A name costs a parsed statement and its cached plan on
 * every pooled connection that ran it; past the cap a text runs unnamed, as any other statement.
 */
export const MAX_NAMED_STATEMENTS = 256;

/** Prefix of every name we give a statement (how the tests find ours in pg_prepared_statements). */
export const STATEMENT_NAME_PREFIX = 'fabric_';

/**
 * Shaped texts named at most per family: a text with its LIMIT and OFFSET counts left out. A
 * page size, an offset or what a section has left to fill is written into the text, each value
 * a text of its own; past this many of one family, the others run unnamed, so that no request
 * walking `?limit=` or `?offset=` uses up the names every list shares.
 */
export const MAX_NAMED_PER_FAMILY = 4;

/** Text → its name: the texts named so far, fixed ones included. */
const names = new Map<string, string>();
let shapedNames = 0;
/** Shaped texts named per family (bounded: at most MAX_NAMED_STATEMENTS families). */
const namedInFamily = new Map<string, number>();

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
 * connection and two texts never share one. On PostgreSQL the read goes to TypeORM's pool
 * directly, named or not, its timestamps parsed by timestamp-parser.ts. Driver errors come
 * wrapped in TypeORM's QueryFailedError, as `dataSource.query` wraps them (db-errors.ts
 * classifies them).
 */
export async function readStatement(dataSource: DataSource, text: string, values: unknown[], origin: StatementOrigin): Promise<Row[]> {
  const pool = dataSource.driver.options.type === 'postgres' ? (dataSource.driver as { master?: PoolLike }).master : undefined;
  if (!pool) return await dataSource.query<Row[]>(text, values);
  // Unnamed ones go the same way (not through TypeORM's query runner): the same connection
  // handling, and the fast timestamp parser for every list read.
  const name = origin !== 'other' && !unnamed.has(dataSource) ? nameOf(text, origin) : undefined;
  let client: PoolClientLike;
  try {
    client = await pool.connect();
  } catch (error) {
    throw new QueryFailedError(text, values, error as Error);
  }
  let failure: unknown;
  let stale: boolean;
  // The pool stops listening for a client's errors while it is checked out: a connection reset
  // mid-read, unheard, would be an uncaught 'error' event and end the process.
  const onError = (error: Error) => {
    failure ??= error;
  };
  client.on('error', onError);
  try {
    // Planned on this run alone, the plan may as well see every value.
    return (await client.query({ name, text: name === undefined ? withValuesPlanned(text) : text, values, types: parsersOf(client) })).rows;
  } catch (error) {
    failure = error;
  } finally {
    // `pool.query` would drop the connection on any error, a refused filter or a statement
    // timeout included, so that a caller could make the pool reconnect on every request. An
    // error the server answered leaves the connection as it was: it goes back to the pool.
    // A stale statement (below) is dropped with its connection, and so is one that failed
    // for any other reason (the pool drops one that cannot be queried anyway).
    stale = name !== undefined && staleStatement(failure);
    client.release(failure === undefined || (answeredByServer(failure) && !stale) ? undefined : (failure as Error));
    // Released, it is the pool's to listen to again.
    client.removeListener('error', onError);
  }
  // The connection's prepared statement no longer fits the schema (a migration changed a
  // column it reads: "cached plan must not change result type"), or the server no longer has
  // it (a pooler reset the session): its connection is gone above, and this once the text
  // runs unnamed; the next connection prepares it anew.
  if (stale) return await readStatement(dataSource, text, values, 'other');
  throw new QueryFailedError(text, values, failure as Error);
}

interface PoolClientLike extends TypeParsers {
  on(event: 'error', listener: (error: Error) => void): void;
  removeListener(event: 'error', listener: (error: Error) => void): void;
  query(query: { name: string | undefined; text: string; values: unknown[]; types: TypeParsers }): Promise<{ rows: Row[] }>;
  release(error?: Error): void;
}

/** Per pooled connection, its type parsers with the fast timestamp one (timestamp-parser.ts). */
const parsers = new WeakMap<PoolClientLike, TypeParsers>();

function parsersOf(client: PoolClientLike): TypeParsers {
  let types = parsers.get(client);
  if (types === undefined) parsers.set(client, (types = withFastTimestamps(client)));
  return types;
}

interface PoolLike {
  connect(): Promise<PoolClientLike>;
}

/** An error PostgreSQL answered with (pg's DatabaseError: a severity and a SQLSTATE) on a connection that is still up. */
function answeredByServer(error: unknown): boolean {
  const { severity, code } = (error ?? {}) as { severity?: unknown; code?: unknown };
  return typeof severity === 'string' && typeof code === 'string' && !/^(08|57P)/.test(code) && severity !== 'FATAL' && severity !== 'PANIC';
}

/** 0A000 (feature_not_supported: a cached plan's result type changed) and 26000 (invalid_sql_statement_name). */
function staleStatement(error: unknown): boolean {
  const { code } = (error ?? {}) as { code?: unknown };
  return code === '0A000' || code === '26000';
}

function nameOf(text: string, origin: 'fixed' | 'shaped'): string | undefined {
  const known = names.get(text);
  if (known !== undefined || (origin === 'shaped' && shapedNames >= MAX_NAMED_STATEMENTS)) return known;
  if (origin === 'shaped') {
    const family = text.replace(/\b(LIMIT|OFFSET) \d+/g, '$1 n');
    const named = namedInFamily.get(family) ?? 0;
    if (named >= MAX_NAMED_PER_FAMILY) return undefined;
    namedInFamily.set(family, named + 1);
    shapedNames++;
  }
  // 96 bits: a collision (two texts, one name, refused by the driver) is out of reach.
  const name = STATEMENT_NAME_PREFIX + createHash('sha256').update(text).digest('hex').slice(0, 24);
  names.set(text, name);
  return name;
}
