// Throwaway Nest apps that install the packed library the way a team would: an app as
// `nest new` leaves it, then the install commands of the library README, as written, with
// npm, pnpm or Yarn.

import { readFileSync } from 'node:fs';

export type PackageManager = 'npm' | 'pnpm' | 'yarn';
type Setup = 'NestJS 12' | 'NestJS 11' | 'PostgreSQL' | 'SQLite' | 'Redis';

export interface ConsumerApp {
  name: string;
  packageManager: PackageManager;
  nest: 11 | 12;
  format: 'esm' | 'cjs';
  adapter: 'express' | 'fastify';
  database: 'postgres' | 'sqlite';
  /** Runs the README's Redis line and starts with `redisUrl`. */
  redis: boolean;
}

/** The workspace's better-sqlite3, so its compiled binary can be reused (see the suite). */
export const BETTER_SQLITE3 = '12.11.1';

// Between them the apps run every command of the README's install table: each package
// manager's NestJS 12, NestJS 11, PostgreSQL, SQLite and Redis line.
export const CONSUMER_APPS: ConsumerApp[] = [
  { name: 'npm-nest12-esm-express-postgres', packageManager: 'npm', nest: 12, format: 'esm', adapter: 'express', database: 'postgres', redis: true },
  { name: 'npm-nest12-esm-fastify-sqlite', packageManager: 'npm', nest: 12, format: 'esm', adapter: 'fastify', database: 'sqlite', redis: false },
  // As `nest new` made apps until this year: Nest 11, CommonJS.
  { name: 'npm-nest11-cjs-express-sqlite', packageManager: 'npm', nest: 11, format: 'cjs', adapter: 'express', database: 'sqlite', redis: false },
  { name: 'pnpm-nest12-esm-express-sqlite', packageManager: 'pnpm', nest: 12, format: 'esm', adapter: 'express', database: 'sqlite', redis: false },
  { name: 'pnpm-nest11-cjs-express-postgres', packageManager: 'pnpm', nest: 11, format: 'cjs', adapter: 'express', database: 'postgres', redis: true },
  { name: 'yarn-nest12-cjs-express-postgres', packageManager: 'yarn', nest: 12, format: 'cjs', adapter: 'express', database: 'postgres', redis: true },
  { name: 'yarn-nest11-esm-express-sqlite', packageManager: 'yarn', nest: 11, format: 'esm', adapter: 'express', database: 'sqlite', redis: false },
];

/**
 * The install table of the library README (between `<!-- install-lines -->` markers):
 * setup → package manager → command, exactly as a reader copies it.
 */
export function readmeInstallLines(readmePath: string): Map<Setup, Record<PackageManager, string>> {
  const readme = readFileSync(readmePath, 'utf8');
  const table = /<!-- install-lines -->\n([\s\S]*?)<!-- \/install-lines -->/.exec(readme)?.[1];
  if (!table) throw new Error(`${readmePath} has no <!-- install-lines --> table`);
  const rows = table.trim().split('\n').slice(2);
  const lines = new Map<Setup, Record<PackageManager, string>>();
  for (const row of rows) {
    const cells = row
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    const commands = cells.slice(1).map((c) => /^`([^`]+)`$/.exec(c)?.[1]);
    if (cells.length !== 4 || commands.some((c) => c === undefined)) throw new Error(`install table row is not "setup | \`npm\` | \`pnpm\` | \`yarn\`": ${row}`);
    lines.set(cells[0] as Setup, { npm: commands[0]!, pnpm: commands[1]!, yarn: commands[2]! });
  }
  return lines;
}

/** The README commands an app runs, in order: its NestJS line, its database line, the Redis line. */
export function installCommandsOf(app: ConsumerApp, lines: Map<Setup, Record<PackageManager, string>>): string[] {
  const setups: Setup[] = [app.nest === 12 ? 'NestJS 12' : 'NestJS 11', app.database === 'postgres' ? 'PostgreSQL' : 'SQLite', ...(app.redis ? (['Redis'] as const) : [])];
  return setups.map((setup) => {
    const command = lines.get(setup)?.[app.packageManager];
    if (!command) throw new Error(`the README's install table has no ${app.packageManager} line for ${setup}`);
    return command;
  });
}

/**
 * What `nest new` leaves in package.json (framework, TypeScript), before the README's lines
 * run; a Fastify app swaps the Express platform for Fastify's.
 */
export function packageJsonOf(app: ConsumerApp): string {
  const nest = app.nest === 12 ? '^12.5.0' : '^11.1.0';
  return JSON.stringify(
    {
      name: app.name,
      private: true,
      version: '0.0.0',
      ...(app.format === 'esm' ? { type: 'module' } : {}),
      dependencies: {
        '@nestjs/common': nest,
        '@nestjs/core': nest,
        [`@nestjs/platform-${app.adapter}`]: nest,
        'reflect-metadata': '^0.2.2',
        rxjs: '^7.8.1',
      },
      devDependencies: { typescript: app.nest === 12 ? '~6.0.3' : '~5.9.2', '@types/node': '^20.19.0', '@types/express': '^5.0.0' },
    },
    null,
    2,
  );
}

export const PERMISSIONS = ['reports:read'];

/** The app's source files, written the way the README tells a user to. */
export function sourcesOf(app: ConsumerApp): Record<string, string> {
  const database =
    app.database === 'postgres'
      ? `{ type: 'postgres', url: process.env.DATABASE_URL, migrations: fabricAuthMigrations('postgres') }`
      : `{ type: 'better-sqlite3', database: process.env.DATABASE_URL!, migrations: fabricAuthMigrations('better-sqlite3') }`;
  const fastify = app.adapter === 'fastify';
  return {
    'tsconfig.json': JSON.stringify(
      {
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'ES2023',
          outDir: './dist',
          rootDir: './src',
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          strict: true,
          esModuleInterop: true,
          skipLibCheck: true,
          types: ['node'],
        },
        include: ['src'],
      },
      null,
      2,
    ),
    'src/reports.controller.ts': `import { Controller, Get, Post } from '@nestjs/common';
import { CurrentPrincipal, type Principal, Public, RequirePermission } from 'nestjs-fabric-auth';

@Controller()
export class ReportsController {
  @Get('health')
  @Public()
  health() {
    return { status: 'ok' };
  }

  @Get('reports')
  @RequirePermission('reports:read')
  list(@CurrentPrincipal() principal: Principal) {
    return { for: principal.username, via: principal.authMethod };
  }

  @Post('reports')
  @RequirePermission('reports:read')
  create(@CurrentPrincipal() principal: Principal) {
    return { created_by: principal.username };
  }
}
`,
    'src/app.module.ts': `import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FabricAuthModule, FabricGuard } from 'nestjs-fabric-auth';
import { fabricAuthMigrations } from 'nestjs-fabric-auth/migrations';
import { ReportsController } from './reports.controller.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    TypeOrmModule.forRoot({ ...${database}, autoLoadEntities: true, migrationsRun: true }),
    FabricAuthModule.forRoot({
      secretKey: process.env.FABRIC_SECRET!,
      systemAdminPassword: process.env.FABRIC_ADMIN_PASSWORD!,
      permissions: ${JSON.stringify(PERMISSIONS)},
      roles: { reader: ['reports:read'] },
      secureCookies: false,${app.redis ? `\n      redisUrl: process.env.REDIS_URL!,\n      redisKeyPrefix: process.env.REDIS_KEY_PREFIX!,` : ''}
    }),
  ],
  controllers: [ReportsController],
  providers: [{ provide: APP_GUARD, useClass: FabricGuard }],
})
export class AppModule {}
`,
    'src/server.ts': `import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
${fastify ? `import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';\n` : ''}import { applyFabricHttpHardening } from 'nestjs-fabric-auth';
import { AppModule } from './app.module.js';

export async function start() {
  ${
    fastify
      ? `const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), { logger: ['error', 'warn'] });`
      : `const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });`
  }
  applyFabricHttpHardening(app);
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}
`,
    'src/main.ts': `import { start } from './server.js';

start().then(({ url }) => console.log('LISTENING ' + url.replace('[::1]', '127.0.0.1')));
`,
    // The testing entry point, as a team's own e2e test would use it.
    'src/credential-check.ts': `import { UserEntity } from 'nestjs-fabric-auth/entities';
import { createTestCredential } from 'nestjs-fabric-auth/testing';
import { start } from './server.js';

async function main() {
  const { app, url } = await start();
  const reader = await createTestCredential(app, { permissions: ['reports:read'] });
  const nobody = await createTestCredential(app);
  const statuses = [];
  for (const credential of [reader, nobody]) statuses.push((await fetch(url + '/reports', { headers: credential.headers })).status);
  // The entity the services return is the class the /entities subpath exports (one copy of the module).
  console.log('STATUSES ' + JSON.stringify({ statuses, permissions: [...reader.principal.permissions], oneUserEntity: reader.user instanceof UserEntity }));
  await app.close();
}
main();
`,
  };
}
