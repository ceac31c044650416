import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class MultiFactorPostgres1796171724660 implements MigrationInterface {
  name = 'MultiFactorPostgres1796171724660';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('mfa_challenges')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "kind" character varying(20) NOT NULL, "secret_hash" character varying(64) NOT NULL, "user_id" uuid, "parent_id" uuid, "first_factor" character varying(16), "failures" integer NOT NULL DEFAULT '0', "created_at" TIMESTAMP NOT NULL, "expires_at" TIMESTAMP NOT NULL, "consumed_at" TIMESTAMP, CONSTRAINT ${s.unique('mfa_challenges', ['secret_hash'])} UNIQUE ("secret_hash"), CONSTRAINT ${s.pk('mfa_challenges', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_mfa_challenges_expires_at')} ON ${s.table('mfa_challenges')}  ("expires_at") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('mfa_factors')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "user_id" uuid NOT NULL, "type" character varying(16) NOT NULL, "name" character varying(64) NOT NULL, "created_at" TIMESTAMP NOT NULL, "confirmed_at" TIMESTAMP, "last_used_at" TIMESTAMP, "secret_sealed" text, "last_used_step" integer, "credential_id" character varying(1400), "public_key" text, "sign_count" bigint NOT NULL DEFAULT '0', "transports" text, "backed_up" boolean NOT NULL DEFAULT false, CONSTRAINT ${s.unique('mfa_factors', ['credential_id'])} UNIQUE ("credential_id"), CONSTRAINT ${s.pk('mfa_factors', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_mfa_factors_user_created_at')} ON ${s.table('mfa_factors')}  ("user_id", "created_at") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('mfa_recovery_codes')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "user_id" uuid NOT NULL, "code_hash" character varying(64) NOT NULL, "created_at" TIMESTAMP NOT NULL, "used_at" TIMESTAMP, CONSTRAINT ${s.pk('mfa_recovery_codes', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_mfa_recovery_codes_user_hash')} ON ${s.table('mfa_recovery_codes')}  ("user_id", "code_hash") `);
    await queryRunner.query(`ALTER TABLE ${s.table('sessions')} ADD "amr" character varying(64)`);
    await queryRunner.query(`ALTER TABLE ${s.table('sessions')} ADD "restriction" character varying(32)`);
    await queryRunner.query(
      `ALTER TABLE ${s.table('mfa_challenges')} ADD CONSTRAINT ${s.fk('mfa_challenges', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE ${s.table('mfa_factors')} ADD CONSTRAINT ${s.fk('mfa_factors', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE ${s.table('mfa_recovery_codes')} ADD CONSTRAINT ${s.fk('mfa_recovery_codes', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('mfa_recovery_codes')} DROP CONSTRAINT ${s.fk('mfa_recovery_codes', ['user_id'], 'users', ['id'])}`);
    await queryRunner.query(`ALTER TABLE ${s.table('mfa_factors')} DROP CONSTRAINT ${s.fk('mfa_factors', ['user_id'], 'users', ['id'])}`);
    await queryRunner.query(`ALTER TABLE ${s.table('mfa_challenges')} DROP CONSTRAINT ${s.fk('mfa_challenges', ['user_id'], 'users', ['id'])}`);
    await queryRunner.query(`ALTER TABLE ${s.table('sessions')} DROP COLUMN "restriction"`);
    await queryRunner.query(`ALTER TABLE ${s.table('sessions')} DROP COLUMN "amr"`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_mfa_recovery_codes_user_hash')}`);
    await queryRunner.query(`DROP TABLE ${s.table('mfa_recovery_codes')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_mfa_factors_user_created_at')}`);
    await queryRunner.query(`DROP TABLE ${s.table('mfa_factors')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_mfa_challenges_expires_at')}`);
    await queryRunner.query(`DROP TABLE ${s.table('mfa_challenges')}`);
  }
}
