import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication, Provider, Type } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import {
  FabricConfigError,
  FABRIC_NOTIFIER,
  type FabricAuthFeatureName,
  type FabricAuthOptions,
  FabricClock,
  type FabricHttpHardeningOptions,
  type FabricNotification,
  RolesService,
  UsersService,
} from 'nestjs-fabric-auth';
import { resolveFabricAuthOptions } from '../../libs/fabric-auth/src/options/resolve-options.js';
import type { FabricInvitationNotification } from '../../libs/fabric-auth/src/core/ports/notifier.js';
import type { UserEntity } from 'nestjs-fabric-auth/entities';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { DemoAppModule } from '../../apps/demo/src/app.module.js';
import type { DatabaseChoice } from '../../apps/demo/src/demo-config.js';
import { configureHttp } from '../../apps/demo/src/http-setup.js';
import { createScratchDatabase } from './postgres.js';
import { TestClock } from './test-clock.js';

export const DATABASE_KINDS = ['sqlite', 'postgres'] as const;
export type DatabaseKind = (typeof DATABASE_KINDS)[number];
export const ADAPTERS = ['express', 'fastify'] as const;
export type AdapterKind = (typeof ADAPTERS)[number];
/** One cell of the e2e matrix: `sqlite/express`, `postgres/fastify`, … */
export type TestTarget = `${DatabaseKind}/${AdapterKind}`;

/** `FABRIC_TEST_ADAPTERS=express` (or `fastify`) narrows the matrix for a quick local run; CI runs both. */
function selectedAdapters(): readonly AdapterKind[] {
  const wanted = process.env.FABRIC_TEST_ADAPTERS?.split(',').map((a) => a.trim());
  return wanted ? ADAPTERS.filter((a) => wanted.includes(a)) : ADAPTERS;
}

/**
 * The matrix every e2e suite runs on with `describe.each(DATABASES)`: each database on each
 * HTTP adapter. Pass the cell to `startTestApp`/`scratchDatabase`; `databaseOf(target)` and
 * `adapterOf(target)` name its parts. Suites that never serve HTTP use `DATABASE_KINDS`.
 */
export const DATABASES: readonly TestTarget[] = selectedAdapters().flatMap((adapter) => DATABASE_KINDS.map((db): TestTarget => `${db}/${adapter}`));

export function databaseOf(target: TestTarget | DatabaseKind): DatabaseKind {
  return target.split('/')[0] as DatabaseKind;
}

export function adapterOf(target: TestTarget | DatabaseKind): AdapterKind {
  return (target.split('/')[1] as AdapterKind | undefined) ?? 'express';
}

export const TEST_SECRET = 'test-secret-5f1c9a7e2b8d4c6f0a3e9b7d1c5f8a2e';
export const ADMIN_PASSWORD = 'Adm1n-test-password!';
export const API = '/api/v1';

export const TEST_OPTIONS: FabricAuthOptions = {
  secretKey: TEST_SECRET,
  systemAdminPassword: ADMIN_PASSWORD,
  secureCookies: false,
  // Functional suites send bursts from one address; test/limits turns the limits on.
  rateLimits: false,
  permissions: ['reports:read'],
  roles: {
    viewer: ['reports:read', 'users:list', 'users:read'],
    auditor: ['audit:read'],
    user_admin: ['users:list', 'users:read', 'users:create', 'users:modify', 'users:deactivate'],
    role_admin: ['roles:read', 'roles:manage', 'users:list', 'users:read'],
  },
};

export interface ScratchDatabase {
  choice: DatabaseChoice;
  drop(): Promise<void>;
}

export async function scratchDatabase(target: TestTarget | DatabaseKind): Promise<ScratchDatabase> {
  if (databaseOf(target) === 'postgres') {
    const db = await createScratchDatabase();
    return { choice: { type: 'postgres', url: db.url }, drop: db.drop };
  }
  const dir = mkdtempSync(join(tmpdir(), 'fabric-sqlite-'));
  return {
    choice: { type: 'better-sqlite3', database: join(dir, 'test.sqlite') },
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface TestApp {
  app: INestApplication;
  http: ReturnType<typeof request>;
  /** `http://127.0.0.1:<port>`, for clients other than supertest (fetch, a browser). */
  url: string;
  /** The origin a browser using this app is on: `publicBaseUrl`'s, else `http://localhost:<port>` (what passkey ceremonies expect). */
  origin: string;
  clock: TestClock;
  dataSource: DataSource;
  users: UsersService;
  /** Every activation and reset message the app sent, newest last. */
  notifications: FabricNotification[];
  /** Every organization invitation the app sent, newest last. */
  invitations: FabricInvitationNotification[];
  /**
   * The next message to `userId` sent after this call (a reset link leaves after the 202, once
   * its transaction commits): waits for it, generously, as the box may be slow.
   */
  nextNotification(userId: string, purpose?: FabricNotification['purpose']): Promise<FabricNotification>;
  database: ScratchDatabase;
  close(): Promise<void>;
  /** A fresh user with a unique name; `password` defaults to a policy-compliant one. */
  createUser(spec?: { roles?: string[]; password?: string; prefix?: string }): Promise<{ user: UserEntity; password: string }>;
  login(username: string, password: string): Promise<TokenAnswer>;
  /** Bearer token of a fresh user holding the given roles. */
  actor(roles?: string[]): Promise<{ user: UserEntity; password: string; token: string }>;
  /** Bearer token of the system admin. */
  adminToken(): Promise<string>;
}

export interface TokenAnswer {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

let userCounter = 0;

export async function startTestApp(
  target: TestTarget | DatabaseKind,
  settings: {
    options?: Partial<FabricAuthOptions>;
    registration?: 'sync' | 'async';
    port?: number;
    /** Runs on the scratch database before the app starts (e.g. to create the host app's own tables). */
    prepare?: (database: DatabaseChoice) => Promise<void>;
    /** A database another test app already uses (a second instance); the caller drops it. */
    sharedDatabase?: ScratchDatabase;
    /** Host-app controllers served beside the demo's. */
    controllers?: Type[];
    /** Host-app providers beside the demo's (an `@OnFabricEvent` handler). */
    providers?: Provider[];
    /** Options of `applyFabricHttpHardening` (short server timeouts, a short drain). */
    http?: FabricHttpHardeningOptions;
    /** The library's features to load (default all). */
    features?: readonly FabricAuthFeatureName[];
    /** Replaces providers before the app compiles (e.g. a port bound to another implementation). */
    override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  } = {},
): Promise<TestApp> {
  if (settings.sharedDatabase) return startOn(settings.sharedDatabase, target, settings);
  const database = await scratchDatabase(target);
  try {
    await settings.prepare?.(database.choice);
    return await startOn(database, target, settings);
  } catch (error) {
    await database.drop();
    throw error;
  }
}

async function startOn(database: ScratchDatabase, target: TestTarget | DatabaseKind, settings: Parameters<typeof startTestApp>[1] & object): Promise<TestApp> {
  const clock = new TestClock();
  const notifications: FabricNotification[] = [];
  const invitations: FabricInvitationNotification[] = [];
  const options = resolveFabricAuthOptions({ ...TEST_OPTIONS, ...settings.options });
  const builder = Test.createTestingModule({
    imports: [
      DemoAppModule.register({ port: 0, configFile: undefined, options, database: database.choice, devNotices: [], features: settings.features }, settings.registration ?? 'async'),
    ],
    controllers: settings.controllers ?? [],
    providers: settings.providers ?? [],
  })
    .overrideProvider(FabricClock)
    .useValue(clock)
    .overrideProvider(FABRIC_NOTIFIER)
    .useValue({ send: async (n: FabricNotification) => void notifications.push(n), sendInvitation: async (n: FabricInvitationNotification) => void invitations.push(n) });
  const moduleRef = await (settings.override ? settings.override(builder) : builder).compile();
  const app: INestApplication =
    adapterOf(target) === 'fastify'
      ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: ['error'] })
      : moduleRef.createNestApplication({ bodyParser: false, logger: ['error'] });
  configureHttp(app, settings.http);
  try {
    await app.listen(settings.port ?? 0, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const http = request(app.getHttpServer());
  const users = app.get(UsersService);
  const port = (app.getHttpServer().address() as { port: number }).port;
  const testApp: TestApp = {
    app,
    http,
    url: `http://127.0.0.1:${port}`,
    origin: new URL(options.publicBaseUrl ?? `http://localhost:${port}`).origin,
    clock,
    dataSource: app.get(DataSource),
    users,
    notifications,
    invitations,
    nextNotification(userId, purpose) {
      const matches = (n: FabricNotification) => n.user.id === userId && (purpose === undefined || n.purpose === purpose);
      const seen = notifications.filter(matches).length;
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const check = () => {
          const found = notifications.filter(matches);
          if (found.length > seen) return resolve(found.at(-1)!);
          if (Date.now() - started > 15_000) return reject(new Error(`no notification for ${userId}`));
          setTimeout(check, 20);
        };
        check();
      });
    },
    database,
    async close() {
      await app.close();
      if (!settings.sharedDatabase) await database.drop();
    },
    async createUser(spec = {}) {
      const password = spec.password ?? 'Corr3ct-horse-battery';
      const username = `${spec.prefix ?? 'user'}${++userCounter}${process.pid}`;
      const user = await users.create({ username, email: `${username}@example.test`, password, roles: spec.roles });
      return { user, password };
    },
    async actor(roles = []) {
      const { user, password } = await testApp.createUser({ roles });
      return { user, password, token: (await testApp.login(user.username, password)).access_token };
    },
    async adminToken() {
      return (await testApp.login('admin', ADMIN_PASSWORD)).access_token;
    },
    async login(username, password) {
      const answer = await http.post(`${API}/auth/token`).type('form').send({ grant_type: 'password', username, password });
      if (answer.status !== 200) throw new Error(`login failed: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body as TokenAnswer;
    },
  };
  return testApp;
}

export { RolesService };

/** The problems a FabricConfigError stopping `start` names; it fails when the app starts or fails otherwise. */
export async function startupProblems(start: () => Promise<TestApp>): Promise<string[]> {
  try {
    const t = await start();
    await t.close();
  } catch (error) {
    if (error instanceof FabricConfigError) return error.problems;
    throw error;
  }
  throw new Error('the app started');
}
