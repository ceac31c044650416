import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class OrgServiceAccountsSqlite1796537399179 implements MigrationInterface {
  name = 'OrgServiceAccountsSqlite1796537399179';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_service_accounts_created_at_id')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_service_accounts')} ("id" varchar PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "description" varchar(500), "is_active" boolean NOT NULL DEFAULT (1), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, "organization_id" varchar, "org_roles" text, CONSTRAINT ${s.unique('service_accounts', ['name'])} UNIQUE ("name"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_service_accounts')}("id", "name", "description", "is_active", "created_at", "updated_at") SELECT "id", "name", "description", "is_active", "created_at", "updated_at" FROM ${s.table('service_accounts')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('service_accounts')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_service_accounts')} RENAME TO ${s.table('service_accounts')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_service_accounts_created_at_id')} ON ${s.table('service_accounts')} ("created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_service_accounts_org_created_at_id')} ON ${s.table('service_accounts')} ("organization_id", "created_at", "id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_service_accounts_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_service_accounts_org_created_at_id')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_service_accounts')} ("id" varchar PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "description" varchar(500), "is_active" boolean NOT NULL DEFAULT (1), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, "organization_id" varchar, "org_roles" text, CONSTRAINT ${s.unique('service_accounts', ['name'])} UNIQUE ("name"), CONSTRAINT ${s.fk('service_accounts', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_service_accounts')}("id", "name", "description", "is_active", "created_at", "updated_at", "organization_id", "org_roles") SELECT "id", "name", "description", "is_active", "created_at", "updated_at", "organization_id", "org_roles" FROM ${s.table('service_accounts')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('service_accounts')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_service_accounts')} RENAME TO ${s.table('service_accounts')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_service_accounts_created_at_id')} ON ${s.table('service_accounts')} ("created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_service_accounts_org_created_at_id')} ON ${s.table('service_accounts')} ("organization_id", "created_at", "id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_service_accounts_org_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_service_accounts_created_at_id')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('service_accounts')} RENAME TO ${s.table('temporary_service_accounts')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('service_accounts')} ("id" varchar PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "description" varchar(500), "is_active" boolean NOT NULL DEFAULT (1), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, "organization_id" varchar, "org_roles" text, CONSTRAINT ${s.unique('service_accounts', ['name'])} UNIQUE ("name"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('service_accounts')}("id", "name", "description", "is_active", "created_at", "updated_at", "organization_id", "org_roles") SELECT "id", "name", "description", "is_active", "created_at", "updated_at", "organization_id", "org_roles" FROM ${s.table('temporary_service_accounts')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_service_accounts')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_service_accounts_org_created_at_id')} ON ${s.table('service_accounts')} ("organization_id", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_service_accounts_created_at_id')} ON ${s.table('service_accounts')} ("created_at", "id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_service_accounts_org_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_service_accounts_created_at_id')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('service_accounts')} RENAME TO ${s.table('temporary_service_accounts')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('service_accounts')} ("id" varchar PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "description" varchar(500), "is_active" boolean NOT NULL DEFAULT (1), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, CONSTRAINT ${s.unique('service_accounts', ['name'])} UNIQUE ("name"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('service_accounts')}("id", "name", "description", "is_active", "created_at", "updated_at") SELECT "id", "name", "description", "is_active", "created_at", "updated_at" FROM ${s.table('temporary_service_accounts')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_service_accounts')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_service_accounts_created_at_id')} ON ${s.table('service_accounts')} ("created_at", "id") `);
  }
}
