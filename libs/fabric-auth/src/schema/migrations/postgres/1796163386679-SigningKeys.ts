import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class SigningKeysPostgres1796163386679 implements MigrationInterface {
  name = 'SigningKeysPostgres1796163386679';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('signing_keys')} ("kid" character varying(64) NOT NULL, "algorithm" character varying(8) NOT NULL, "public_jwk" text NOT NULL, "private_key" text NOT NULL, "created_at" TIMESTAMP NOT NULL, "retires_at" TIMESTAMP, CONSTRAINT ${s.pk('signing_keys', ['kid'])} PRIMARY KEY ("kid"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_signing_keys_created_at')} ON ${s.table('signing_keys')}  ("created_at") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_signing_keys_created_at')}`);
    await queryRunner.query(`DROP TABLE ${s.table('signing_keys')}`);
  }
}
