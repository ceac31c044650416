import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class SessionOrganizationSqlite1796180000000 implements MigrationInterface {
  name = 'SessionOrganizationSqlite1796180000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_sessions_oidc_sid')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_sessions_oidc_subject')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_sessions_user_created_at_id')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_sessions')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "refresh_token_hash" varchar(64) NOT NULL, "created_at" datetime NOT NULL, "last_used_at" datetime NOT NULL, "expires_at" datetime NOT NULL, "absolute_expires_at" datetime NOT NULL, "revoked_at" datetime, "revoked_reason" varchar(40), "ip" varchar(64), "user_agent" varchar(512), "login_method" varchar(20) NOT NULL, "amr" varchar(64), "restriction" varchar(32), "oidc_provider" varchar(32), "oidc_subject" varchar(255), "oidc_sid" varchar(255), "oidc_id_token" text, "active_org_id" varchar, CONSTRAINT ${s.unique('sessions', ['refresh_token_hash'])} UNIQUE ("refresh_token_hash"), CONSTRAINT ${s.fk('sessions', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_sessions')}("id", "user_id", "refresh_token_hash", "created_at", "last_used_at", "expires_at", "absolute_expires_at", "revoked_at", "revoked_reason", "ip", "user_agent", "login_method", "amr", "restriction", "oidc_provider", "oidc_subject", "oidc_sid", "oidc_id_token") SELECT "id", "user_id", "refresh_token_hash", "created_at", "last_used_at", "expires_at", "absolute_expires_at", "revoked_at", "revoked_reason", "ip", "user_agent", "login_method", "amr", "restriction", "oidc_provider", "oidc_subject", "oidc_sid", "oidc_id_token" FROM ${s.table('sessions')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('sessions')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_sessions')} RENAME TO ${s.table('sessions')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_sessions_oidc_sid')} ON ${s.table('sessions')} ("oidc_provider", "oidc_sid") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_sessions_oidc_subject')} ON ${s.table('sessions')} ("oidc_provider", "oidc_subject") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_sessions_user_created_at_id')} ON ${s.table('sessions')} ("user_id", "created_at", "id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_sessions_user_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_sessions_oidc_subject')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_sessions_oidc_sid')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('sessions')} RENAME TO ${s.table('temporary_sessions')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('sessions')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "refresh_token_hash" varchar(64) NOT NULL, "created_at" datetime NOT NULL, "last_used_at" datetime NOT NULL, "expires_at" datetime NOT NULL, "absolute_expires_at" datetime NOT NULL, "revoked_at" datetime, "revoked_reason" varchar(40), "ip" varchar(64), "user_agent" varchar(512), "login_method" varchar(20) NOT NULL, "amr" varchar(64), "restriction" varchar(32), "oidc_provider" varchar(32), "oidc_subject" varchar(255), "oidc_sid" varchar(255), "oidc_id_token" text, CONSTRAINT ${s.unique('sessions', ['refresh_token_hash'])} UNIQUE ("refresh_token_hash"), CONSTRAINT ${s.fk('sessions', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('sessions')}("id", "user_id", "refresh_token_hash", "created_at", "last_used_at", "expires_at", "absolute_expires_at", "revoked_at", "revoked_reason", "ip", "user_agent", "login_method", "amr", "restriction", "oidc_provider", "oidc_subject", "oidc_sid", "oidc_id_token") SELECT "id", "user_id", "refresh_token_hash", "created_at", "last_used_at", "expires_at", "absolute_expires_at", "revoked_at", "revoked_reason", "ip", "user_agent", "login_method", "amr", "restriction", "oidc_provider", "oidc_subject", "oidc_sid", "oidc_id_token" FROM ${s.table('temporary_sessions')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_sessions')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_sessions_user_created_at_id')} ON ${s.table('sessions')} ("user_id", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_sessions_oidc_subject')} ON ${s.table('sessions')} ("oidc_provider", "oidc_subject") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_sessions_oidc_sid')} ON ${s.table('sessions')} ("oidc_provider", "oidc_sid") `);
  }
}
