import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class FabricAuthInitPostgres1764340000000 implements MigrationInterface {
  name = 'FabricAuthInitPostgres1764340000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('audit_events')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "occurred_at" TIMESTAMP NOT NULL, "action" character varying(64) NOT NULL, "outcome" character varying(16) NOT NULL, "actor_kind" character varying(20), "actor_id" character varying(64), "actor_name" character varying(150), "target_type" character varying(40), "target_id" character varying(200), "ip" character varying(64), "user_agent" character varying(512), "details" text, CONSTRAINT ${s.pk('audit_events', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_target')} ON ${s.table('audit_events')}  ("target_id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_actor')} ON ${s.table('audit_events')}  ("actor_id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_action')} ON ${s.table('audit_events')}  ("action") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_occurred_at')} ON ${s.table('audit_events')}  ("occurred_at") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('service_accounts')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "name" character varying(100) NOT NULL, "description" character varying(500), "is_active" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, CONSTRAINT ${s.unique('service_accounts', ['name'])} UNIQUE ("name"), CONSTRAINT ${s.pk('service_accounts', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_service_accounts_created_at')} ON ${s.table('service_accounts')}  ("created_at") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('users')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "username" character varying(150) NOT NULL, "email" character varying(320), "full_name" character varying(200), "password_hash" character varying(100), "is_active" boolean NOT NULL DEFAULT true, "is_system_admin" boolean NOT NULL DEFAULT false, "email_verified" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, "last_login_at" TIMESTAMP, "password_changed_at" TIMESTAMP, CONSTRAINT ${s.unique('users', ['username'])} UNIQUE ("username"), CONSTRAINT ${s.unique('users', ['email'])} UNIQUE ("email"), CONSTRAINT ${s.pk('users', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_users_is_active')} ON ${s.table('users')}  ("is_active") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_users_created_at')} ON ${s.table('users')}  ("created_at") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('roles')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "name" character varying(64) NOT NULL, "description" character varying(500), "permissions" text NOT NULL, "from_config" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, CONSTRAINT ${s.unique('roles', ['name'])} UNIQUE ("name"), CONSTRAINT ${s.pk('roles', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE ${s.table('role_assignments')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "role_id" uuid NOT NULL, "user_id" uuid, "service_account_id" uuid, "created_at" TIMESTAMP NOT NULL, CONSTRAINT ${s.name('uq_role_assignments_service_account')} UNIQUE ("role_id", "service_account_id"), CONSTRAINT ${s.name('uq_role_assignments_user')} UNIQUE ("role_id", "user_id"), CONSTRAINT ${s.pk('role_assignments', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_role_assignments_service_account')} ON ${s.table('role_assignments')}  ("service_account_id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_role_assignments_user')} ON ${s.table('role_assignments')}  ("user_id") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('sessions')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "user_id" uuid NOT NULL, "refresh_token_hash" character varying(64) NOT NULL, "created_at" TIMESTAMP NOT NULL, "last_used_at" TIMESTAMP NOT NULL, "expires_at" TIMESTAMP NOT NULL, "absolute_expires_at" TIMESTAMP NOT NULL, "revoked_at" TIMESTAMP, "revoked_reason" character varying(40), "ip" character varying(64), "user_agent" character varying(512), "login_method" character varying(20) NOT NULL, CONSTRAINT ${s.unique('sessions', ['refresh_token_hash'])} UNIQUE ("refresh_token_hash"), CONSTRAINT ${s.pk('sessions', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_sessions_user')} ON ${s.table('sessions')}  ("user_id") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('api_keys')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "name" character varying(100) NOT NULL, "prefix" character varying(32) NOT NULL, "key_hash" character varying(64) NOT NULL, "previous_key_hash" character varying(64), "previous_key_expires_at" TIMESTAMP, "user_id" uuid, "service_account_id" uuid, "scopes" text, "expires_at" TIMESTAMP, "created_at" TIMESTAMP NOT NULL, "last_used_at" TIMESTAMP, "use_count" integer NOT NULL DEFAULT '0', "revoked_at" TIMESTAMP, CONSTRAINT ${s.unique('api_keys', ['key_hash'])} UNIQUE ("key_hash"), CONSTRAINT ${s.unique('api_keys', ['previous_key_hash'])} UNIQUE ("previous_key_hash"), CONSTRAINT ${s.pk('api_keys', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_service_account')} ON ${s.table('api_keys')}  ("service_account_id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_user')} ON ${s.table('api_keys')}  ("user_id") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('one_time_tokens')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "user_id" uuid NOT NULL, "purpose" character varying(20) NOT NULL, "token_hash" character varying(64) NOT NULL, "created_at" TIMESTAMP NOT NULL, "expires_at" TIMESTAMP NOT NULL, "used_at" TIMESTAMP, CONSTRAINT ${s.unique('one_time_tokens', ['token_hash'])} UNIQUE ("token_hash"), CONSTRAINT ${s.pk('one_time_tokens', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_one_time_tokens_user_purpose')} ON ${s.table('one_time_tokens')}  ("user_id", "purpose") `);
    await queryRunner.query(
      `ALTER TABLE ${s.table('role_assignments')} ADD CONSTRAINT ${s.fk('role_assignments', ['role_id'], 'roles', ['id'])} FOREIGN KEY ("role_id") REFERENCES ${s.table('roles')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE ${s.table('role_assignments')} ADD CONSTRAINT ${s.fk('role_assignments', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE ${s.table('role_assignments')} ADD CONSTRAINT ${s.fk('role_assignments', ['service_account_id'], 'service_accounts', ['id'])} FOREIGN KEY ("service_account_id") REFERENCES ${s.table('service_accounts')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE ${s.table('sessions')} ADD CONSTRAINT ${s.fk('sessions', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE ${s.table('api_keys')} ADD CONSTRAINT ${s.fk('api_keys', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE ${s.table('api_keys')} ADD CONSTRAINT ${s.fk('api_keys', ['service_account_id'], 'service_accounts', ['id'])} FOREIGN KEY ("service_account_id") REFERENCES ${s.table('service_accounts')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE ${s.table('one_time_tokens')} ADD CONSTRAINT ${s.fk('one_time_tokens', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('one_time_tokens')} DROP CONSTRAINT ${s.fk('one_time_tokens', ['user_id'], 'users', ['id'])}`);
    await queryRunner.query(`ALTER TABLE ${s.table('api_keys')} DROP CONSTRAINT ${s.fk('api_keys', ['service_account_id'], 'service_accounts', ['id'])}`);
    await queryRunner.query(`ALTER TABLE ${s.table('api_keys')} DROP CONSTRAINT ${s.fk('api_keys', ['user_id'], 'users', ['id'])}`);
    await queryRunner.query(`ALTER TABLE ${s.table('sessions')} DROP CONSTRAINT ${s.fk('sessions', ['user_id'], 'users', ['id'])}`);
    await queryRunner.query(`ALTER TABLE ${s.table('role_assignments')} DROP CONSTRAINT ${s.fk('role_assignments', ['service_account_id'], 'service_accounts', ['id'])}`);
    await queryRunner.query(`ALTER TABLE ${s.table('role_assignments')} DROP CONSTRAINT ${s.fk('role_assignments', ['user_id'], 'users', ['id'])}`);
    await queryRunner.query(`ALTER TABLE ${s.table('role_assignments')} DROP CONSTRAINT ${s.fk('role_assignments', ['role_id'], 'roles', ['id'])}`);
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
