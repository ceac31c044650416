import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class ScimUsersSqlite1796547947635 implements MigrationInterface {
  name = 'ScimUsersSqlite1796547947635';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('scim_users')} ("id" varchar PRIMARY KEY NOT NULL, "realm" varchar(64) NOT NULL, "organization_id" varchar, "user_id" varchar NOT NULL, "user_name" varchar(256) NOT NULL, "user_name_key" varchar(256) NOT NULL, "external_id" varchar(256), "display_name" varchar(256), "email_keys" varchar(2000) NOT NULL DEFAULT (''), "active" boolean NOT NULL DEFAULT (1), "attributes" text NOT NULL, "version" integer NOT NULL DEFAULT (1), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_scim_users_realm_user')} UNIQUE ("realm", "user_id"), CONSTRAINT ${s.name('uq_scim_users_realm_external_id')} UNIQUE ("realm", "external_id"), CONSTRAINT ${s.name('uq_scim_users_realm_user_name')} UNIQUE ("realm", "user_name_key"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_users_realm_created_at_id')} ON ${s.table('scim_users')} ("realm", "created_at", "id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_users_realm_created_at_id')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_scim_users')} ("id" varchar PRIMARY KEY NOT NULL, "realm" varchar(64) NOT NULL, "organization_id" varchar, "user_id" varchar NOT NULL, "user_name" varchar(256) NOT NULL, "user_name_key" varchar(256) NOT NULL, "external_id" varchar(256), "display_name" varchar(256), "email_keys" varchar(2000) NOT NULL DEFAULT (''), "active" boolean NOT NULL DEFAULT (1), "attributes" text NOT NULL, "version" integer NOT NULL DEFAULT (1), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_scim_users_realm_user')} UNIQUE ("realm", "user_id"), CONSTRAINT ${s.name('uq_scim_users_realm_external_id')} UNIQUE ("realm", "external_id"), CONSTRAINT ${s.name('uq_scim_users_realm_user_name')} UNIQUE ("realm", "user_name_key"), CONSTRAINT ${s.fk('scim_users', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT ${s.fk('scim_users', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_scim_users')}("id", "realm", "organization_id", "user_id", "user_name", "user_name_key", "external_id", "display_name", "email_keys", "active", "attributes", "version", "created_at", "updated_at") SELECT "id", "realm", "organization_id", "user_id", "user_name", "user_name_key", "external_id", "display_name", "email_keys", "active", "attributes", "version", "created_at", "updated_at" FROM ${s.table('scim_users')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('scim_users')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_scim_users')} RENAME TO ${s.table('scim_users')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_users_realm_created_at_id')} ON ${s.table('scim_users')} ("realm", "created_at", "id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_users_realm_created_at_id')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('scim_users')} RENAME TO ${s.table('temporary_scim_users')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('scim_users')} ("id" varchar PRIMARY KEY NOT NULL, "realm" varchar(64) NOT NULL, "organization_id" varchar, "user_id" varchar NOT NULL, "user_name" varchar(256) NOT NULL, "user_name_key" varchar(256) NOT NULL, "external_id" varchar(256), "display_name" varchar(256), "email_keys" varchar(2000) NOT NULL DEFAULT (''), "active" boolean NOT NULL DEFAULT (1), "attributes" text NOT NULL, "version" integer NOT NULL DEFAULT (1), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_scim_users_realm_user')} UNIQUE ("realm", "user_id"), CONSTRAINT ${s.name('uq_scim_users_realm_external_id')} UNIQUE ("realm", "external_id"), CONSTRAINT ${s.name('uq_scim_users_realm_user_name')} UNIQUE ("realm", "user_name_key"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('scim_users')}("id", "realm", "organization_id", "user_id", "user_name", "user_name_key", "external_id", "display_name", "email_keys", "active", "attributes", "version", "created_at", "updated_at") SELECT "id", "realm", "organization_id", "user_id", "user_name", "user_name_key", "external_id", "display_name", "email_keys", "active", "attributes", "version", "created_at", "updated_at" FROM ${s.table('temporary_scim_users')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_scim_users')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_users_realm_created_at_id')} ON ${s.table('scim_users')} ("realm", "created_at", "id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_users_realm_created_at_id')}`);
    await queryRunner.query(`DROP TABLE ${s.table('scim_users')}`);
  }
}
