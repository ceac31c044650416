import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class MultiFactorSqlite1796171724660 implements MigrationInterface {
  name = 'MultiFactorSqlite1796171724660';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('mfa_challenges')} ("id" varchar PRIMARY KEY NOT NULL, "kind" varchar(20) NOT NULL, "secret_hash" varchar(64) NOT NULL, "user_id" varchar, "parent_id" varchar, "first_factor" varchar(16), "failures" integer NOT NULL DEFAULT (0), "created_at" datetime NOT NULL, "expires_at" datetime NOT NULL, "consumed_at" datetime, CONSTRAINT ${s.unique('mfa_challenges', ['secret_hash'])} UNIQUE ("secret_hash"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_mfa_challenges_expires_at')} ON ${s.table('mfa_challenges')} ("expires_at") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('mfa_factors')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "type" varchar(16) NOT NULL, "name" varchar(64) NOT NULL, "created_at" datetime NOT NULL, "confirmed_at" datetime, "last_used_at" datetime, "secret_sealed" text, "last_used_step" integer, "credential_id" varchar(1400), "public_key" text, "sign_count" bigint NOT NULL DEFAULT (0), "transports" text, "backed_up" boolean NOT NULL DEFAULT (0), CONSTRAINT ${s.unique('mfa_factors', ['credential_id'])} UNIQUE ("credential_id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_mfa_factors_user_created_at')} ON ${s.table('mfa_factors')} ("user_id", "created_at") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('mfa_recovery_codes')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "code_hash" varchar(64) NOT NULL, "created_at" datetime NOT NULL, "used_at" datetime)`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_mfa_recovery_codes_user_hash')} ON ${s.table('mfa_recovery_codes')} ("user_id", "code_hash") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_sessions_user_created_at_id')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_sessions')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "refresh_token_hash" varchar(64) NOT NULL, "created_at" datetime NOT NULL, "last_used_at" datetime NOT NULL, "expires_at" datetime NOT NULL, "absolute_expires_at" datetime NOT NULL, "revoked_at" datetime, "revoked_reason" varchar(40), "ip" varchar(64), "user_agent" varchar(512), "login_method" varchar(20) NOT NULL, "amr" varchar(64), "restriction" varchar(32), CONSTRAINT ${s.unique('sessions', ['refresh_token_hash'])} UNIQUE ("refresh_token_hash"), CONSTRAINT ${s.fk('sessions', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_sessions')}("id", "user_id", "refresh_token_hash", "created_at", "last_used_at", "expires_at", "absolute_expires_at", "revoked_at", "revoked_reason", "ip", "user_agent", "login_method") SELECT "id", "user_id", "refresh_token_hash", "created_at", "last_used_at", "expires_at", "absolute_expires_at", "revoked_at", "revoked_reason", "ip", "user_agent", "login_method" FROM ${s.table('sessions')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('sessions')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_sessions')} RENAME TO ${s.table('sessions')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_sessions_user_created_at_id')} ON ${s.table('sessions')} ("user_id", "created_at", "id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_mfa_challenges_expires_at')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_mfa_challenges')} ("id" varchar PRIMARY KEY NOT NULL, "kind" varchar(20) NOT NULL, "secret_hash" varchar(64) NOT NULL, "user_id" varchar, "parent_id" varchar, "first_factor" varchar(16), "failures" integer NOT NULL DEFAULT (0), "created_at" datetime NOT NULL, "expires_at" datetime NOT NULL, "consumed_at" datetime, CONSTRAINT ${s.unique('mfa_challenges', ['secret_hash'])} UNIQUE ("secret_hash"), CONSTRAINT ${s.fk('mfa_challenges', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_mfa_challenges')}("id", "kind", "secret_hash", "user_id", "parent_id", "first_factor", "failures", "created_at", "expires_at", "consumed_at") SELECT "id", "kind", "secret_hash", "user_id", "parent_id", "first_factor", "failures", "created_at", "expires_at", "consumed_at" FROM ${s.table('mfa_challenges')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('mfa_challenges')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_mfa_challenges')} RENAME TO ${s.table('mfa_challenges')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_mfa_challenges_expires_at')} ON ${s.table('mfa_challenges')} ("expires_at") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_mfa_factors_user_created_at')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_mfa_factors')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "type" varchar(16) NOT NULL, "name" varchar(64) NOT NULL, "created_at" datetime NOT NULL, "confirmed_at" datetime, "last_used_at" datetime, "secret_sealed" text, "last_used_step" integer, "credential_id" varchar(1400), "public_key" text, "sign_count" bigint NOT NULL DEFAULT (0), "transports" text, "backed_up" boolean NOT NULL DEFAULT (0), CONSTRAINT ${s.unique('mfa_factors', ['credential_id'])} UNIQUE ("credential_id"), CONSTRAINT ${s.fk('mfa_factors', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_mfa_factors')}("id", "user_id", "type", "name", "created_at", "confirmed_at", "last_used_at", "secret_sealed", "last_used_step", "credential_id", "public_key", "sign_count", "transports", "backed_up") SELECT "id", "user_id", "type", "name", "created_at", "confirmed_at", "last_used_at", "secret_sealed", "last_used_step", "credential_id", "public_key", "sign_count", "transports", "backed_up" FROM ${s.table('mfa_factors')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('mfa_factors')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_mfa_factors')} RENAME TO ${s.table('mfa_factors')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_mfa_factors_user_created_at')} ON ${s.table('mfa_factors')} ("user_id", "created_at") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_mfa_recovery_codes_user_hash')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_mfa_recovery_codes')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "code_hash" varchar(64) NOT NULL, "created_at" datetime NOT NULL, "used_at" datetime, CONSTRAINT ${s.fk('mfa_recovery_codes', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_mfa_recovery_codes')}("id", "user_id", "code_hash", "created_at", "used_at") SELECT "id", "user_id", "code_hash", "created_at", "used_at" FROM ${s.table('mfa_recovery_codes')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('mfa_recovery_codes')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_mfa_recovery_codes')} RENAME TO ${s.table('mfa_recovery_codes')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_mfa_recovery_codes_user_hash')} ON ${s.table('mfa_recovery_codes')} ("user_id", "code_hash") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_mfa_recovery_codes_user_hash')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('mfa_recovery_codes')} RENAME TO ${s.table('temporary_mfa_recovery_codes')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('mfa_recovery_codes')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "code_hash" varchar(64) NOT NULL, "created_at" datetime NOT NULL, "used_at" datetime)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('mfa_recovery_codes')}("id", "user_id", "code_hash", "created_at", "used_at") SELECT "id", "user_id", "code_hash", "created_at", "used_at" FROM ${s.table('temporary_mfa_recovery_codes')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_mfa_recovery_codes')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_mfa_recovery_codes_user_hash')} ON ${s.table('mfa_recovery_codes')} ("user_id", "code_hash") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_mfa_factors_user_created_at')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('mfa_factors')} RENAME TO ${s.table('temporary_mfa_factors')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('mfa_factors')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "type" varchar(16) NOT NULL, "name" varchar(64) NOT NULL, "created_at" datetime NOT NULL, "confirmed_at" datetime, "last_used_at" datetime, "secret_sealed" text, "last_used_step" integer, "credential_id" varchar(1400), "public_key" text, "sign_count" bigint NOT NULL DEFAULT (0), "transports" text, "backed_up" boolean NOT NULL DEFAULT (0), CONSTRAINT ${s.unique('mfa_factors', ['credential_id'])} UNIQUE ("credential_id"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('mfa_factors')}("id", "user_id", "type", "name", "created_at", "confirmed_at", "last_used_at", "secret_sealed", "last_used_step", "credential_id", "public_key", "sign_count", "transports", "backed_up") SELECT "id", "user_id", "type", "name", "created_at", "confirmed_at", "last_used_at", "secret_sealed", "last_used_step", "credential_id", "public_key", "sign_count", "transports", "backed_up" FROM ${s.table('temporary_mfa_factors')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_mfa_factors')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_mfa_factors_user_created_at')} ON ${s.table('mfa_factors')} ("user_id", "created_at") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_mfa_challenges_expires_at')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('mfa_challenges')} RENAME TO ${s.table('temporary_mfa_challenges')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('mfa_challenges')} ("id" varchar PRIMARY KEY NOT NULL, "kind" varchar(20) NOT NULL, "secret_hash" varchar(64) NOT NULL, "user_id" varchar, "parent_id" varchar, "first_factor" varchar(16), "failures" integer NOT NULL DEFAULT (0), "created_at" datetime NOT NULL, "expires_at" datetime NOT NULL, "consumed_at" datetime, CONSTRAINT ${s.unique('mfa_challenges', ['secret_hash'])} UNIQUE ("secret_hash"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('mfa_challenges')}("id", "kind", "secret_hash", "user_id", "parent_id", "first_factor", "failures", "created_at", "expires_at", "consumed_at") SELECT "id", "kind", "secret_hash", "user_id", "parent_id", "first_factor", "failures", "created_at", "expires_at", "consumed_at" FROM ${s.table('temporary_mfa_challenges')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_mfa_challenges')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_mfa_challenges_expires_at')} ON ${s.table('mfa_challenges')} ("expires_at") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_sessions_user_created_at_id')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('sessions')} RENAME TO ${s.table('temporary_sessions')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('sessions')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "refresh_token_hash" varchar(64) NOT NULL, "created_at" datetime NOT NULL, "last_used_at" datetime NOT NULL, "expires_at" datetime NOT NULL, "absolute_expires_at" datetime NOT NULL, "revoked_at" datetime, "revoked_reason" varchar(40), "ip" varchar(64), "user_agent" varchar(512), "login_method" varchar(20) NOT NULL, CONSTRAINT ${s.unique('sessions', ['refresh_token_hash'])} UNIQUE ("refresh_token_hash"), CONSTRAINT ${s.fk('sessions', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('sessions')}("id", "user_id", "refresh_token_hash", "created_at", "last_used_at", "expires_at", "absolute_expires_at", "revoked_at", "revoked_reason", "ip", "user_agent", "login_method") SELECT "id", "user_id", "refresh_token_hash", "created_at", "last_used_at", "expires_at", "absolute_expires_at", "revoked_at", "revoked_reason", "ip", "user_agent", "login_method" FROM ${s.table('temporary_sessions')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_sessions')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_sessions_user_created_at_id')} ON ${s.table('sessions')} ("user_id", "created_at", "id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_mfa_recovery_codes_user_hash')}`);
    await queryRunner.query(`DROP TABLE ${s.table('mfa_recovery_codes')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_mfa_factors_user_created_at')}`);
    await queryRunner.query(`DROP TABLE ${s.table('mfa_factors')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_mfa_challenges_expires_at')}`);
    await queryRunner.query(`DROP TABLE ${s.table('mfa_challenges')}`);
  }
}
