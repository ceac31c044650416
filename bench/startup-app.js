// One process of the startup section (bench/startup.js): builds one app shape, listens, and
// prints {"ms": time from process start to listening, "rssMiB": resident memory after a GC}.
//   node --expose-gc bench/startup-app.js empty|host|minimal|minimal-no-openapi|minimal-restart|full
// `host` is the app a user adds FabricAuthModule to: Nest with TypeORM on SQLite (what the
// module needs in any case); `minimal` adds FabricAuthModule with the login feature only
// (`features: ['login']`), `minimal-no-openapi` the same without @nestjs/swagger
// (`openApi: false`), `minimal-restart` the same on the SQLite file BENCH_STARTUP_DATABASE that an
// earlier start created (its migrations ran and its system admin exists: what a restart does),
// `full` with every feature.
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

const app = await NestFactory.create(await appModule(), { logger: ['error'] });
await app.listen(0, '127.0.0.1');
const ms = performance.now();
const cpu = process.cpuUsage();
globalThis.gc?.();
const rssMiB = process.memoryUsage().rss / 2 ** 20;
process.stdout.write(`${JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, rssMiB })}\n`);
await app.close();
