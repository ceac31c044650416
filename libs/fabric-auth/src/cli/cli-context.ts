import { existsSync } from 'node:fs';
import { type INestApplicationContext, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { fabricAuthOptionsFromTree, readFabricConfigTree } from '../config/fabric-config.loader.js';
import { FABRIC_AUTH_ENTITIES } from '../entities.js';
import { FabricAuthModule } from '../fabric-auth.module.js';
import type { ResolvedFabricAuthOptions } from '../fabric-auth.options.js';
import { fabricAuthMigrations } from '../migrations/index.js';
import type { FabricNotification, FabricNotifier } from '../notifications/notifier.js';
import { setFabricAuthTablePrefix } from '../storage/table-prefix.js';

/** A refusal the CLI prints as one line and exits non-zero for. */
export class CliError extends Error {}

export interface CliGlobals {
  config?: string;
  database?: string;
}

export interface CliEnvironment {
  options: ResolvedFabricAuthOptions;
  database: DataSourceOptions;
}

/** `postgres://…` (or `postgresql://`), else a SQLite file path — as the demo reads `DATABASE_URL`. */
function databaseFrom(url: string | undefined): DataSourceOptions {
  if (!url) throw new CliError('no database: set DATABASE_URL (postgres://… or a SQLite file path) or pass --database');
  const common = { entities: [...FABRIC_AUTH_ENTITIES] as Function[], logging: false };
  if (/^postgres(ql)?:\/\//i.test(url)) return { ...common, type: 'postgres', url, migrations: fabricAuthMigrations('postgres') };
  return { ...common, type: 'better-sqlite3', database: url, migrations: fabricAuthMigrations('better-sqlite3'), timeout: 5000 };
}

/**
 * The app's config file (`--config`, else `CONFIG_FILE`) with `FABRIC_AUTH__…`/`FABRIC_SERVER__…`
 * overrides, and `DATABASE_URL`. Seeding is off in the CLI, so no admin password is needed
 * unless a command creates the admin.
 */
export function cliEnvironment(globals: CliGlobals, env: NodeJS.ProcessEnv = process.env): CliEnvironment {
  const file = globals.config ?? env.CONFIG_FILE;
  if (file && !existsSync(file)) throw new CliError(`config file ${file} does not exist`);
  const tree = readFabricConfigTree({ file, env });
  const auth = { ...((tree.auth as Record<string, unknown> | undefined) ?? {}), seed_system_admin: false };
  const options = fabricAuthOptionsFromTree({ ...tree, auth });
  setFabricAuthTablePrefix(options.tablePrefix);
  return { options, database: databaseFrom(globals.database ?? env.DATABASE_URL) };
}

/** Opens the database alone (for `migrate`). */
export async function openDataSource(environment: CliEnvironment): Promise<DataSource> {
  return new DataSource(environment.database).initialize();
}

/** Prints activation and reset links, since the CLI has no mailer. */
class PrintingNotifier implements FabricNotifier {
  async send(notification: FabricNotification): Promise<void> {
    process.stdout.write(`${notification.purpose} link for ${notification.user.username}: ${notification.link}\n`);
  }
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
      TypeOrmModule.forRoot({ ...environment.database, entities: undefined, autoLoadEntities: true, migrationsRun: false } as never),
      FabricAuthModule.forRoot({
        ...environment.options,
        notifier: PrintingNotifier,
        controllers: { auth: false, users: false, roles: false, audit: false, apiKeys: false, serviceAccounts: false, oidc: false },
      }),
    ],
  })
  class CliModule {}
  Logger.overrideLogger(['error']);
  return NestFactory.createApplicationContext(CliModule, { logger: ['error'], abortOnError: false });
}
