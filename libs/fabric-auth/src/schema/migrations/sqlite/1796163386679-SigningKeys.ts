import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class SigningKeysSqlite1796163386679 implements MigrationInterface {
  name = 'SigningKeysSqlite1796163386679';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('signing_keys')} ("kid" varchar(64) PRIMARY KEY NOT NULL, "algorithm" varchar(8) NOT NULL, "public_jwk" text NOT NULL, "private_key" text NOT NULL, "created_at" datetime NOT NULL, "retires_at" datetime)`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_signing_keys_created_at')} ON ${s.table('signing_keys')} ("created_at") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_signing_keys_created_at')}`);
    await queryRunner.query(`DROP TABLE ${s.table('signing_keys')}`);
  }
}
