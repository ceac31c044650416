import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CurrentPrincipal, FabricAuthModule, FabricGuard, type Principal, RequirePermission, UsersService } from 'nestjs-fabric-auth';
import { fabricAuthMigrations } from 'nestjs-fabric-auth/migrations';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, API, scratchDatabase, type ScratchDatabase, TEST_OPTIONS } from '../support/test-app.js';

@Controller('reports')
@UseGuards(FabricGuard)
class ReportsController {
  @Get()
  @RequirePermission('reports:read')
  list(@CurrentPrincipal() principal: Principal) {
    return { by: principal.username };
  }
}

/** The app's own auth module: the library is imported here only, not globally, and re-exported. */
@Module({ imports: [FabricAuthModule.forRoot({ ...TEST_OPTIONS, isGlobal: false })], controllers: [ReportsController], exports: [FabricAuthModule] })
class AuthModule {}

@Controller('admin-reports')
@UseGuards(FabricGuard)
class AdminReportsController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @RequirePermission('users:list')
  async list(@CurrentPrincipal() principal: Principal) {
    return { by: principal.username, admin: (await this.users.findByUsername('admin'))?.username };
  }
}

/** Another feature module that gets the guard and the services by importing AuthModule. */
@Module({ imports: [AuthModule], controllers: [AdminReportsController] })
class AdminModule {}

describe('isGlobal: false, imported into a feature module', () => {
  let db: ScratchDatabase | undefined;
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    await db?.drop();
    close = db = undefined;
  });

  it('guards the feature module’s controllers and those of modules importing it', async () => {
    db = await scratchDatabase('sqlite');
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: (db.choice as { database: string }).database,
          autoLoadEntities: true,
          migrations: fabricAuthMigrations('better-sqlite3'),
          migrationsRun: true,
        }),
        AuthModule,
        AdminModule,
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    close = () => app.close();
    const http = request(app.getHttpServer());
    expect((await http.get('/reports')).status).toBe(401);
    const login = await http.post(`${API}/auth/token`).send({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD });
    expect(login.status).toBe(200);
    const token = login.body.access_token as string;
    expect((await http.get('/reports').auth(token, { type: 'bearer' })).body).toEqual({ by: 'admin' });
    expect((await http.get('/admin-reports').auth(token, { type: 'bearer' })).body).toEqual({ by: 'admin', admin: 'admin' });
    expect((await http.get('/admin-reports')).status).toBe(401);
  });
});
