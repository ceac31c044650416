import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class ScimGroupsPostgres1796549188074 implements MigrationInterface {
  name = 'ScimGroupsPostgres1796549188074';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('scim_groups')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "realm" character varying(64) NOT NULL, "organization_id" uuid, "display_name" character varying(256) NOT NULL, "external_id" character varying(256), "mapped_roles" text NOT NULL, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, CONSTRAINT ${s.name('uq_scim_groups_realm_external_id')} UNIQUE ("realm", "external_id"), CONSTRAINT ${s.pk('scim_groups', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_groups_realm_created_at_id')} ON ${s.table('scim_groups')}  ("realm", "created_at", "id") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('scim_group_members')} ("group_id" uuid NOT NULL, "scim_user_id" uuid NOT NULL, CONSTRAINT ${s.pk('scim_group_members', ['group_id', 'scim_user_id'])} PRIMARY KEY ("group_id", "scim_user_id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_group_members_user')} ON ${s.table('scim_group_members')}  ("scim_user_id") `);
    await queryRunner.query(`ALTER TABLE ${s.table('scim_users')} ADD "granted_roles" text`);
    await queryRunner.query(
      `ALTER TABLE ${s.table('scim_groups')} ADD CONSTRAINT ${s.fk('scim_groups', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE ${s.table('scim_group_members')} ADD CONSTRAINT ${s.fk('scim_group_members', ['group_id'], 'scim_groups', ['id'])} FOREIGN KEY ("group_id") REFERENCES ${s.table('scim_groups')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE ${s.table('scim_group_members')} ADD CONSTRAINT ${s.fk('scim_group_members', ['scim_user_id'], 'scim_users', ['id'])} FOREIGN KEY ("scim_user_id") REFERENCES ${s.table('scim_users')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('scim_group_members')} DROP CONSTRAINT ${s.fk('scim_group_members', ['scim_user_id'], 'scim_users', ['id'])}`);
    await queryRunner.query(`ALTER TABLE ${s.table('scim_group_members')} DROP CONSTRAINT ${s.fk('scim_group_members', ['group_id'], 'scim_groups', ['id'])}`);
    await queryRunner.query(`ALTER TABLE ${s.table('scim_groups')} DROP CONSTRAINT ${s.fk('scim_groups', ['organization_id'], 'organizations', ['id'])}`);
    await queryRunner.query(`ALTER TABLE ${s.table('scim_users')} DROP COLUMN "granted_roles"`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_group_members_user')}`);
    await queryRunner.query(`DROP TABLE ${s.table('scim_group_members')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_groups_realm_created_at_id')}`);
    await queryRunner.query(`DROP TABLE ${s.table('scim_groups')}`);
  }
}
