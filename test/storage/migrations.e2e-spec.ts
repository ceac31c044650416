import { FABRIC_AUTH_ENTITIES } from 'nestjs-fabric-auth/entities';
import { fabricAuthMigrations } from 'nestjs-fabric-auth/migrations';
import { DataSource } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_KINDS, scratchDatabase, type ScratchDatabase } from '../support/test-app.js';

describe.each(DATABASE_KINDS)('shipped migrations on %s', (kind) => {
  let db: ScratchDatabase | undefined;
  let dataSource: DataSource | undefined;
  afterEach(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
  });

  async function open(): Promise<DataSource> {
    db = await scratchDatabase(kind);
    const choice = db.choice;
    const common = { entities: [...FABRIC_AUTH_ENTITIES], migrations: fabricAuthMigrations(choice.type), logging: false };
    dataSource = new DataSource(choice.type === 'postgres' ? { ...common, type: 'postgres', url: choice.url } : { ...common, type: 'better-sqlite3', database: choice.database });
    return dataSource.initialize();
  }

  it('build exactly the schema the entities describe (no pending change)', async () => {
    const ds = await open();
    const applied = await ds.runMigrations();
    expect(applied.length).toBe(fabricAuthMigrations(db!.choice.type).length);
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    for (const table of ['users', 'roles', 'role_assignments', 'sessions', 'api_keys', 'service_accounts', 'one_time_tokens', 'audit_events', 'user_identities']) {
      expect(await ds.createQueryRunner().hasTable(table)).toBe(true);
    }
  });

  it('revert cleanly, leaving no table behind', async () => {
    const ds = await open();
    await ds.runMigrations();
    for (let i = 0; i < fabricAuthMigrations(db!.choice.type).length; i++) await ds.undoLastMigration();
    for (const table of ['users', 'sessions', 'audit_events']) {
      expect(await ds.createQueryRunner().hasTable(table)).toBe(false);
    }
  });
});
