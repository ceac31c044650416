import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/demo-process.js';
import { createScratchDatabase } from '../support/postgres.js';

// A host app of its own (not the demo), as a process in a clean directory: how does a refusal to start look?
const HOST_APP = String.raw`
import 'reflect-metadata';
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FabricAuthModule, RequirePermission, withFabricDatabaseRetry } from 'nestjs-fabric-auth';
import { fabricAuthMigrations } from 'nestjs-fabric-auth/migrations';

const scenario = process.env.SCENARIO;
class ReportsController { list() { return []; } }
const list = Object.getOwnPropertyDescriptor(ReportsController.prototype, 'list');
Get()(ReportsController.prototype, 'list', list);
RequirePermission('reports:read')(ReportsController.prototype, 'list', list);
Controller('reports')(ReportsController);
class Broken { constructor() { throw new TypeError('a bug in the host app'); } }
Injectable()(Broken);

const database = process.env.DATABASE_URL
  ? { type: 'postgres', url: process.env.DATABASE_URL, migrations: fabricAuthMigrations('postgres') }
  : { type: 'better-sqlite3', database: ':memory:', migrations: fabricAuthMigrations('better-sqlite3') };
class AppModule {}
Module({
  imports: [
    TypeOrmModule.forRootAsync(withFabricDatabaseRetry({ useFactory: () => ({ ...database, autoLoadEntities: true, migrationsRun: true }) }, { attempts: 2, delayMs: 200 })),
    FabricAuthModule.forRoot({
      secretKey: scenario === 'bad-config' ? 'short' : 'host-app-secret-7c2e9a4b1d6f3e8a0c5b',
      seedSystemAdmin: false,
      bcryptCost: 10,
      appPermissions: scenario === 'unregistered' ? undefined : ['reports:read'],
    }),
  ],
  controllers: [ReportsController],
  providers: scenario === 'bug' ? [Broken] : [],
})(AppModule);

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.listen(0, '127.0.0.1');
console.log('host app listening');
await app.close();
`;

function runHost(dir: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['main.mjs'], { cwd: dir, env: { PATH: process.env.PATH, NO_COLOR: '1', ...env } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

// Each case starts a Nest app as a process: as generous as the demo's process suites on a busy box.
const PROCESS_TIMEOUT = 90_000;

describe('a host app that cannot start', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fabric-host-'));
    // The workspace's packages, as an installed app sees them (nestjs-fabric-auth resolves to its build).
    symlinkSync(resolve('node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'main.mjs'), HOST_APP);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'starts when its code registers the permission its routes check (appPermissions)',
    async () => {
      const { code, output } = await runHost(dir, { SCENARIO: 'ok' });
      expect(output).toContain('host app listening');
      expect(code).toBe(0);
    },
    PROCESS_TIMEOUT,
  );

  it.each([
    ['an invalid option', 'bad-config', '  - auth.secret_key (secretKey): must be at least 32 characters'],
    [
      'a route permission nobody registered',
      'unregistered',
      '  - ReportsController.list: @RequirePermission("reports:read") names a permission that is not registered (register it in code with appPermissions',
    ],
  ])(
    'prints %s as one block, without stack frames or a problems dump, and exits 1',
    async (_, scenario, problem) => {
      const { code, output } = await runHost(dir, { SCENARIO: scenario });
      expect(code).toBe(1);
      expect(output).toContain(`ERROR [ExceptionHandler] Invalid nestjs-fabric-auth configuration:\n${problem}`);
      expect(output).not.toMatch(/\n\s+at |problems:|\^\n/);
      expect(output.trim().split('\n').length).toBeLessThanOrEqual(3);
    },
    PROCESS_TIMEOUT,
  );

  it(
    'keeps the stack trace of a real bug',
    async () => {
      const { code, output } = await runHost(dir, { SCENARIO: 'bug' });
      expect(code).toBe(1);
      expect(output).toContain('TypeError: a bug in the host app');
      expect(output).toMatch(/\n\s+at new Broken/);
    },
    PROCESS_TIMEOUT,
  );

  it(
    'says once that PostgreSQL is down, with the retry policy, then stops in one line',
    async () => {
      const { code, output } = await runHost(dir, { SCENARIO: 'ok', DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/host` });
      expect(code).toBe(1);
      expect(output.match(/is unreachable/g)).toHaveLength(2);
      expect(output).toContain('Retrying quietly (2 attempts, one every 0.2 s), then startup stops.');
      expect(output).toContain('Gave up after 2 attempts, one every 0.2 s.');
      expect(output).not.toMatch(/\n\s+at |Unable to connect to the database/);
    },
    PROCESS_TIMEOUT,
  );

  it(
    'starts on PostgreSQL through the same retry wrapper',
    async () => {
      const db = await createScratchDatabase();
      try {
        const { code, output } = await runHost(dir, { SCENARIO: 'ok', DATABASE_URL: db.url });
        expect(output).toContain('host app listening');
        expect(code).toBe(0);
      } finally {
        await db.drop();
      }
    },
    PROCESS_TIMEOUT,
  );
});
