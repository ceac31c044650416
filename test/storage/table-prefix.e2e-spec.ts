import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FABRIC_AUTH_ENTITIES, setFabricAuthTablePrefix } from 'nestjs-fabric-auth/entities';
import { FabricAuthModule } from 'nestjs-fabric-auth';
import { fabricAuthMigrations } from 'nestjs-fabric-auth/migrations';
import { Column, DataSource, type DataSourceOptions, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatabaseChoice } from '../../apps/demo/src/demo-config.js';
import { DATABASE_KINDS, scratchDatabase, type ScratchDatabase, startTestApp, type TestApp, TEST_OPTIONS } from '../support/test-app.js';

// A host app that already owns the names the library uses unprefixed, down to an index name.
@Entity('users')
@Index('idx_users_created_at', ['createdAt'])
class AppUser {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'varchar', length: 100 }) username!: string;
  @Column({ name: 'created_at', type: Date }) createdAt!: Date;
}
@Entity('sessions')
class AppSession {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'varchar', length: 100 }) data!: string;
}
@Entity('roles')
class AppRole {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'varchar', length: 100, unique: true }) name!: string;
}
@Entity('audit_events')
class AppAuditEvent {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'varchar', length: 100 }) what!: string;
}
const APP_ENTITIES = [AppUser, AppSession, AppRole, AppAuditEvent];
const FABRIC_TABLES = ['users', 'roles', 'role_assignments', 'sessions', 'api_keys', 'service_accounts', 'one_time_tokens', 'audit_events', 'user_identities'];

function dataSourceOptions(choice: DatabaseChoice, extra: Partial<DataSourceOptions>): DataSourceOptions {
  const common = { logging: false, ...extra } as const;
  return choice.type === 'postgres'
    ? ({ ...common, type: 'postgres', url: choice.url } as DataSourceOptions)
    : ({ ...common, type: 'better-sqlite3', database: choice.database } as DataSourceOptions);
}

/** Creates the host app's own tables (as its `synchronize` or migrations would) with one row in `users`. */
async function createAppSchema(choice: DatabaseChoice): Promise<void> {
  setFabricAuthTablePrefix('');
  const ds = await new DataSource(dataSourceOptions(choice, { entities: APP_ENTITIES, synchronize: true })).initialize();
  await ds.getRepository(AppUser).insert({ username: 'app-own-user', createdAt: new Date() });
  await ds.destroy();
}

// Storage only: the HTTP adapter changes nothing here, so this suite runs per database, not per adapter.
describe.each(DATABASE_KINDS)('table prefix on %s, beside an app that has users, sessions, roles and audit_events', (kind) => {
  let db: ScratchDatabase | undefined;
  let dataSource: DataSource | undefined;
  let app: TestApp | undefined;
  afterEach(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
    await app?.close();
    db = dataSource = app = undefined;
    setFabricAuthTablePrefix('');
  });

  it('the shipped migrations build the prefixed schema the entities describe, and revert leaving the app tables intact', async () => {
    db = await scratchDatabase(kind);
    await createAppSchema(db.choice);
    setFabricAuthTablePrefix('fabric_');
    dataSource = await new DataSource(
      dataSourceOptions(db.choice, { entities: [...APP_ENTITIES, ...FABRIC_AUTH_ENTITIES], migrations: fabricAuthMigrations(db.choice.type) }),
    ).initialize();
    const applied = await dataSource.runMigrations();
    expect(applied.length).toBe(fabricAuthMigrations(db.choice.type).length);
    // One data source holds the app's entities and ours: nothing left for TypeORM to change.
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    const runner = dataSource.createQueryRunner();
    for (const table of FABRIC_TABLES) expect(await runner.hasTable(`fabric_${table}`), `fabric_${table}`).toBe(true);
    expect(await dataSource.query(`SELECT username FROM users`)).toEqual([{ username: 'app-own-user' }]);

    for (let i = 0; i < applied.length; i++) await dataSource.undoLastMigration();
    for (const table of FABRIC_TABLES) expect(await runner.hasTable(`fabric_${table}`), `fabric_${table}`).toBe(false);
    for (const table of ['users', 'sessions', 'roles', 'audit_events']) expect(await runner.hasTable(table), table).toBe(true);
    expect(await dataSource.query(`SELECT username FROM users`)).toEqual([{ username: 'app-own-user' }]);
    await runner.release();
  });

  it.each(['sync', 'async'] as const)('an app registered with %s and tablePrefix logs in, writing only to its prefixed tables', async (registration) => {
    app = await startTestApp(kind, { registration, options: { tablePrefix: 'fab_' }, prepare: createAppSchema });
    const { user, password } = await app.createUser({ roles: ['viewer'] });
    const token = (await app.login(user.username, password)).access_token;
    expect((await app.http.get('/api/v1/auth/me').auth(token, { type: 'bearer' })).status).toBe(200);
    const fabricUsers = await app.dataSource.query<Array<{ username: string }>>(`SELECT username FROM fab_users ORDER BY username`);
    expect(fabricUsers.map((u) => u.username)).toEqual(['admin', user.username].sort());
    expect(await app.dataSource.query(`SELECT username FROM users`)).toEqual([{ username: 'app-own-user' }]);
    expect((await app.dataSource.query<Array<{ n: unknown }>>(`SELECT COUNT(*) AS n FROM fab_sessions`))[0].n).toEqual(kind === 'postgres' ? '1' : 1);
    expect((await app.dataSource.query<Array<{ n: unknown }>>(`SELECT COUNT(*) AS n FROM sessions`))[0].n).toEqual(kind === 'postgres' ? '0' : 0);
  });

  it('a prefix that only the async options factory gives stops startup with one clear message', async () => {
    db = await scratchDatabase(kind);
    const choice = db.choice;
    @Module({
      imports: [
        TypeOrmModule.forRoot({ ...(dataSourceOptions(choice, {}) as object), autoLoadEntities: true, migrations: fabricAuthMigrations(choice.type), migrationsRun: true }),
        FabricAuthModule.forRootAsync({ useFactory: () => ({ ...TEST_OPTIONS, tablePrefix: 'late_' }) }),
      ],
    })
    class LateModule {}
    const moduleRef = Test.createTestingModule({ imports: [LateModule] });
    await expect(moduleRef.compile()).rejects.toThrow(
      'auth.table_prefix: "late_" came from the async options factory, after the tables were named with prefix ""; pass tablePrefix: "late_" to FabricAuthModule.forRootAsync() itself',
    );
  });
});

describe('a DataSource built before the prefix was set', () => {
  afterEach(() => setFabricAuthTablePrefix(''));

  it('stops startup naming both table names', async () => {
    const db = await scratchDatabase('sqlite');
    const early = await new DataSource(
      dataSourceOptions(db.choice, { entities: [...FABRIC_AUTH_ENTITIES], migrations: fabricAuthMigrations('sqlite'), migrationsRun: true }),
    ).initialize();
    try {
      @Module({
        imports: [
          TypeOrmModule.forRootAsync({ useFactory: () => ({ type: 'better-sqlite3', autoLoadEntities: true }), dataSourceFactory: async () => early }),
          FabricAuthModule.forRoot({ ...TEST_OPTIONS, tablePrefix: 'late_' }),
        ],
      })
      class EarlyModule {}
      await expect(Test.createTestingModule({ imports: [EarlyModule] }).compile()).rejects.toThrow(
        'auth.table_prefix: the DataSource names the users table "users", not "late_users"',
      );
    } finally {
      if (early.isInitialized) await early.destroy();
      await db.drop();
    }
  });
});

describe('table prefix values', () => {
  it.each(['Fabric_', 'fabric-', '1fabric_', 'x'.repeat(31), 'fab"ric'])('%j is refused before any table is named', (prefix) => {
    expect(() => setFabricAuthTablePrefix(prefix)).toThrow('must be empty or lowercase letters, digits and _');
    expect(() => FabricAuthModule.forRoot({ ...TEST_OPTIONS, tablePrefix: prefix })).toThrow('must be empty or lowercase letters');
  });
});
