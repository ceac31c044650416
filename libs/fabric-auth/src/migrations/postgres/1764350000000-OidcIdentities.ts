import type { MigrationInterface, QueryRunner } from 'typeorm';

export class OidcIdentitiesPostgres1764350000000 implements MigrationInterface {
  name = 'OidcIdentitiesPostgres1764350000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "user_identities" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "user_id" uuid NOT NULL, "provider" character varying(32) NOT NULL, "issuer" character varying(500) NOT NULL, "subject" character varying(255) NOT NULL, "email" character varying(320), "created_at" TIMESTAMP NOT NULL, "last_login_at" TIMESTAMP, CONSTRAINT "uq_user_identities_issuer_subject" UNIQUE ("issuer", "subject"), CONSTRAINT "PK_e23bff04e9c3e7b785e442b262c" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_user_identities_user" ON "user_identities"  ("user_id") `);
    await queryRunner.query(`ALTER TABLE "user_identities" ADD CONSTRAINT "FK_bf5fe01eb8cad7114b4c371cdc7" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "user_identities" DROP CONSTRAINT "FK_bf5fe01eb8cad7114b4c371cdc7"`);
    await queryRunner.query(`DROP INDEX "public"."idx_user_identities_user"`);
    await queryRunner.query(`DROP TABLE "user_identities"`);
  }
}
