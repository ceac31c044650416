import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class OidcLogoutPostgres1796174136880 implements MigrationInterface {
  name = 'OidcLogoutPostgres1796174136880';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('oidc_logout_tokens')} ("token_key" character varying(64) NOT NULL, "expires_at" TIMESTAMP NOT NULL, CONSTRAINT ${s.pk('oidc_logout_tokens', ['token_key'])} PRIMARY KEY ("token_key"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_oidc_logout_tokens_expires_at')} ON ${s.table('oidc_logout_tokens')}  ("expires_at") `);
    await queryRunner.query(`ALTER TABLE ${s.table('sessions')} ADD "oidc_provider" character varying(32)`);
    await queryRunner.query(`ALTER TABLE ${s.table('sessions')} ADD "oidc_subject" character varying(255)`);
    await queryRunner.query(`ALTER TABLE ${s.table('sessions')} ADD "oidc_sid" character varying(255)`);
    await queryRunner.query(`ALTER TABLE ${s.table('sessions')} ADD "oidc_id_token" text`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_sessions_oidc_subject')} ON ${s.table('sessions')}  ("oidc_provider", "oidc_subject") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_sessions_oidc_sid')} ON ${s.table('sessions')}  ("oidc_provider", "oidc_sid") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_sessions_oidc_sid')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_sessions_oidc_subject')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('sessions')} DROP COLUMN "oidc_id_token"`);
    await queryRunner.query(`ALTER TABLE ${s.table('sessions')} DROP COLUMN "oidc_sid"`);
    await queryRunner.query(`ALTER TABLE ${s.table('sessions')} DROP COLUMN "oidc_subject"`);
    await queryRunner.query(`ALTER TABLE ${s.table('sessions')} DROP COLUMN "oidc_provider"`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_oidc_logout_tokens_expires_at')}`);
    await queryRunner.query(`DROP TABLE ${s.table('oidc_logout_tokens')}`);
  }
}
