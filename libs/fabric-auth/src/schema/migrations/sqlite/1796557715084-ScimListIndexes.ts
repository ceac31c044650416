import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class ScimListIndexesSqlite1796557715084 implements MigrationInterface {
  name = 'ScimListIndexesSqlite1796557715084';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('scim_user_emails')} ("scim_user_id" varchar NOT NULL, "email_key" varchar(320) NOT NULL, "realm" varchar(64) NOT NULL, PRIMARY KEY ("scim_user_id", "email_key"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_user_emails_realm_email')} ON ${s.table('scim_user_emails')} ("realm", "email_key") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_groups_realm_created_at_id')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_scim_groups')} ("id" varchar PRIMARY KEY NOT NULL, "realm" varchar(64) NOT NULL, "organization_id" varchar, "display_name" varchar(256) NOT NULL, "external_id" varchar(256), "mapped_roles" text NOT NULL, "version" integer NOT NULL DEFAULT (1), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, "display_name_key" varchar(256) NOT NULL, CONSTRAINT ${s.name('uq_scim_groups_realm_external_id')} UNIQUE ("realm", "external_id"), CONSTRAINT ${s.fk('scim_groups', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    // Existing groups get their key here (SQLite's LOWER folds ASCII only; the service folds the rest from the next change on).
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_scim_groups')}("id", "realm", "organization_id", "display_name", "display_name_key", "external_id", "mapped_roles", "version", "created_at", "updated_at") SELECT "id", "realm", "organization_id", "display_name", LOWER("display_name"), "external_id", "mapped_roles", "version", "created_at", "updated_at" FROM ${s.table('scim_groups')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('scim_groups')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_scim_groups')} RENAME TO ${s.table('scim_groups')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_groups_realm_created_at_id')} ON ${s.table('scim_groups')} ("realm", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_groups_realm_display_name_key')} ON ${s.table('scim_groups')} ("realm", "display_name_key") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_user_emails_realm_email')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_scim_user_emails')} ("scim_user_id" varchar NOT NULL, "email_key" varchar(320) NOT NULL, "realm" varchar(64) NOT NULL, CONSTRAINT ${s.fk('scim_user_emails', ['scim_user_id'], 'scim_users', ['id'])} FOREIGN KEY ("scim_user_id") REFERENCES ${s.table('scim_users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("scim_user_id", "email_key"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_scim_user_emails')}("scim_user_id", "email_key", "realm") SELECT "scim_user_id", "email_key", "realm" FROM ${s.table('scim_user_emails')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('scim_user_emails')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_scim_user_emails')} RENAME TO ${s.table('scim_user_emails')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_user_emails_realm_email')} ON ${s.table('scim_user_emails')} ("realm", "email_key") `);
    // Existing users' emails, split out of email_keys (`\na@x\nb@y\n`).
    await queryRunner.query(
      `INSERT INTO ${s.table('scim_user_emails')}("scim_user_id", "email_key", "realm") WITH RECURSIVE split(id, realm, rest, email) AS (SELECT "id", "realm", substr("email_keys", 2), NULL FROM ${s.table('scim_users')} WHERE "email_keys" <> '' UNION ALL SELECT id, realm, substr(rest, instr(rest, char(10)) + 1), substr(rest, 1, instr(rest, char(10)) - 1) FROM split WHERE rest <> '') SELECT DISTINCT id, email, realm FROM split WHERE email IS NOT NULL AND email <> ''`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_user_emails_realm_email')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('scim_user_emails')} RENAME TO ${s.table('temporary_scim_user_emails')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('scim_user_emails')} ("scim_user_id" varchar NOT NULL, "email_key" varchar(320) NOT NULL, "realm" varchar(64) NOT NULL, PRIMARY KEY ("scim_user_id", "email_key"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('scim_user_emails')}("scim_user_id", "email_key", "realm") SELECT "scim_user_id", "email_key", "realm" FROM ${s.table('temporary_scim_user_emails')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_scim_user_emails')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_user_emails_realm_email')} ON ${s.table('scim_user_emails')} ("realm", "email_key") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_groups_realm_display_name_key')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_groups_realm_created_at_id')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('scim_groups')} RENAME TO ${s.table('temporary_scim_groups')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('scim_groups')} ("id" varchar PRIMARY KEY NOT NULL, "realm" varchar(64) NOT NULL, "organization_id" varchar, "display_name" varchar(256) NOT NULL, "external_id" varchar(256), "mapped_roles" text NOT NULL, "version" integer NOT NULL DEFAULT (1), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_scim_groups_realm_external_id')} UNIQUE ("realm", "external_id"), CONSTRAINT ${s.fk('scim_groups', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('scim_groups')}("id", "realm", "organization_id", "display_name", "external_id", "mapped_roles", "version", "created_at", "updated_at") SELECT "id", "realm", "organization_id", "display_name", "external_id", "mapped_roles", "version", "created_at", "updated_at" FROM ${s.table('temporary_scim_groups')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_scim_groups')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_groups_realm_created_at_id')} ON ${s.table('scim_groups')} ("realm", "created_at", "id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_user_emails_realm_email')}`);
    await queryRunner.query(`DROP TABLE ${s.table('scim_user_emails')}`);
  }
}
