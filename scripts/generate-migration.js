// Writes a TypeORM migration for PostgreSQL and for SQLite holding the difference between
// the entities and the schema the existing migrations build. Usage:
//   npm run migration:generate -- <Name> [timestamp]
// Needs the PostgreSQL of FABRIC_TEST_POSTGRES_URL (a scratch database is created and dropped).
//
// The migrations it writes name every table, index and constraint through
// `fabricSchema(queryRunner)` (libs/fabric-auth/src/schema/migrations/fabric-schema.ts), so they honour
// the table prefix; a hand-written migration must do the same (see the migrations README).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { FABRIC_AUTH_ENTITIES } from 'nestjs-fabric-auth/entities';
import { fabricAuthMigrations, fabricSchema } from 'nestjs-fabric-auth/migrations';
import { assertSameWithoutPrefix, migrationFile, namesOf, templateOf } from './migration-names.js';

const [name, stamp = String(Date.now())] = process.argv.slice(2);
if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) {
  console.error('usage: npm run migration:generate -- <PascalCaseName> [timestamp]');
  process.exit(2);
}
const postgresUrl = process.env.FABRIC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function diff(options) {
  const dataSource = new DataSource({ ...options, entities: [...FABRIC_AUTH_ENTITIES], migrationsRun: false, logging: false });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations();
    const sql = await dataSource.driver.createSchemaBuilder().log();
    return { sql, names: await namesOf(dataSource) };
  } finally {
    await dataSource.destroy();
  }
}

function write(driverDir, className, { sql, names }) {
  if (sql.upQueries.length === 0) {
    console.log(`${driverDir}: the entities match the migrations; nothing to write`);
    return;
  }
  const templates = (queries) =>
    queries.map((q) => {
      const t = templateOf(q.query, names);
      assertSameWithoutPrefix(t, fabricSchema);
      return t.template;
    });
  const file = join('libs/fabric-auth/src/schema/migrations', driverDir, `${stamp}-${name}.ts`);
  writeFileSync(file, migrationFile(className, templates(sql.upQueries), templates([...sql.downQueries].reverse())));
  console.log(`wrote ${file} (${sql.upQueries.length} statements); add it to libs/fabric-auth/src/schema/migrations/index.ts`);
}

const scratch = `fabric_migration_${process.pid}`;
const admin = new pg.Client({ connectionString: postgresUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${scratch}`);
try {
  const url = new URL(postgresUrl);
  url.pathname = `/${scratch}`;
  write('postgres', `${name}Postgres${stamp}`, await diff({ type: 'postgres', url: url.toString(), migrations: fabricAuthMigrations('postgres') }));
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
  await admin.end();
}
const dir = mkdtempSync(join(tmpdir(), 'fabric-migration-'));
try {
  write('sqlite', `${name}Sqlite${stamp}`, await diff({ type: 'better-sqlite3', database: join(dir, 'db.sqlite'), migrations: fabricAuthMigrations('sqlite') }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
