import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class FabricAuthInitSqlite1764340000000 implements MigrationInterface {
  name = 'FabricAuthInitSqlite1764340000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('audit_events')} ("id" varchar PRIMARY KEY NOT NULL, "occurred_at" datetime NOT NULL, "action" varchar(64) NOT NULL, "outcome" varchar(16) NOT NULL, "actor_kind" varchar(20), "actor_id" varchar(64), "actor_name" varchar(150), "target_type" varchar(40), "target_id" varchar(200), "ip" varchar(64), "user_agent" varchar(512), "details" text)`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_target')} ON ${s.table('audit_events')} ("target_id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_actor')} ON ${s.table('audit_events')} ("actor_id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_action')} ON ${s.table('audit_events')} ("action") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_occurred_at')} ON ${s.table('audit_events')} ("occurred_at") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('service_accounts')} ("id" varchar PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "description" varchar(500), "is_active" boolean NOT NULL DEFAULT (1), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, CONSTRAINT ${s.unique('service_accounts', ['name'])} UNIQUE ("name"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_service_accounts_created_at')} ON ${s.table('service_accounts')} ("created_at") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('users')} ("id" varchar PRIMARY KEY NOT NULL, "username" varchar(150) NOT NULL, "email" varchar(320), "full_name" varchar(200), "password_hash" varchar(100), "is_active" boolean NOT NULL DEFAULT (1), "is_system_admin" boolean NOT NULL DEFAULT (0), "email_verified" boolean NOT NULL DEFAULT (0), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, "last_login_at" datetime, "password_changed_at" datetime, CONSTRAINT ${s.unique('users', ['username'])} UNIQUE ("username"), CONSTRAINT ${s.unique('users', ['email'])} UNIQUE ("email"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_users_is_active')} ON ${s.table('users')} ("is_active") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_users_created_at')} ON ${s.table('users')} ("created_at") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('roles')} ("id" varchar PRIMARY KEY NOT NULL, "name" varchar(64) NOT NULL, "description" varchar(500), "permissions" text NOT NULL, "from_config" boolean NOT NULL DEFAULT (0), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, CONSTRAINT ${s.unique('roles', ['name'])} UNIQUE ("name"))`,
    );
    await queryRunner.query(
      `CREATE TABLE ${s.table('role_assignments')} ("id" varchar PRIMARY KEY NOT NULL, "role_id" varchar NOT NULL, "user_id" varchar, "service_account_id" varchar, "created_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_role_assignments_service_account')} UNIQUE ("role_id", "service_account_id"), CONSTRAINT ${s.name('uq_role_assignments_user')} UNIQUE ("role_id", "user_id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_role_assignments_service_account')} ON ${s.table('role_assignments')} ("service_account_id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_role_assignments_user')} ON ${s.table('role_assignments')} ("user_id") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('sessions')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "refresh_token_hash" varchar(64) NOT NULL, "created_at" datetime NOT NULL, "last_used_at" datetime NOT NULL, "expires_at" datetime NOT NULL, "absolute_expires_at" datetime NOT NULL, "revoked_at" datetime, "revoked_reason" varchar(40), "ip" varchar(64), "user_agent" varchar(512), "login_method" varchar(20) NOT NULL, CONSTRAINT ${s.unique('sessions', ['refresh_token_hash'])} UNIQUE ("refresh_token_hash"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_sessions_user')} ON ${s.table('sessions')} ("user_id") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('api_keys')} ("id" varchar PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "prefix" varchar(32) NOT NULL, "key_hash" varchar(64) NOT NULL, "previous_key_hash" varchar(64), "previous_key_expires_at" datetime, "user_id" varchar, "service_account_id" varchar, "scopes" text, "expires_at" datetime, "created_at" datetime NOT NULL, "last_used_at" datetime, "use_count" integer NOT NULL DEFAULT (0), "revoked_at" datetime, CONSTRAINT ${s.unique('api_keys', ['key_hash'])} UNIQUE ("key_hash"), CONSTRAINT ${s.unique('api_keys', ['previous_key_hash'])} UNIQUE ("previous_key_hash"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_service_account')} ON ${s.table('api_keys')} ("service_account_id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_user')} ON ${s.table('api_keys')} ("user_id") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('one_time_tokens')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "purpose" varchar(20) NOT NULL, "token_hash" varchar(64) NOT NULL, "created_at" datetime NOT NULL, "expires_at" datetime NOT NULL, "used_at" datetime, CONSTRAINT ${s.unique('one_time_tokens', ['token_hash'])} UNIQUE ("token_hash"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_one_time_tokens_user_purpose')} ON ${s.table('one_time_tokens')} ("user_id", "purpose") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_role_assignments_service_account')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_role_assignments_user')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_role_assignments')} ("id" varchar PRIMARY KEY NOT NULL, "role_id" varchar NOT NULL, "user_id" varchar, "service_account_id" varchar, "created_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_role_assignments_service_account')} UNIQUE ("role_id", "service_account_id"), CONSTRAINT ${s.name('uq_role_assignments_user')} UNIQUE ("role_id", "user_id"), CONSTRAINT ${s.fk('role_assignments', ['role_id'], 'roles', ['id'])} FOREIGN KEY ("role_id") REFERENCES ${s.table('roles')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT ${s.fk('role_assignments', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT ${s.fk('role_assignments', ['service_account_id'], 'service_accounts', ['id'])} FOREIGN KEY ("service_account_id") REFERENCES ${s.table('service_accounts')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_role_assignments')}("id", "role_id", "user_id", "service_account_id", "created_at") SELECT "id", "role_id", "user_id", "service_account_id", "created_at" FROM ${s.table('role_assignments')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('role_assignments')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_role_assignments')} RENAME TO ${s.table('role_assignments')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_role_assignments_service_account')} ON ${s.table('role_assignments')} ("service_account_id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_role_assignments_user')} ON ${s.table('role_assignments')} ("user_id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_sessions_user')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_sessions')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "refresh_token_hash" varchar(64) NOT NULL, "created_at" datetime NOT NULL, "last_used_at" datetime NOT NULL, "expires_at" datetime NOT NULL, "absolute_expires_at" datetime NOT NULL, "revoked_at" datetime, "revoked_reason" varchar(40), "ip" varchar(64), "user_agent" varchar(512), "login_method" varchar(20) NOT NULL, CONSTRAINT ${s.unique('sessions', ['refresh_token_hash'])} UNIQUE ("refresh_token_hash"), CONSTRAINT ${s.fk('sessions', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_sessions')}("id", "user_id", "refresh_token_hash", "created_at", "last_used_at", "expires_at", "absolute_expires_at", "revoked_at", "revoked_reason", "ip", "user_agent", "login_method") SELECT "id", "user_id", "refresh_token_hash", "created_at", "last_used_at", "expires_at", "absolute_expires_at", "revoked_at", "revoked_reason", "ip", "user_agent", "login_method" FROM ${s.table('sessions')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('sessions')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_sessions')} RENAME TO ${s.table('sessions')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_sessions_user')} ON ${s.table('sessions')} ("user_id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_service_account')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_user')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_api_keys')} ("id" varchar PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "prefix" varchar(32) NOT NULL, "key_hash" varchar(64) NOT NULL, "previous_key_hash" varchar(64), "previous_key_expires_at" datetime, "user_id" varchar, "service_account_id" varchar, "scopes" text, "expires_at" datetime, "created_at" datetime NOT NULL, "last_used_at" datetime, "use_count" integer NOT NULL DEFAULT (0), "revoked_at" datetime, CONSTRAINT ${s.unique('api_keys', ['key_hash'])} UNIQUE ("key_hash"), CONSTRAINT ${s.unique('api_keys', ['previous_key_hash'])} UNIQUE ("previous_key_hash"), CONSTRAINT ${s.fk('api_keys', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT ${s.fk('api_keys', ['service_account_id'], 'service_accounts', ['id'])} FOREIGN KEY ("service_account_id") REFERENCES ${s.table('service_accounts')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_api_keys')}("id", "name", "prefix", "key_hash", "previous_key_hash", "previous_key_expires_at", "user_id", "service_account_id", "scopes", "expires_at", "created_at", "last_used_at", "use_count", "revoked_at") SELECT "id", "name", "prefix", "key_hash", "previous_key_hash", "previous_key_expires_at", "user_id", "service_account_id", "scopes", "expires_at", "created_at", "last_used_at", "use_count", "revoked_at" FROM ${s.table('api_keys')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('api_keys')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_api_keys')} RENAME TO ${s.table('api_keys')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_service_account')} ON ${s.table('api_keys')} ("service_account_id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_user')} ON ${s.table('api_keys')} ("user_id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_one_time_tokens_user_purpose')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_one_time_tokens')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "purpose" varchar(20) NOT NULL, "token_hash" varchar(64) NOT NULL, "created_at" datetime NOT NULL, "expires_at" datetime NOT NULL, "used_at" datetime, CONSTRAINT ${s.unique('one_time_tokens', ['token_hash'])} UNIQUE ("token_hash"), CONSTRAINT ${s.fk('one_time_tokens', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_one_time_tokens')}("id", "user_id", "purpose", "token_hash", "created_at", "expires_at", "used_at") SELECT "id", "user_id", "purpose", "token_hash", "created_at", "expires_at", "used_at" FROM ${s.table('one_time_tokens')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('one_time_tokens')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_one_time_tokens')} RENAME TO ${s.table('one_time_tokens')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_one_time_tokens_user_purpose')} ON ${s.table('one_time_tokens')} ("user_id", "purpose") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_one_time_tokens_user_purpose')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('one_time_tokens')} RENAME TO ${s.table('temporary_one_time_tokens')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('one_time_tokens')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "purpose" varchar(20) NOT NULL, "token_hash" varchar(64) NOT NULL, "created_at" datetime NOT NULL, "expires_at" datetime NOT NULL, "used_at" datetime, CONSTRAINT ${s.unique('one_time_tokens', ['token_hash'])} UNIQUE ("token_hash"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('one_time_tokens')}("id", "user_id", "purpose", "token_hash", "created_at", "expires_at", "used_at") SELECT "id", "user_id", "purpose", "token_hash", "created_at", "expires_at", "used_at" FROM ${s.table('temporary_one_time_tokens')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_one_time_tokens')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_one_time_tokens_user_purpose')} ON ${s.table('one_time_tokens')} ("user_id", "purpose") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_user')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_service_account')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('api_keys')} RENAME TO ${s.table('temporary_api_keys')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('api_keys')} ("id" varchar PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "prefix" varchar(32) NOT NULL, "key_hash" varchar(64) NOT NULL, "previous_key_hash" varchar(64), "previous_key_expires_at" datetime, "user_id" varchar, "service_account_id" varchar, "scopes" text, "expires_at" datetime, "created_at" datetime NOT NULL, "last_used_at" datetime, "use_count" integer NOT NULL DEFAULT (0), "revoked_at" datetime, CONSTRAINT ${s.unique('api_keys', ['key_hash'])} UNIQUE ("key_hash"), CONSTRAINT ${s.unique('api_keys', ['previous_key_hash'])} UNIQUE ("previous_key_hash"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('api_keys')}("id", "name", "prefix", "key_hash", "previous_key_hash", "previous_key_expires_at", "user_id", "service_account_id", "scopes", "expires_at", "created_at", "last_used_at", "use_count", "revoked_at") SELECT "id", "name", "prefix", "key_hash", "previous_key_hash", "previous_key_expires_at", "user_id", "service_account_id", "scopes", "expires_at", "created_at", "last_used_at", "use_count", "revoked_at" FROM ${s.table('temporary_api_keys')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_api_keys')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_user')} ON ${s.table('api_keys')} ("user_id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_service_account')} ON ${s.table('api_keys')} ("service_account_id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_sessions_user')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('sessions')} RENAME TO ${s.table('temporary_sessions')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('sessions')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "refresh_token_hash" varchar(64) NOT NULL, "created_at" datetime NOT NULL, "last_used_at" datetime NOT NULL, "expires_at" datetime NOT NULL, "absolute_expires_at" datetime NOT NULL, "revoked_at" datetime, "revoked_reason" varchar(40), "ip" varchar(64), "user_agent" varchar(512), "login_method" varchar(20) NOT NULL, CONSTRAINT ${s.unique('sessions', ['refresh_token_hash'])} UNIQUE ("refresh_token_hash"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('sessions')}("id", "user_id", "refresh_token_hash", "created_at", "last_used_at", "expires_at", "absolute_expires_at", "revoked_at", "revoked_reason", "ip", "user_agent", "login_method") SELECT "id", "user_id", "refresh_token_hash", "created_at", "last_used_at", "expires_at", "absolute_expires_at", "revoked_at", "revoked_reason", "ip", "user_agent", "login_method" FROM ${s.table('temporary_sessions')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_sessions')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_sessions_user')} ON ${s.table('sessions')} ("user_id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_role_assignments_user')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_role_assignments_service_account')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('role_assignments')} RENAME TO ${s.table('temporary_role_assignments')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('role_assignments')} ("id" varchar PRIMARY KEY NOT NULL, "role_id" varchar NOT NULL, "user_id" varchar, "service_account_id" varchar, "created_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_role_assignments_service_account')} UNIQUE ("role_id", "service_account_id"), CONSTRAINT ${s.name('uq_role_assignments_user')} UNIQUE ("role_id", "user_id"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('role_assignments')}("id", "role_id", "user_id", "service_account_id", "created_at") SELECT "id", "role_id", "user_id", "service_account_id", "created_at" FROM ${s.table('temporary_role_assignments')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_role_assignments')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_role_assignments_user')} ON ${s.table('role_assignments')} ("user_id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_role_assignments_service_account')} ON ${s.table('role_assignments')} ("service_account_id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_one_time_tokens_user_purpose')}`);
    await queryRunner.query(`DROP TABLE ${s.table('one_time_tokens')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_user')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_service_account')}`);
    await queryRunner.query(`DROP TABLE ${s.table('api_keys')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_sessions_user')}`);
    await queryRunner.query(`DROP TABLE ${s.table('sessions')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_role_assignments_user')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_role_assignments_service_account')}`);
    await queryRunner.query(`DROP TABLE ${s.table('role_assignments')}`);
    await queryRunner.query(`DROP TABLE ${s.table('roles')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_users_created_at')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_users_is_active')}`);
    await queryRunner.query(`DROP TABLE ${s.table('users')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_service_accounts_created_at')}`);
    await queryRunner.query(`DROP TABLE ${s.table('service_accounts')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_occurred_at')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_action')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_actor')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_target')}`);
    await queryRunner.query(`DROP TABLE ${s.table('audit_events')}`);
  }
}
