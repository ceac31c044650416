import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class OrganizationsPostgres1796533752136 implements MigrationInterface {
  name = 'OrganizationsPostgres1796533752136';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organizations')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "slug" character varying(63) NOT NULL, "slug_key" character varying(63) NOT NULL, "name" character varying(200) NOT NULL, "mfa_required" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, CONSTRAINT ${s.unique('organizations', ['slug'])} UNIQUE ("slug"), CONSTRAINT ${s.unique('organizations', ['slug_key'])} UNIQUE ("slug_key"), CONSTRAINT ${s.pk('organizations', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organizations_created_at_id')} ON ${s.table('organizations')}  ("created_at", "id") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_domains')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "organization_id" uuid NOT NULL, "domain" character varying(253) NOT NULL, "verified" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP NOT NULL, CONSTRAINT ${s.name('uq_organization_domains_org_domain')} UNIQUE ("organization_id", "domain"), CONSTRAINT ${s.pk('organization_domains', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX ${s.name('uq_organization_domains_verified')} ON ${s.table('organization_domains')}  ("domain") WHERE "verified" = TRUE`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_member_roles')} ("member_id" uuid NOT NULL, "role" character varying(64) NOT NULL, "organization_id" uuid NOT NULL, CONSTRAINT ${s.pk('organization_member_roles', ['member_id', 'role'])} PRIMARY KEY ("member_id", "role"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_member_roles_org_role')} ON ${s.table('organization_member_roles')}  ("organization_id", "role") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_members')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "organization_id" uuid NOT NULL, "user_id" uuid NOT NULL, "created_at" TIMESTAMP NOT NULL, CONSTRAINT ${s.name('uq_organization_members_org_user')} UNIQUE ("organization_id", "user_id"), CONSTRAINT ${s.pk('organization_members', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_members_user_created_at_id')} ON ${s.table('organization_members')}  ("user_id", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_members_org_created_at_id')} ON ${s.table('organization_members')}  ("organization_id", "created_at", "id") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_roles')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "organization_id" uuid NOT NULL, "name" character varying(64) NOT NULL, "description" character varying(500), "permissions" text NOT NULL, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, CONSTRAINT ${s.name('uq_organization_roles_org_name')} UNIQUE ("organization_id", "name"), CONSTRAINT ${s.pk('organization_roles', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_invitations')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "organization_id" uuid NOT NULL, "email" character varying(320) NOT NULL, "role_names" text NOT NULL, "token_hash" character varying(64) NOT NULL, "created_by" uuid, "created_at" TIMESTAMP NOT NULL, "expires_at" TIMESTAMP NOT NULL, "accepted_at" TIMESTAMP, "accepted_by" uuid, CONSTRAINT ${s.unique('organization_invitations', ['token_hash'])} UNIQUE ("token_hash"), CONSTRAINT ${s.pk('organization_invitations', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_invitations_expires_at')} ON ${s.table('organization_invitations')}  ("expires_at") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_invitations_org_email')} ON ${s.table('organization_invitations')}  ("organization_id", "email") `);
    await queryRunner.query(
      `CREATE INDEX ${s.name('idx_organization_invitations_org_created_at_id')} ON ${s.table('organization_invitations')}  ("organization_id", "created_at", "id") `,
    );
    await queryRunner.query(`ALTER TABLE ${s.table('audit_events')} ADD "organization_id" character varying(36)`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_organization_occurred_at_id')} ON ${s.table('audit_events')}  ("organization_id", "occurred_at", "id") `);
    await queryRunner.query(
      `ALTER TABLE ${s.table('organization_domains')} ADD CONSTRAINT ${s.fk('organization_domains', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE ${s.table('organization_member_roles')} ADD CONSTRAINT ${s.fk('organization_member_roles', ['member_id'], 'organization_members', ['id'])} FOREIGN KEY ("member_id") REFERENCES ${s.table('organization_members')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE ${s.table('organization_members')} ADD CONSTRAINT ${s.fk('organization_members', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE ${s.table('organization_members')} ADD CONSTRAINT ${s.fk('organization_members', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE ${s.table('organization_roles')} ADD CONSTRAINT ${s.fk('organization_roles', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE ${s.table('organization_invitations')} ADD CONSTRAINT ${s.fk('organization_invitations', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE ${s.table('organization_invitations')} ADD CONSTRAINT ${s.fk('organization_invitations', ['created_by'], 'users', ['id'])} FOREIGN KEY ("created_by") REFERENCES ${s.table('users')}("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE ${s.table('organization_invitations')} ADD CONSTRAINT ${s.fk('organization_invitations', ['accepted_by'], 'users', ['id'])} FOREIGN KEY ("accepted_by") REFERENCES ${s.table('users')}("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_invitations')} DROP CONSTRAINT ${s.fk('organization_invitations', ['accepted_by'], 'users', ['id'])}`);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_invitations')} DROP CONSTRAINT ${s.fk('organization_invitations', ['created_by'], 'users', ['id'])}`);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_invitations')} DROP CONSTRAINT ${s.fk('organization_invitations', ['organization_id'], 'organizations', ['id'])}`);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_roles')} DROP CONSTRAINT ${s.fk('organization_roles', ['organization_id'], 'organizations', ['id'])}`);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_members')} DROP CONSTRAINT ${s.fk('organization_members', ['user_id'], 'users', ['id'])}`);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_members')} DROP CONSTRAINT ${s.fk('organization_members', ['organization_id'], 'organizations', ['id'])}`);
    await queryRunner.query(
      `ALTER TABLE ${s.table('organization_member_roles')} DROP CONSTRAINT ${s.fk('organization_member_roles', ['member_id'], 'organization_members', ['id'])}`,
    );
    await queryRunner.query(`ALTER TABLE ${s.table('organization_domains')} DROP CONSTRAINT ${s.fk('organization_domains', ['organization_id'], 'organizations', ['id'])}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_organization_occurred_at_id')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('audit_events')} DROP COLUMN "organization_id"`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_invitations_org_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_invitations_org_email')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_invitations_expires_at')}`);
    await queryRunner.query(`DROP TABLE ${s.table('organization_invitations')}`);
    await queryRunner.query(`DROP TABLE ${s.table('organization_roles')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_members_org_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_members_user_created_at_id')}`);
    await queryRunner.query(`DROP TABLE ${s.table('organization_members')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_member_roles_org_role')}`);
    await queryRunner.query(`DROP TABLE ${s.table('organization_member_roles')}`);
    await queryRunner.query(`DROP INDEX ${s.name('uq_organization_domains_verified')}`);
    await queryRunner.query(`DROP TABLE ${s.table('organization_domains')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organizations_created_at_id')}`);
    await queryRunner.query(`DROP TABLE ${s.table('organizations')}`);
  }
}
