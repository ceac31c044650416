// One process of the startup section (bench/startup.js): builds one app shape, listens, and
// prints {"ms": time from process start to listening, "rssMiB": resident memory after a GC}.
//   node --expose-gc bench/startup-app.js empty|host|minimal|minimal-no-openapi|minimal-restart|full|better-auth|better-auth-restart
// `host` is the app a user adds FabricAuthModule to: Nest with TypeORM on SQLite (what the
// module needs in any case); `minimal` adds FabricAuthModule with the login feature only
// (`features: ['login']`), `minimal-no-openapi` the same without @nestjs/swagger
// (`openApi: false`), `minimal-restart` the same on the SQLite file BENCH_STARTUP_DATABASE that an
// earlier start created (its migrations ran and its system admin exists: what a restart does),
// `full` with every feature. `better-auth` is the peer issue 21 compares with, in the same empty
// app: Better Auth (email and password) on SQLite through better-sqlite3, its handler on the Nest
// app's Express instance, its migrations run before listening; `better-auth-restart` the same on
// the file BENCH_STARTUP_BETTER_AUTH_DATABASE that an earlier start set up, started as its docs
// have an app do (migrations are the CLI's job, not the app's). After the figures are taken, each
// Better Auth process signs up (or in, on a restart) and reads the session back: a peer that did
// not start would measure nothing, so it exits non-zero instead.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

const shape = process.argv[2];

// Plain JavaScript: decorators applied as functions.
class PingController {
  ping() {
    return { ok: true };
  }
}
Controller('ping')(PingController);
Get()(PingController.prototype, 'ping', Object.getOwnPropertyDescriptor(PingController.prototype, 'ping'));

function moduleOf(metadata) {
  const shaped = class {};
  Module(metadata)(shaped);
  return shaped;
}

async function appModule() {
  if (shape === 'empty') {
    return moduleOf({ controllers: [PingController] });
  }
  const { TypeOrmModule } = await import('@nestjs/typeorm');
  if (shape === 'host') {
    return moduleOf({ imports: [TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:' })], controllers: [PingController] });
  }
  const database = shape === 'minimal-restart' ? process.env.BENCH_STARTUP_DATABASE : ':memory:';
  const { FabricAuthModule } = await import('nestjs-fabric-auth');
  const { fabricAuthMigrations } = await import('nestjs-fabric-auth/migrations');
  return moduleOf({
    imports: [
      TypeOrmModule.forRoot({ type: 'better-sqlite3', database, autoLoadEntities: true, migrations: fabricAuthMigrations('better-sqlite3'), migrationsRun: true }),
      FabricAuthModule.forRoot({
        secretKey: 'bench-startup-secret-6c1e9a3f7b2d4e8a0c5f',
        systemAdminPassword: 'Bench-startup-passw0rd',
        ...(shape.startsWith('minimal') ? { features: ['login'] } : {}),
        ...(shape === 'minimal-no-openapi' || shape === 'minimal-restart' ? { openApi: false } : {}),
      }),
    ],
    controllers: [PingController],
  });
}

const BETTER_AUTH_USER = { email: 'bench-startup@example.test', password: 'Bench-startup-passw0rd', name: 'Bench' };

/** Better Auth set up as its docs say, its migrations run on a new database (a first start). */
async function betterAuth() {
  const { default: Database } = await import('better-sqlite3');
  const { betterAuth } = await import('better-auth');
  const database = new Database(shape === 'better-auth-restart' ? process.env.BENCH_STARTUP_BETTER_AUTH_DATABASE : ':memory:');
  const options = {
    database,
    secret: 'bench-startup-secret-6c1e9a3f7b2d4e8a0c5f',
    baseURL: 'http://127.0.0.1',
    emailAndPassword: { enabled: true },
    telemetry: { enabled: false },
    logger: { level: 'error' },
  };
  const auth = betterAuth(options);
  // The restart's database was set up by the bench's warm-up start of this shape, which finds no tables.
  const firstStart = !database.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'user'").get();
  if (firstStart) {
    const { getMigrations } = await import('better-auth/db/migration');
    await (await getMigrations(options)).runMigrations();
  }
  // betterAuth() starts its set-up at once and its handler awaits it: listen once it is done.
  await auth.$context;
  return { auth, firstStart };
}

/** Signs up (first start) or in (restart), then reads the session back with the cookie it got. */
async function checkBetterAuthAnswers(base, firstStart) {
  const res = await fetch(`${base}/api/auth/${firstStart ? 'sign-up' : 'sign-in'}/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1' },
    body: JSON.stringify(firstStart ? BETTER_AUTH_USER : { email: BETTER_AUTH_USER.email, password: BETTER_AUTH_USER.password }),
  });
  if (res.status !== 200) throw new Error(`Better Auth ${firstStart ? 'sign-up' : 'sign-in'}: ${res.status} ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
  const session = await (await fetch(`${base}/api/auth/get-session`, { headers: { cookie } })).json();
  if (session?.user?.email !== BETTER_AUTH_USER.email) throw new Error(`Better Auth get-session: ${JSON.stringify(session)}`);
}

const peer = shape.startsWith('better-auth') ? await betterAuth() : undefined;
const app = await NestFactory.create(peer ? moduleOf({ controllers: [PingController] }) : await appModule(), { logger: ['error'] });
if (peer) {
  const { toNodeHandler } = await import('better-auth/node');
  // Before listen: Nest adds its body parsers when it initialises, and Better Auth reads the raw body.
  app.getHttpAdapter().getInstance().all('/api/auth/*splat', toNodeHandler(peer.auth));
}
await app.listen(0, '127.0.0.1');
const ms = performance.now();
const cpu = process.cpuUsage();
globalThis.gc?.();
const rssMiB = process.memoryUsage().rss / 2 ** 20;
if (peer) await checkBetterAuthAnswers(await app.getUrl(), peer.firstStart);
process.stdout.write(`${JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, rssMiB })}\n`);
await app.close();
