import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SigningKeysSqlite1796159709673 implements MigrationInterface {
  name = 'SigningKeysSqlite1796159709673';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "signing_keys" ("kid" varchar(64) PRIMARY KEY NOT NULL, "algorithm" varchar(8) NOT NULL, "public_jwk" text NOT NULL, "private_key" text NOT NULL, "created_at" datetime NOT NULL, "retires_at" datetime)`);
    await queryRunner.query(`CREATE INDEX "idx_signing_keys_created_at" ON "signing_keys" ("created_at") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_signing_keys_created_at"`);
    await queryRunner.query(`DROP TABLE "signing_keys"`);
  }
}
