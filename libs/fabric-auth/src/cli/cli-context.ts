import { existsSync } from 'node:fs';
import { type INestApplicationContext, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { BUILT_IN_PERMISSIONS } from '../access/permissions/permission-registry.js';
import { fabricAuthOptionsFromTree, readFabricConfigTree } from '../options/fabric-config.loader.js';
import { FABRIC_AUTH_ENTITIES } from '../schema/entities.js';
import { FabricAuthModule } from '../fabric-auth.module.js';
import { FabricConfigError } from '../options/fabric-config.error.js';
import { type ResolvedFabricAuthOptions } from '../options/fabric-auth.options.js';
import { fabricAuthMigrations } from '../schema/migrations/index.js';
import type { FabricNotification, FabricNotifier } from '../core/ports/notifier.js';
import { DATABASE_URL_FORMS, parseDatabaseUrl } from '../data/database-url.js';
import { notListeningBaseUrl } from '../options/public-base-url.js';
import { setFabricAuthTablePrefix } from '../schema/table-prefix.js';
import { CliError } from './cli-error.js';

export { CliError };

export interface CliGlobals {
  config?: string;
  database?: string;
}

export interface CliEnvironment {
  options: ResolvedFabricAuthOptions;
  database: DataSourceOptions;
}

/** `DATABASE_URL` (or `--database`) read as the demo reads it: never guessed. */
function databaseFrom(url: string | undefined, name: string): DataSourceOptions {
  if (!url) throw new CliError(`no database: set DATABASE_URL (${DATABASE_URL_FORMS}) or pass --database`);
  const choice = parseDatabaseUrl(url, name);
  const common = { entities: [...FABRIC_AUTH_ENTITIES], logging: false };
  if (choice.type === 'postgres') return { ...common, type: 'postgres', url: choice.url, migrations: fabricAuthMigrations('postgres') };
  return { ...common, type: 'better-sqlite3', database: choice.database, migrations: fabricAuthMigrations('better-sqlite3'), timeout: 5000 };
}

/** Read when neither `--config` nor `CONFIG_FILE` names a file, as an app reads `config.yaml` from its folder. */
export const DEFAULT_CLI_CONFIG_FILE = 'config.yaml';

/**
 * The app's config file (`--config`, else `CONFIG_FILE`, else `./config.yaml` when there is one)
 * with `FABRIC_AUTH__…`/`FABRIC_SERVER__…` overrides, and `DATABASE_URL`. Seeding is off in the
 * CLI, so no admin password is needed unless a command creates the admin. A configuration
 * problem says which file was read, or that none was.
 */
export function cliEnvironment(globals: CliGlobals, env: NodeJS.ProcessEnv = process.env): CliEnvironment {
  const file = globals.config ?? env.CONFIG_FILE ?? (existsSync(DEFAULT_CLI_CONFIG_FILE) ? DEFAULT_CLI_CONFIG_FILE : undefined);
  if (file && !existsSync(file)) throw new CliError(`config file ${file} does not exist`);
  const source = file ? `config file read: ${file}` : `no config file read: none given with --config or CONFIG_FILE, and no ./${DEFAULT_CLI_CONFIG_FILE} in ${process.cwd()}`;
  let options: ResolvedFabricAuthOptions;
  try {
    options = optionsFrom(file, env);
  } catch (error) {
    if (error instanceof FabricConfigError) throw new CliError(`invalid configuration: ${error.problems.join('; ')} (${source})`);
    throw error;
  }
  const database = globals.database !== undefined ? databaseFrom(globals.database, '--database') : databaseFrom(env.DATABASE_URL, 'DATABASE_URL');
  return { options, database };
}

function optionsFrom(file: string | undefined, env: NodeJS.ProcessEnv): ResolvedFabricAuthOptions {
  const tree = readFabricConfigTree({ file, env });
  const auth: Record<string, unknown> = { ...((tree.auth as Record<string, unknown> | undefined) ?? {}), seed_system_admin: false };
  // The app registers its own permissions in code (appPermissions), which the CLI does not load:
  // what the roles grant is taken as registered here; the app's startup checks the names.
  const roles = auth.roles;
  if (roles && typeof roles === 'object' && !Array.isArray(roles)) {
    const granted = Object.values(roles).flatMap((p) => (Array.isArray(p) ? p.filter((x): x is string => typeof x === 'string') : []));
    const declared = Array.isArray(auth.permissions) ? (auth.permissions as unknown[]) : [];
    auth.permissions = [...new Set([...declared, ...granted.filter((p) => !(BUILT_IN_PERMISSIONS as readonly string[]).includes(p))])];
  }
  const options = fabricAuthOptionsFromTree({ ...tree, auth });
  setFabricAuthTablePrefix(options.tablePrefix);
  return options;
}

/** Opens the database alone (for `migrate`). */
export async function openDataSource(environment: CliEnvironment): Promise<DataSource> {
  return new DataSource(environment.database).initialize();
}

/**
 * Prints activation and reset links, since the CLI has no mailer. Without `auth.public_base_url`
 * the link's base is a guess (the CLI listens nowhere): it says so on stderr, with the fix.
 */
function printingNotifier(options: ResolvedFabricAuthOptions): new () => FabricNotifier {
  const guess = options.publicBaseUrl
    ? undefined
    : `auth.public_base_url is not set: the link assumes the app at ${notListeningBaseUrl()} (PORT, else 3000); set auth.public_base_url to where people reach it\n`;
  return class PrintingNotifier implements FabricNotifier {
    async send(notification: FabricNotification): Promise<void> {
      process.stdout.write(`${notification.purpose} link for ${notification.user.username}: ${notification.link}\n`);
      if (guess) process.stderr.write(guess);
    }
  };
}

/**
 * The library as the app runs it (same services, rules, audit, Redis), without HTTP: every
 * command goes through the code paths the endpoints use.
 */
export async function openFabric(environment: CliEnvironment): Promise<INestApplicationContext> {
  const dataSource = await openDataSource(environment);
  try {
    if (await dataSource.showMigrations()) {
      throw new CliError('the database has pending nestjs-fabric-auth migrations; run `nestjs-fabric-auth migrate` first');
    }
  } finally {
    await dataSource.destroy();
  }
  @Module({
    imports: [
      TypeOrmModule.forRoot({ ...environment.database, entities: undefined, autoLoadEntities: true, migrationsRun: false }),
      FabricAuthModule.forRoot({
        ...environment.options,
        notifier: printingNotifier(environment.options),
        // The commands call the users feature and the core; MFA is loaded for its credential-change
        // hook, so that a password set here voids pending second factors as the endpoint does (SEC-111).
        features: ['users', 'mfa'],
        controllers: { users: false, mfa: false },
        // No command serves organizations or the console: off here whatever the file says (startup would otherwise refuse the option on with the feature not loaded).
        organizations: { ...environment.options.organizations, enabled: false },
        console: { ...environment.options.console, enabled: false },
      }),
    ],
  })
  class CliModule {}
  Logger.overrideLogger(['error']);
  return NestFactory.createApplicationContext(CliModule, { logger: ['error'], abortOnError: false });
}
