import { getMetadataArgsStorage } from 'typeorm';
import { FABRIC_AUTH_ENTITIES } from './entities.js';
import { tablePrefixProblem } from '../options/table-prefix.js';

/**
 * The library's tables (and the index and constraint names it chooses) can carry a prefix,
 * so an app that already has `users` or `sessions` adopts it beside its own schema.
 *
 * Table names are fixed when a DataSource builds its metadata, long before an async options
 * factory has run, so the prefix is a process-wide setting applied to the entities' decorator
 * metadata: `FabricAuthModule.forRoot({ tablePrefix })` / `forRootAsync({ tablePrefix, … })`
 * set it when the module is declared, and scripts that build their own DataSource (a TypeORM
 * CLI data source, the admin CLI) call `setFabricAuthTablePrefix` first. The shipped
 * migrations read the same setting (see `migrations/fabric-schema.ts`), and the module checks
 * at startup that the DataSource really uses it.
 */

/** Decorator metadata of our entities that carries a name we chose, with that name unprefixed. */
interface NamedArgs {
  holder: Record<string, unknown>;
  field: string;
  base: string;
}

let current = '';
let named: NamedArgs[] | undefined;

function ourNamedArgs(): NamedArgs[] {
  if (named) return named;
  const ours = new Set<unknown>(FABRIC_AUTH_ENTITIES);
  const storage = getMetadataArgsStorage() as unknown as Record<string, Array<Record<string, unknown>> | undefined>;
  const found: NamedArgs[] = [];
  const collect = (list: Array<Record<string, unknown>> | undefined, field: string, within?: string) => {
    for (const args of list ?? []) {
      if (!ours.has(args.target)) continue;
      const holder = within ? (args[within] as Record<string, unknown> | undefined) : args;
      const base = holder?.[field];
      if (holder && typeof base === 'string' && base.length > 0) found.push({ holder, field, base });
    }
  };
  collect(storage.tables, 'name');
  for (const list of ['indices', 'uniques', 'checks', 'exclusions', 'foreignKeys']) collect(storage[list], 'name');
  collect(storage.joinColumns, 'foreignKeyConstraintName');
  collect(storage.joinColumns, 'primaryKeyConstraintName');
  collect(storage.columns, 'primaryKeyConstraintName', 'options');
  collect(storage.columns, 'foreignKeyConstraintName', 'options');
  named = found;
  return found;
}

/**
 * Prefixes the library's table, index and constraint names (e.g. `fabric_` → `fabric_users`).
 * Call it before any DataSource that holds the library's entities is initialised; DataSources
 * already initialised keep the names they were built with. `''` restores the plain names.
 *
 * @publicApi
 */
export function setFabricAuthTablePrefix(prefix: string): void {
  const problem = tablePrefixProblem(prefix);
  if (problem) throw new Error(`nestjs-fabric-auth table prefix ${JSON.stringify(prefix)}: ${problem}`);
  for (const { holder, field, base } of ourNamedArgs()) holder[field] = prefix + base;
  current = prefix;
}

/**
 * The prefix set by `setFabricAuthTablePrefix` (or the module); `''` by default.
 *
 * @publicApi
 */
export function fabricAuthTablePrefix(): string {
  return current;
}
