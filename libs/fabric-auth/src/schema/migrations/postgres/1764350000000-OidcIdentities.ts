import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class OidcIdentitiesPostgres1764350000000 implements MigrationInterface {
  name = 'OidcIdentitiesPostgres1764350000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('user_identities')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "user_id" uuid NOT NULL, "provider" character varying(32) NOT NULL, "issuer" character varying(500) NOT NULL, "subject" character varying(255) NOT NULL, "email" character varying(320), "created_at" TIMESTAMP NOT NULL, "last_login_at" TIMESTAMP, CONSTRAINT ${s.name('uq_user_identities_issuer_subject')} UNIQUE ("issuer", "subject"), CONSTRAINT ${s.pk('user_identities', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_user_identities_user')} ON ${s.table('user_identities')}  ("user_id") `);
    await queryRunner.query(
      `ALTER TABLE ${s.table('user_identities')} ADD CONSTRAINT ${s.fk('user_identities', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('user_identities')} DROP CONSTRAINT ${s.fk('user_identities', ['user_id'], 'users', ['id'])}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_user_identities_user')}`);
    await queryRunner.query(`DROP TABLE ${s.table('user_identities')}`);
  }
}
