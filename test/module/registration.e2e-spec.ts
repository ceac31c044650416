import { Controller, Get, Module, type Provider, type Type, UseGuards } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CurrentPrincipal, FabricAuthModule, FabricConfigError, FabricGuard, type Principal, Public, RequirePermission } from 'nestjs-fabric-auth';
import { fabricAuthMigrations } from 'nestjs-fabric-auth/migrations';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, API, DATABASES, scratchDatabase, type ScratchDatabase, startTestApp, TEST_OPTIONS, type TestApp } from '../support/test-app.js';

describe.each(DATABASES)('FabricAuthModule registration on %s', (kind) => {
  describe.each(['sync', 'async'] as const)('%s', (registration) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(kind, { registration });
    });
    afterAll(() => t?.close());

    it('logs in and serves /auth/me', async () => {
      const tokens = await t.login('admin', ADMIN_PASSWORD);
      const me = await t.http.get(`${API}/auth/me`).auth(tokens.access_token, { type: 'bearer' });
      expect(me.status).toBe(200);
      expect(me.body.username).toBe('admin');
    });
  });
});

@Controller('reports')
@UseGuards(FabricGuard)
class ReportsController {
  @Get()
  @RequirePermission('reports:read')
  list(@CurrentPrincipal() principal: Principal) {
    return { by: principal.username };
  }
}

@Controller('open')
class OpenController {
  @Get()
  @Public()
  open() {
    return { open: true };
  }

  @Get('closed')
  closed() {
    return { open: false };
  }
}

@Module({ controllers: [ReportsController] })
class ReportsModule {}

describe('a host app with its own feature module, a custom prefix and only the auth controller', () => {
  let db: ScratchDatabase;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    db = await scratchDatabase('sqlite');
  });
  afterEach(async () => {
    await close?.();
    close = undefined;
  });
  afterAll(() => db?.drop());

  async function boot(options: object, extras: object = {}, database = (db.choice as { database: string }).database, providers: Provider[] = [], controllers: Type[] = []) {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database,
          retryAttempts: 0,
          autoLoadEntities: true,
          migrations: fabricAuthMigrations('better-sqlite3'),
          migrationsRun: true,
        }),
        FabricAuthModule.forRoot({ ...TEST_OPTIONS, ...options, ...extras }),
        ReportsModule,
      ],
      providers,
      controllers,
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    close = () => app.close();
    return request(app.getHttpServer());
  }

  it('mounts the auth routes under the prefix and guards a controller of another module', async () => {
    const http = await boot({}, { routePrefix: 'auth-api/v2' });
    expect((await http.post(`${API}/auth/token`).send({ grant_type: 'password' })).status).toBe(404);
    const login = await http.post('/auth-api/v2/auth/token').send({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD });
    expect(login.status).toBe(200);
    expect((await http.get('/reports')).status).toBe(401);
    const res = await http.get('/reports').auth(login.body.access_token, { type: 'bearer' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ by: 'admin' });
  });

  it('works as a global APP_GUARD, with @Public() opting a route out', async () => {
    const http = await boot({}, {}, undefined, [{ provide: APP_GUARD, useClass: FabricGuard }], [OpenController]);
    expect((await http.get('/open/closed')).status).toBe(401);
    expect((await http.get('/open')).status).toBe(200);
    const login = await http.post(`${API}/auth/token`).send({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD });
    expect((await http.get('/open/closed').auth(login.body.access_token, { type: 'bearer' })).status).toBe(200);
    expect((await http.post(`${API}/auth/token`).send({ grant_type: 'nope' })).status).toBe(400);
  });

  it('can leave the auth controller out', async () => {
    const http = await boot({}, { controllers: { auth: false } });
    expect((await http.post(`${API}/auth/token`).send({ grant_type: 'password' })).status).toBe(404);
  });

  it('refuses to start on invalid options, naming the key', async () => {
    const failure = boot({ secretKey: 'too-short' }, {}, ':memory:');
    await expect(failure).rejects.toBeInstanceOf(FabricConfigError);
    await expect(failure).rejects.toThrow('auth.secret_key (secretKey): must be at least 32 characters');
  });
});
