import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class ScimUsersPostgres1796547947635 implements MigrationInterface {
  name = 'ScimUsersPostgres1796547947635';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('scim_users')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "realm" character varying(64) NOT NULL, "organization_id" uuid, "user_id" uuid NOT NULL, "user_name" character varying(256) NOT NULL, "user_name_key" character varying(256) NOT NULL, "external_id" character varying(256), "display_name" character varying(256), "email_keys" character varying(2000) NOT NULL DEFAULT '', "active" boolean NOT NULL DEFAULT true, "attributes" text NOT NULL, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, CONSTRAINT ${s.name('uq_scim_users_realm_user')} UNIQUE ("realm", "user_id"), CONSTRAINT ${s.name('uq_scim_users_realm_external_id')} UNIQUE ("realm", "external_id"), CONSTRAINT ${s.name('uq_scim_users_realm_user_name')} UNIQUE ("realm", "user_name_key"), CONSTRAINT ${s.pk('scim_users', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_users_realm_created_at_id')} ON ${s.table('scim_users')}  ("realm", "created_at", "id") `);
    await queryRunner.query(
      `ALTER TABLE ${s.table('scim_users')} ADD CONSTRAINT ${s.fk('scim_users', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE ${s.table('scim_users')} ADD CONSTRAINT ${s.fk('scim_users', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('scim_users')} DROP CONSTRAINT ${s.fk('scim_users', ['user_id'], 'users', ['id'])}`);
    await queryRunner.query(`ALTER TABLE ${s.table('scim_users')} DROP CONSTRAINT ${s.fk('scim_users', ['organization_id'], 'organizations', ['id'])}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_users_realm_created_at_id')}`);
    await queryRunner.query(`DROP TABLE ${s.table('scim_users')}`);
  }
}
