import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class OrganizationsSqlite1796533752136 implements MigrationInterface {
  name = 'OrganizationsSqlite1796533752136';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organizations')} ("id" varchar PRIMARY KEY NOT NULL, "slug" varchar(63) NOT NULL, "slug_key" varchar(63) NOT NULL, "name" varchar(200) NOT NULL, "mfa_required" boolean NOT NULL DEFAULT (0), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, CONSTRAINT ${s.unique('organizations', ['slug'])} UNIQUE ("slug"), CONSTRAINT ${s.unique('organizations', ['slug_key'])} UNIQUE ("slug_key"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organizations_created_at_id')} ON ${s.table('organizations')} ("created_at", "id") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_domains')} ("id" varchar PRIMARY KEY NOT NULL, "organization_id" varchar NOT NULL, "domain" varchar(253) NOT NULL, "verified" boolean NOT NULL DEFAULT (0), "created_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_organization_domains_org_domain')} UNIQUE ("organization_id", "domain"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX ${s.name('uq_organization_domains_verified')} ON ${s.table('organization_domains')} ("domain") WHERE "verified" = TRUE`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_member_roles')} ("member_id" varchar NOT NULL, "role" varchar(64) NOT NULL, "organization_id" varchar NOT NULL, PRIMARY KEY ("member_id", "role"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_member_roles_org_role')} ON ${s.table('organization_member_roles')} ("organization_id", "role") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_members')} ("id" varchar PRIMARY KEY NOT NULL, "organization_id" varchar NOT NULL, "user_id" varchar NOT NULL, "created_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_organization_members_org_user')} UNIQUE ("organization_id", "user_id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_members_user_created_at_id')} ON ${s.table('organization_members')} ("user_id", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_members_org_created_at_id')} ON ${s.table('organization_members')} ("organization_id", "created_at", "id") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_roles')} ("id" varchar PRIMARY KEY NOT NULL, "organization_id" varchar NOT NULL, "name" varchar(64) NOT NULL, "description" varchar(500), "permissions" text NOT NULL, "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_organization_roles_org_name')} UNIQUE ("organization_id", "name"))`,
    );
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_invitations')} ("id" varchar PRIMARY KEY NOT NULL, "organization_id" varchar NOT NULL, "email" varchar(320) NOT NULL, "role_names" text NOT NULL, "token_hash" varchar(64) NOT NULL, "created_by" varchar, "created_at" datetime NOT NULL, "expires_at" datetime NOT NULL, "accepted_at" datetime, "accepted_by" varchar, CONSTRAINT ${s.unique('organization_invitations', ['token_hash'])} UNIQUE ("token_hash"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_invitations_expires_at')} ON ${s.table('organization_invitations')} ("expires_at") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_invitations_org_email')} ON ${s.table('organization_invitations')} ("organization_id", "email") `);
    await queryRunner.query(
      `CREATE INDEX ${s.name('idx_organization_invitations_org_created_at_id')} ON ${s.table('organization_invitations')} ("organization_id", "created_at", "id") `,
    );
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_occurred_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_action_occurred_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_actor_id_occurred_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_actor_name_occurred_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_target_occurred_at_id')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_audit_events')} ("id" varchar PRIMARY KEY NOT NULL, "occurred_at" datetime NOT NULL, "action" varchar(64) NOT NULL, "outcome" varchar(16) NOT NULL, "actor_kind" varchar(20), "actor_id" varchar(64), "actor_name" varchar(150), "target_type" varchar(40), "target_id" varchar(200), "ip" varchar(64), "user_agent" varchar(512), "details" text, "organization_id" varchar(36))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_audit_events')}("id", "occurred_at", "action", "outcome", "actor_kind", "actor_id", "actor_name", "target_type", "target_id", "ip", "user_agent", "details") SELECT "id", "occurred_at", "action", "outcome", "actor_kind", "actor_id", "actor_name", "target_type", "target_id", "ip", "user_agent", "details" FROM ${s.table('audit_events')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('audit_events')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_audit_events')} RENAME TO ${s.table('audit_events')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_occurred_at_id')} ON ${s.table('audit_events')} ("occurred_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_action_occurred_at_id')} ON ${s.table('audit_events')} ("action", "occurred_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_actor_id_occurred_at_id')} ON ${s.table('audit_events')} ("actor_id", "occurred_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_actor_name_occurred_at_id')} ON ${s.table('audit_events')} ("actor_name", "occurred_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_target_occurred_at_id')} ON ${s.table('audit_events')} ("target_id", "occurred_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_organization_occurred_at_id')} ON ${s.table('audit_events')} ("organization_id", "occurred_at", "id") `);
    await queryRunner.query(`DROP INDEX ${s.name('uq_organization_domains_verified')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_organization_domains')} ("id" varchar PRIMARY KEY NOT NULL, "organization_id" varchar NOT NULL, "domain" varchar(253) NOT NULL, "verified" boolean NOT NULL DEFAULT (0), "created_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_organization_domains_org_domain')} UNIQUE ("organization_id", "domain"), CONSTRAINT ${s.fk('organization_domains', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_organization_domains')}("id", "organization_id", "domain", "verified", "created_at") SELECT "id", "organization_id", "domain", "verified", "created_at" FROM ${s.table('organization_domains')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('organization_domains')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_organization_domains')} RENAME TO ${s.table('organization_domains')}`);
    await queryRunner.query(`CREATE UNIQUE INDEX ${s.name('uq_organization_domains_verified')} ON ${s.table('organization_domains')} ("domain") WHERE "verified" = TRUE`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_member_roles_org_role')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_organization_member_roles')} ("member_id" varchar NOT NULL, "role" varchar(64) NOT NULL, "organization_id" varchar NOT NULL, CONSTRAINT ${s.fk('organization_member_roles', ['member_id'], 'organization_members', ['id'])} FOREIGN KEY ("member_id") REFERENCES ${s.table('organization_members')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("member_id", "role"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_organization_member_roles')}("member_id", "role", "organization_id") SELECT "member_id", "role", "organization_id" FROM ${s.table('organization_member_roles')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('organization_member_roles')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_organization_member_roles')} RENAME TO ${s.table('organization_member_roles')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_member_roles_org_role')} ON ${s.table('organization_member_roles')} ("organization_id", "role") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_members_user_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_members_org_created_at_id')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_organization_members')} ("id" varchar PRIMARY KEY NOT NULL, "organization_id" varchar NOT NULL, "user_id" varchar NOT NULL, "created_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_organization_members_org_user')} UNIQUE ("organization_id", "user_id"), CONSTRAINT ${s.fk('organization_members', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT ${s.fk('organization_members', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_organization_members')}("id", "organization_id", "user_id", "created_at") SELECT "id", "organization_id", "user_id", "created_at" FROM ${s.table('organization_members')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('organization_members')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_organization_members')} RENAME TO ${s.table('organization_members')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_members_user_created_at_id')} ON ${s.table('organization_members')} ("user_id", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_members_org_created_at_id')} ON ${s.table('organization_members')} ("organization_id", "created_at", "id") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_organization_roles')} ("id" varchar PRIMARY KEY NOT NULL, "organization_id" varchar NOT NULL, "name" varchar(64) NOT NULL, "description" varchar(500), "permissions" text NOT NULL, "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_organization_roles_org_name')} UNIQUE ("organization_id", "name"), CONSTRAINT ${s.fk('organization_roles', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_organization_roles')}("id", "organization_id", "name", "description", "permissions", "created_at", "updated_at") SELECT "id", "organization_id", "name", "description", "permissions", "created_at", "updated_at" FROM ${s.table('organization_roles')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('organization_roles')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_organization_roles')} RENAME TO ${s.table('organization_roles')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_invitations_expires_at')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_invitations_org_email')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_invitations_org_created_at_id')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_organization_invitations')} ("id" varchar PRIMARY KEY NOT NULL, "organization_id" varchar NOT NULL, "email" varchar(320) NOT NULL, "role_names" text NOT NULL, "token_hash" varchar(64) NOT NULL, "created_by" varchar, "created_at" datetime NOT NULL, "expires_at" datetime NOT NULL, "accepted_at" datetime, "accepted_by" varchar, CONSTRAINT ${s.unique('organization_invitations', ['token_hash'])} UNIQUE ("token_hash"), CONSTRAINT ${s.fk('organization_invitations', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT ${s.fk('organization_invitations', ['created_by'], 'users', ['id'])} FOREIGN KEY ("created_by") REFERENCES ${s.table('users')} ("id") ON DELETE SET NULL ON UPDATE NO ACTION, CONSTRAINT ${s.fk('organization_invitations', ['accepted_by'], 'users', ['id'])} FOREIGN KEY ("accepted_by") REFERENCES ${s.table('users')} ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_organization_invitations')}("id", "organization_id", "email", "role_names", "token_hash", "created_by", "created_at", "expires_at", "accepted_at", "accepted_by") SELECT "id", "organization_id", "email", "role_names", "token_hash", "created_by", "created_at", "expires_at", "accepted_at", "accepted_by" FROM ${s.table('organization_invitations')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('organization_invitations')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_organization_invitations')} RENAME TO ${s.table('organization_invitations')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_invitations_expires_at')} ON ${s.table('organization_invitations')} ("expires_at") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_invitations_org_email')} ON ${s.table('organization_invitations')} ("organization_id", "email") `);
    await queryRunner.query(
      `CREATE INDEX ${s.name('idx_organization_invitations_org_created_at_id')} ON ${s.table('organization_invitations')} ("organization_id", "created_at", "id") `,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_invitations_org_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_invitations_org_email')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_invitations_expires_at')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_invitations')} RENAME TO ${s.table('temporary_organization_invitations')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_invitations')} ("id" varchar PRIMARY KEY NOT NULL, "organization_id" varchar NOT NULL, "email" varchar(320) NOT NULL, "role_names" text NOT NULL, "token_hash" varchar(64) NOT NULL, "created_by" varchar, "created_at" datetime NOT NULL, "expires_at" datetime NOT NULL, "accepted_at" datetime, "accepted_by" varchar, CONSTRAINT ${s.unique('organization_invitations', ['token_hash'])} UNIQUE ("token_hash"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('organization_invitations')}("id", "organization_id", "email", "role_names", "token_hash", "created_by", "created_at", "expires_at", "accepted_at", "accepted_by") SELECT "id", "organization_id", "email", "role_names", "token_hash", "created_by", "created_at", "expires_at", "accepted_at", "accepted_by" FROM ${s.table('temporary_organization_invitations')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_organization_invitations')}`);
    await queryRunner.query(
      `CREATE INDEX ${s.name('idx_organization_invitations_org_created_at_id')} ON ${s.table('organization_invitations')} ("organization_id", "created_at", "id") `,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_invitations_org_email')} ON ${s.table('organization_invitations')} ("organization_id", "email") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_invitations_expires_at')} ON ${s.table('organization_invitations')} ("expires_at") `);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_roles')} RENAME TO ${s.table('temporary_organization_roles')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_roles')} ("id" varchar PRIMARY KEY NOT NULL, "organization_id" varchar NOT NULL, "name" varchar(64) NOT NULL, "description" varchar(500), "permissions" text NOT NULL, "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_organization_roles_org_name')} UNIQUE ("organization_id", "name"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('organization_roles')}("id", "organization_id", "name", "description", "permissions", "created_at", "updated_at") SELECT "id", "organization_id", "name", "description", "permissions", "created_at", "updated_at" FROM ${s.table('temporary_organization_roles')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_organization_roles')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_members_org_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_members_user_created_at_id')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_members')} RENAME TO ${s.table('temporary_organization_members')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_members')} ("id" varchar PRIMARY KEY NOT NULL, "organization_id" varchar NOT NULL, "user_id" varchar NOT NULL, "created_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_organization_members_org_user')} UNIQUE ("organization_id", "user_id"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('organization_members')}("id", "organization_id", "user_id", "created_at") SELECT "id", "organization_id", "user_id", "created_at" FROM ${s.table('temporary_organization_members')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_organization_members')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_members_org_created_at_id')} ON ${s.table('organization_members')} ("organization_id", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_members_user_created_at_id')} ON ${s.table('organization_members')} ("user_id", "created_at", "id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_member_roles_org_role')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_member_roles')} RENAME TO ${s.table('temporary_organization_member_roles')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_member_roles')} ("member_id" varchar NOT NULL, "role" varchar(64) NOT NULL, "organization_id" varchar NOT NULL, PRIMARY KEY ("member_id", "role"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('organization_member_roles')}("member_id", "role", "organization_id") SELECT "member_id", "role", "organization_id" FROM ${s.table('temporary_organization_member_roles')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_organization_member_roles')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_member_roles_org_role')} ON ${s.table('organization_member_roles')} ("organization_id", "role") `);
    await queryRunner.query(`DROP INDEX ${s.name('uq_organization_domains_verified')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_domains')} RENAME TO ${s.table('temporary_organization_domains')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_domains')} ("id" varchar PRIMARY KEY NOT NULL, "organization_id" varchar NOT NULL, "domain" varchar(253) NOT NULL, "verified" boolean NOT NULL DEFAULT (0), "created_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_organization_domains_org_domain')} UNIQUE ("organization_id", "domain"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('organization_domains')}("id", "organization_id", "domain", "verified", "created_at") SELECT "id", "organization_id", "domain", "verified", "created_at" FROM ${s.table('temporary_organization_domains')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_organization_domains')}`);
    await queryRunner.query(`CREATE UNIQUE INDEX ${s.name('uq_organization_domains_verified')} ON ${s.table('organization_domains')} ("domain") WHERE "verified" = TRUE`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_organization_occurred_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_target_occurred_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_actor_name_occurred_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_actor_id_occurred_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_action_occurred_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_occurred_at_id')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('audit_events')} RENAME TO ${s.table('temporary_audit_events')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('audit_events')} ("id" varchar PRIMARY KEY NOT NULL, "occurred_at" datetime NOT NULL, "action" varchar(64) NOT NULL, "outcome" varchar(16) NOT NULL, "actor_kind" varchar(20), "actor_id" varchar(64), "actor_name" varchar(150), "target_type" varchar(40), "target_id" varchar(200), "ip" varchar(64), "user_agent" varchar(512), "details" text)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('audit_events')}("id", "occurred_at", "action", "outcome", "actor_kind", "actor_id", "actor_name", "target_type", "target_id", "ip", "user_agent", "details") SELECT "id", "occurred_at", "action", "outcome", "actor_kind", "actor_id", "actor_name", "target_type", "target_id", "ip", "user_agent", "details" FROM ${s.table('temporary_audit_events')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_audit_events')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_target_occurred_at_id')} ON ${s.table('audit_events')} ("target_id", "occurred_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_actor_name_occurred_at_id')} ON ${s.table('audit_events')} ("actor_name", "occurred_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_actor_id_occurred_at_id')} ON ${s.table('audit_events')} ("actor_id", "occurred_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_action_occurred_at_id')} ON ${s.table('audit_events')} ("action", "occurred_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_occurred_at_id')} ON ${s.table('audit_events')} ("occurred_at", "id") `);
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
