// Throwaway Nest apps that install the packed library the way a team would: each lists only
// what an ordinary Nest + TypeORM app has (its framework, its database driver, TypeScript)
// plus the tarball; the library's peers come with it (npm ≥ 7).

export interface ConsumerApp {
  name: string;
  nest: 11 | 12;
  format: 'esm' | 'cjs';
  adapter: 'express' | 'fastify';
  database: 'postgres' | 'sqlite';
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

/** The workspace's better-sqlite3, so its compiled binary can be reused (see the suite). */
export const BETTER_SQLITE3 = '12.11.1';

const NEST_12 = {
  '@nestjs/common': '^12.5.0',
  '@nestjs/core': '^12.5.0',
  'reflect-metadata': '^0.2.2',
  rxjs: '^7.8.1',
  '@nestjs/typeorm': '^12.0.0',
  typeorm: '^1.1.1',
  'class-validator': '^0.15.1',
  'class-transformer': '^0.5.1',
};
const DEV_12 = { typescript: '~6.0.3', '@types/node': '^20.19.0', '@types/express': '^5.0.0' };

export const CONSUMER_APPS: ConsumerApp[] = [
  {
    name: 'nest12-esm-express-postgres',
    nest: 12,
    format: 'esm',
    adapter: 'express',
    database: 'postgres',
    dependencies: { ...NEST_12, '@nestjs/platform-express': '^12.5.0', pg: '^8.13.0' },
    devDependencies: DEV_12,
  },
  {
    name: 'nest12-esm-fastify-sqlite',
    nest: 12,
    format: 'esm',
    adapter: 'fastify',
    database: 'sqlite',
    // Nest's FastifyAdapter parses form bodies itself: no @fastify/formbody.
    dependencies: { ...NEST_12, '@nestjs/platform-fastify': '^12.5.0', 'better-sqlite3': BETTER_SQLITE3 },
    devDependencies: DEV_12,
  },
  {
    name: 'nest12-cjs-express-sqlite',
    nest: 12,
    format: 'cjs',
    adapter: 'express',
    database: 'sqlite',
    dependencies: { ...NEST_12, '@nestjs/platform-express': '^12.5.0', 'better-sqlite3': BETTER_SQLITE3 },
    devDependencies: DEV_12,
  },
  {
    // As `nest new` made apps until this year: Nest 11, TypeORM 0.3, class-validator 0.14, CommonJS.
    name: 'nest11-cjs-express-sqlite',
    nest: 11,
    format: 'cjs',
    adapter: 'express',
    database: 'sqlite',
    dependencies: {
      '@nestjs/common': '^11.1.0',
      '@nestjs/core': '^11.1.0',
      '@nestjs/platform-express': '^11.1.0',
      'reflect-metadata': '^0.2.2',
      rxjs: '^7.8.1',
      '@nestjs/typeorm': '^11.0.0',
      typeorm: '^0.3.20',
      'class-validator': '^0.14.1',
      'class-transformer': '^0.5.1',
      'better-sqlite3': BETTER_SQLITE3,
      // npm picks the newest release of a peer; on Nest 11 the README has users install these two.
      '@nestjs/passport': '^11.0.0',
      '@nestjs/swagger': '^11.0.0',
    },
    devDependencies: { typescript: '~5.9.2', '@types/node': '^20.19.0', '@types/express': '^5.0.0' },
  },
];

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
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FabricAuthModule, FabricGuard, fabricAuthMigrations } from 'nestjs-fabric-auth';
import { ReportsController } from './reports.controller.js';

@Module({
  imports: [
    TypeOrmModule.forRoot({ ...${database}, autoLoadEntities: true, migrationsRun: true }),
    FabricAuthModule.forRoot({
      secretKey: process.env.FABRIC_SECRET!,
      systemAdminPassword: process.env.FABRIC_ADMIN_PASSWORD!,
      permissions: ${JSON.stringify(PERMISSIONS)},
      roles: { reader: ['reports:read'] },
      secureCookies: false,
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
    'src/credential-check.ts': `import { createTestCredential } from 'nestjs-fabric-auth/testing';
import { start } from './server.js';

async function main() {
  const { app, url } = await start();
  const reader = await createTestCredential(app, { permissions: ['reports:read'] });
  const nobody = await createTestCredential(app);
  const statuses = [];
  for (const credential of [reader, nobody]) statuses.push((await fetch(url + '/reports', { headers: credential.headers })).status);
  console.log('STATUSES ' + JSON.stringify({ statuses, permissions: [...reader.principal.permissions] }));
  await app.close();
}
main();
`,
  };
}

export function packageJsonOf(app: ConsumerApp, tarball: string): string {
  return JSON.stringify(
    {
      name: app.name,
      private: true,
      version: '0.0.0',
      ...(app.format === 'esm' ? { type: 'module' } : {}),
      dependencies: { ...app.dependencies, 'nestjs-fabric-auth': `file:${tarball}` },
      devDependencies: app.devDependencies,
    },
    null,
    2,
  );
}
