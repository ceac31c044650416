import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class ScimGroupsSqlite1796549188074 implements MigrationInterface {
  name = 'ScimGroupsSqlite1796549188074';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('scim_groups')} ("id" varchar PRIMARY KEY NOT NULL, "realm" varchar(64) NOT NULL, "organization_id" varchar, "display_name" varchar(256) NOT NULL, "external_id" varchar(256), "mapped_roles" text NOT NULL, "version" integer NOT NULL DEFAULT (1), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_scim_groups_realm_external_id')} UNIQUE ("realm", "external_id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_groups_realm_created_at_id')} ON ${s.table('scim_groups')} ("realm", "created_at", "id") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('scim_group_members')} ("group_id" varchar NOT NULL, "scim_user_id" varchar NOT NULL, PRIMARY KEY ("group_id", "scim_user_id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_group_members_user')} ON ${s.table('scim_group_members')} ("scim_user_id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_users_realm_created_at_id')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_scim_users')} ("id" varchar PRIMARY KEY NOT NULL, "realm" varchar(64) NOT NULL, "organization_id" varchar, "user_id" varchar NOT NULL, "user_name" varchar(256) NOT NULL, "user_name_key" varchar(256) NOT NULL, "external_id" varchar(256), "display_name" varchar(256), "email_keys" varchar(2000) NOT NULL DEFAULT (''), "active" boolean NOT NULL DEFAULT (1), "attributes" text NOT NULL, "version" integer NOT NULL DEFAULT (1), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, "granted_roles" text, CONSTRAINT ${s.name('uq_scim_users_realm_user_name')} UNIQUE ("realm", "user_name_key"), CONSTRAINT ${s.name('uq_scim_users_realm_external_id')} UNIQUE ("realm", "external_id"), CONSTRAINT ${s.name('uq_scim_users_realm_user')} UNIQUE ("realm", "user_id"), CONSTRAINT ${s.fk('scim_users', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT ${s.fk('scim_users', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_scim_users')}("id", "realm", "organization_id", "user_id", "user_name", "user_name_key", "external_id", "display_name", "email_keys", "active", "attributes", "version", "created_at", "updated_at") SELECT "id", "realm", "organization_id", "user_id", "user_name", "user_name_key", "external_id", "display_name", "email_keys", "active", "attributes", "version", "created_at", "updated_at" FROM ${s.table('scim_users')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('scim_users')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_scim_users')} RENAME TO ${s.table('scim_users')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_users_realm_created_at_id')} ON ${s.table('scim_users')} ("realm", "created_at", "id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_groups_realm_created_at_id')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_scim_groups')} ("id" varchar PRIMARY KEY NOT NULL, "realm" varchar(64) NOT NULL, "organization_id" varchar, "display_name" varchar(256) NOT NULL, "external_id" varchar(256), "mapped_roles" text NOT NULL, "version" integer NOT NULL DEFAULT (1), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_scim_groups_realm_external_id')} UNIQUE ("realm", "external_id"), CONSTRAINT ${s.fk('scim_groups', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_scim_groups')}("id", "realm", "organization_id", "display_name", "external_id", "mapped_roles", "version", "created_at", "updated_at") SELECT "id", "realm", "organization_id", "display_name", "external_id", "mapped_roles", "version", "created_at", "updated_at" FROM ${s.table('scim_groups')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('scim_groups')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_scim_groups')} RENAME TO ${s.table('scim_groups')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_groups_realm_created_at_id')} ON ${s.table('scim_groups')} ("realm", "created_at", "id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_group_members_user')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_scim_group_members')} ("group_id" varchar NOT NULL, "scim_user_id" varchar NOT NULL, CONSTRAINT ${s.fk('scim_group_members', ['group_id'], 'scim_groups', ['id'])} FOREIGN KEY ("group_id") REFERENCES ${s.table('scim_groups')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT ${s.fk('scim_group_members', ['scim_user_id'], 'scim_users', ['id'])} FOREIGN KEY ("scim_user_id") REFERENCES ${s.table('scim_users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("group_id", "scim_user_id"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_scim_group_members')}("group_id", "scim_user_id") SELECT "group_id", "scim_user_id" FROM ${s.table('scim_group_members')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('scim_group_members')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_scim_group_members')} RENAME TO ${s.table('scim_group_members')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_group_members_user')} ON ${s.table('scim_group_members')} ("scim_user_id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_group_members_user')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('scim_group_members')} RENAME TO ${s.table('temporary_scim_group_members')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('scim_group_members')} ("group_id" varchar NOT NULL, "scim_user_id" varchar NOT NULL, PRIMARY KEY ("group_id", "scim_user_id"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('scim_group_members')}("group_id", "scim_user_id") SELECT "group_id", "scim_user_id" FROM ${s.table('temporary_scim_group_members')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_scim_group_members')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_group_members_user')} ON ${s.table('scim_group_members')} ("scim_user_id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_groups_realm_created_at_id')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('scim_groups')} RENAME TO ${s.table('temporary_scim_groups')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('scim_groups')} ("id" varchar PRIMARY KEY NOT NULL, "realm" varchar(64) NOT NULL, "organization_id" varchar, "display_name" varchar(256) NOT NULL, "external_id" varchar(256), "mapped_roles" text NOT NULL, "version" integer NOT NULL DEFAULT (1), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_scim_groups_realm_external_id')} UNIQUE ("realm", "external_id"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('scim_groups')}("id", "realm", "organization_id", "display_name", "external_id", "mapped_roles", "version", "created_at", "updated_at") SELECT "id", "realm", "organization_id", "display_name", "external_id", "mapped_roles", "version", "created_at", "updated_at" FROM ${s.table('temporary_scim_groups')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_scim_groups')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_groups_realm_created_at_id')} ON ${s.table('scim_groups')} ("realm", "created_at", "id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_users_realm_created_at_id')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('scim_users')} RENAME TO ${s.table('temporary_scim_users')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('scim_users')} ("id" varchar PRIMARY KEY NOT NULL, "realm" varchar(64) NOT NULL, "organization_id" varchar, "user_id" varchar NOT NULL, "user_name" varchar(256) NOT NULL, "user_name_key" varchar(256) NOT NULL, "external_id" varchar(256), "display_name" varchar(256), "email_keys" varchar(2000) NOT NULL DEFAULT (''), "active" boolean NOT NULL DEFAULT (1), "attributes" text NOT NULL, "version" integer NOT NULL DEFAULT (1), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_scim_users_realm_user_name')} UNIQUE ("realm", "user_name_key"), CONSTRAINT ${s.name('uq_scim_users_realm_external_id')} UNIQUE ("realm", "external_id"), CONSTRAINT ${s.name('uq_scim_users_realm_user')} UNIQUE ("realm", "user_id"), CONSTRAINT ${s.fk('scim_users', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT ${s.fk('scim_users', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('scim_users')}("id", "realm", "organization_id", "user_id", "user_name", "user_name_key", "external_id", "display_name", "email_keys", "active", "attributes", "version", "created_at", "updated_at") SELECT "id", "realm", "organization_id", "user_id", "user_name", "user_name_key", "external_id", "display_name", "email_keys", "active", "attributes", "version", "created_at", "updated_at" FROM ${s.table('temporary_scim_users')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_scim_users')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_users_realm_created_at_id')} ON ${s.table('scim_users')} ("realm", "created_at", "id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_group_members_user')}`);
    await queryRunner.query(`DROP TABLE ${s.table('scim_group_members')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_groups_realm_created_at_id')}`);
    await queryRunner.query(`DROP TABLE ${s.table('scim_groups')}`);
  }
}
