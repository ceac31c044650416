import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import type { TypeOrmModuleAsyncOptions, TypeOrmModuleOptions } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { FabricStartupError } from '../options/fabric-config.error.js';

export interface FabricDatabaseRetry {
  /** Connection attempts before startup stops. Default 10. */
  attempts?: number;
  /** Milliseconds between attempts. Default 3000. */
  delayMs?: number;
}

/** The server is not there (yet): worth another attempt. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', '57P03']);
/** The server answered no: another attempt gives the same answer, so startup stops at once. */
const REFUSED_CODES: Record<string, string> = {
  '3D000': 'create the database or fix the name in the URL',
  '28P01': 'check the user and password in the URL',
  '28000': 'check the user in the URL and the server’s pg_hba.conf',
  SQLITE_CANTOPEN: 'check that the directory exists and is writable',
};

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  // Node's happy-eyeballs connect rejects with an AggregateError of one error per address.
  const inner = (error as { errors?: unknown[] } | null)?.errors?.[0];
  return inner === undefined ? undefined : codeOf(inner);
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const inner = (error as { errors?: unknown[] } | null)?.errors?.[0];
  const text = message || (inner instanceof Error ? inner.message : '') || codeOf(error) || 'unknown error';
  return text.split('\n')[0];
}

/** Where the tables are, without a password. */
function describe(options: DataSourceOptions): string {
  if (options.type === 'postgres') {
    if (options.url && URL.canParse(options.url)) {
      const url = new URL(options.url);
      return `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname}`;
    }
    return `PostgreSQL ${options.host ?? 'localhost'}:${options.port ?? 5432}/${options.database ?? ''}`;
  }
  if (options.type === 'better-sqlite3') return `SQLite ${String(options.database)}`;
  return options.type;
}

async function connect(options: DataSourceOptions, attempts: number, delayMs: number, logger: Logger): Promise<DataSource> {
  const where = describe(options);
  const policy = `${attempts} attempts, one every ${delayMs / 1000} s`;
  for (let attempt = 1; ; attempt++) {
    try {
      return await new DataSource(options).initialize();
    } catch (error) {
      const code = codeOf(error);
      const fix = code === undefined ? undefined : REFUSED_CODES[code];
      if (fix) throw new FabricStartupError(`Cannot open the database (${where}): ${reason(error)} — ${fix}.`);
      // Anything else (a failing migration, a driver bug) is not about reaching the server: its stack matters.
      if (code === undefined || !UNREACHABLE_CODES.has(code)) throw error;
      if (attempt >= attempts) {
        throw new FabricStartupError(`The database (${where}) is unreachable: ${reason(error)}. Gave up after ${policy}.`);
      }
      if (attempt === 1) logger.warn(`The database (${where}) is unreachable: ${reason(error)}. Retrying quietly (${policy}), then startup stops.`);
      await sleep(delayMs);
    }
  }
}

/**
 * `TypeOrmModule.forRootAsync(withFabricDatabaseRetry({ useFactory: () => ({ type: 'postgres', url }) }))`:
 * the same connection, with a database that is down said once (with the retry policy) instead
 * of an error and a stack per attempt, a missing database or a refused password said at once,
 * and the final refusal a `FabricStartupError` (printed as one block).
 *
 * @publicApi
 */
export function withFabricDatabaseRetry(options: TypeOrmModuleAsyncOptions, policy: FabricDatabaseRetry = {}): TypeOrmModuleAsyncOptions {
  const attempts = policy.attempts ?? 10;
  const delayMs = policy.delayMs ?? 3000;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError('withFabricDatabaseRetry: attempts must be a whole number ≥ 1');
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError('withFabricDatabaseRetry: delayMs must be ≥ 0');
  const { useFactory } = options;
  if (!useFactory) throw new TypeError('withFabricDatabaseRetry: give the connection options as useFactory');
  const logger = new Logger('FabricDatabase');
  return {
    ...options,
    // TypeORM's own retry logs an error and a stack per attempt: the retry happens in dataSourceFactory instead.
    useFactory: async (...args: unknown[]): Promise<TypeOrmModuleOptions> => ({ ...(await useFactory(...args)), retryAttempts: 1, toRetry: () => false }),
    dataSourceFactory: async (dataSourceOptions?: DataSourceOptions) => {
      if (!dataSourceOptions) throw new TypeError('withFabricDatabaseRetry: no connection options');
      return connect(dataSourceOptions, attempts, delayMs, logger);
    },
  };
}
