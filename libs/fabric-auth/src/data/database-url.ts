import { FabricConfigError } from '../options/fabric-config.error.js';

/**
 * Where the library's tables live, as `DATABASE_URL` names it.
 *
 * @publicApi
 */
export type FabricDatabaseChoice = { type: 'postgres'; url: string } | { type: 'better-sqlite3'; database: string };

export const DATABASE_URL_FORMS = '`postgres://user:password@host:5432/name`, `sqlite:path/to/file.sqlite` or a plain file path';

function refused(name: string, why: string): FabricConfigError {
  return new FabricConfigError([`${name}: ${why}; use ${DATABASE_URL_FORMS}`]);
}

/**
 * Reads a `DATABASE_URL` without guessing: `postgres://…`/`postgresql://…` is PostgreSQL,
 * `sqlite:path` or a plain path (no scheme) is a SQLite file, `:memory:` an in-memory SQLite.
 * Any other scheme (`mysql://…`) or a malformed URL (`postgres:/host/db`) is refused, where
 * it used to become a SQLite file named after the URL. One letter before a colon is a
 * Windows drive (`C:\data\auth.sqlite`), not a scheme.
 *
 * @publicApi
 */
export function parseDatabaseUrl(value: string, name = 'DATABASE_URL'): FabricDatabaseChoice {
  const url = value.trim();
  if (url.length === 0) throw refused(name, 'is empty');
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return { type: 'better-sqlite3', database: url };
  if (scheme === 'postgres' || scheme === 'postgresql') {
    if (!url.slice(scheme.length + 1).startsWith('//') || !URL.canParse(url) || new URL(url).hostname === '') {
      throw refused(name, `"${redacted(url)}" is not a valid PostgreSQL URL`);
    }
    return { type: 'postgres', url };
  }
  if (scheme === 'sqlite') {
    // `sqlite:data/auth.sqlite`, `sqlite:/abs/auth.sqlite` and `sqlite:///abs/auth.sqlite` all name a file.
    const rest = url.slice('sqlite:'.length);
    const database = rest.startsWith('///') ? rest.slice(2) : rest.startsWith('//') ? rest.slice(2) : rest;
    if (database.length === 0) throw refused(name, '"sqlite:" names no file');
    return { type: 'better-sqlite3', database };
  }
  throw refused(name, `the scheme "${scheme}:" is not supported`);
}

/** The URL without its password, for messages. */
function redacted(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}
