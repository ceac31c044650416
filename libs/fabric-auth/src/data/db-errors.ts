import { QueryFailedError, TypeORMError } from 'typeorm';
import { FabricError, fabricError, isHttpAnswer } from '../core/fabric-error.js';

function driverCode(error: unknown): string | undefined {
  const source = error instanceof QueryFailedError ? (error.driverError as { code?: unknown } | undefined) : (error as { code?: unknown } | null);
  return typeof source?.code === 'string' ? source.code : undefined;
}

/** A unique-constraint violation on PostgreSQL (23505) or SQLite. */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const code = driverCode(error);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || /UNIQUE constraint failed/.test(error.message);
}

/**
 * A row this write refers to is gone (PostgreSQL 23503, SQLite's foreign-key check): it was
 * deleted by a concurrent request between the read and the write (SEC-110).
 */
export function isForeignKeyViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const code = driverCode(error);
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || /FOREIGN KEY constraint failed/.test(error.message);
}

/**
 * Input the database refuses as data (SEC-116): PostgreSQL's class 22 — a NUL or a character
 * the encoding cannot hold (22021, 22P05), a value too long for its column (22001), text that
 * is not a valid uuid or number (22P02), a number or date out of range (22003, 22008) — and
 * SQLite's "string or blob too big". The client's mistake (400), never an outage (503).
 */
export function isRefusedInput(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const code = driverCode(error);
  return (code !== undefined && code.startsWith('22')) || code === 'SQLITE_TOOBIG';
}

/** PostgreSQL gave up on a transaction because of a concurrent one (serialization failure, deadlock): retrying may succeed. */
export function isTransientConflict(error: unknown): boolean {
  const code = driverCode(error);
  return code === '40001' || code === '40P01';
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
]);
const UNREACHABLE_MESSAGES =
  /Connection terminated|connection (is )?(closed|not open|ended)|database connection is not open|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end|not (yet )?(established|connected)|Connection is not established|the database system is (starting up|shutting down)|terminating connection/i;

/**
 * The database cannot be reached or cannot serve now: a refused or dropped connection, a
 * pool that cannot connect, PostgreSQL classes 08 (connection) and 57P (shutdown) or 53
 * (resources), SQLite busy or I/O, TypeORM's "not connected".
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (isHttpAnswer(error)) return false;
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = driverCode(e);
    if (code && (UNREACHABLE_CODES.has(code) || code.startsWith('08') || code.startsWith('57P') || code.startsWith('53'))) return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && UNREACHABLE_MESSAGES.test(message)) return true;
    if (e instanceof TypeORMError && /ConnectionIsNotSet|CannotExecuteNotConnected|CannotConnect/.test(e.name)) return true;
    const nested = (e as { driverError?: unknown }).driverError;
    if (nested && nested !== e && isDatabaseUnavailable(nested)) return true;
  }
  return false;
}

const REDIS_UNAVAILABLE = /^(Command timed out|Connection is closed\.?|Stream isn't writeable.*)$/;

/** Redis away or frozen: our own refusal, or ioredis giving up on a command. */
function isRedisUnavailable(error: unknown): boolean {
  const e = error as { name?: unknown; message?: unknown } | null;
  return e?.name === 'RedisUnavailableError' || (typeof e?.message === 'string' && REDIS_UNAVAILABLE.test(e.message));
}

/**
 * The HTTP answer a storage error deserves, or undefined when it is a genuine bug (500):
 * the database away → 503 (and nothing else is); input it refuses as data → 400; a unique key
 * taken, a row referred to deleted meanwhile, or a write that lost to a concurrent one → 409.
 */
export function httpErrorForDatabase(error: unknown): FabricError | undefined {
  if (isHttpAnswer(error)) return undefined;
  if (isDatabaseUnavailable(error) || isRedisUnavailable(error)) return fabricError('service_unavailable', 'The service is temporarily unavailable', { cause: error });
  if (isRefusedInput(error)) return fabricError('value_not_storable', 'A value is not valid for storage (a NUL, an unencodable character or too long)', { cause: error });
  if (isUniqueViolation(error)) return fabricError('already_exists', 'This conflicts with an existing record', { cause: error });
  if (isForeignKeyViolation(error)) return fabricError('concurrent_change', 'Something this refers to was removed meanwhile; retry', { cause: error });
  if (isTransientConflict(error)) return fabricError('concurrent_change', 'A concurrent change conflicted with this one; retry', { cause: error });
  return undefined;
}
