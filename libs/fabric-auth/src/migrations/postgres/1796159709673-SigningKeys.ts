import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SigningKeysPostgres1796159709673 implements MigrationInterface {
  name = 'SigningKeysPostgres1796159709673';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "signing_keys" ("kid" character varying(64) NOT NULL, "algorithm" character varying(8) NOT NULL, "public_jwk" text NOT NULL, "private_key" text NOT NULL, "created_at" TIMESTAMP NOT NULL, "retires_at" TIMESTAMP, CONSTRAINT "PK_13362ac3e792c69417e1a53d355" PRIMARY KEY ("kid"))`);
    await queryRunner.query(`CREATE INDEX "idx_signing_keys_created_at" ON "signing_keys"  ("created_at") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_signing_keys_created_at"`);
    await queryRunner.query(`DROP TABLE "signing_keys"`);
  }
}
