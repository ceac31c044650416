import type { MigrationInterface, QueryRunner } from 'typeorm';

export class OidcIdentitiesSqlite1764350000000 implements MigrationInterface {
  name = 'OidcIdentitiesSqlite1764350000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "user_identities" ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "provider" varchar(32) NOT NULL, "issuer" varchar(500) NOT NULL, "subject" varchar(255) NOT NULL, "email" varchar(320), "created_at" datetime NOT NULL, "last_login_at" datetime, CONSTRAINT "uq_user_identities_issuer_subject" UNIQUE ("issuer", "subject"))`);
    await queryRunner.query(`CREATE INDEX "idx_user_identities_user" ON "user_identities" ("user_id") `);
    await queryRunner.query(`DROP INDEX "idx_user_identities_user"`);
    await queryRunner.query(`CREATE TABLE "temporary_user_identities" ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "provider" varchar(32) NOT NULL, "issuer" varchar(500) NOT NULL, "subject" varchar(255) NOT NULL, "email" varchar(320), "created_at" datetime NOT NULL, "last_login_at" datetime, CONSTRAINT "uq_user_identities_issuer_subject" UNIQUE ("issuer", "subject"), CONSTRAINT "FK_bf5fe01eb8cad7114b4c371cdc7" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_user_identities"("id", "user_id", "provider", "issuer", "subject", "email", "created_at", "last_login_at") SELECT "id", "user_id", "provider", "issuer", "subject", "email", "created_at", "last_login_at" FROM "user_identities"`);
    await queryRunner.query(`DROP TABLE "user_identities"`);
    await queryRunner.query(`ALTER TABLE "temporary_user_identities" RENAME TO "user_identities"`);
    await queryRunner.query(`CREATE INDEX "idx_user_identities_user" ON "user_identities" ("user_id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_user_identities_user"`);
    await queryRunner.query(`ALTER TABLE "user_identities" RENAME TO "temporary_user_identities"`);
    await queryRunner.query(`CREATE TABLE "user_identities" ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "provider" varchar(32) NOT NULL, "issuer" varchar(500) NOT NULL, "subject" varchar(255) NOT NULL, "email" varchar(320), "created_at" datetime NOT NULL, "last_login_at" datetime, CONSTRAINT "uq_user_identities_issuer_subject" UNIQUE ("issuer", "subject"))`);
    await queryRunner.query(`INSERT INTO "user_identities"("id", "user_id", "provider", "issuer", "subject", "email", "created_at", "last_login_at") SELECT "id", "user_id", "provider", "issuer", "subject", "email", "created_at", "last_login_at" FROM "temporary_user_identities"`);
    await queryRunner.query(`DROP TABLE "temporary_user_identities"`);
    await queryRunner.query(`CREATE INDEX "idx_user_identities_user" ON "user_identities" ("user_id") `);
    await queryRunner.query(`DROP INDEX "idx_user_identities_user"`);
    await queryRunner.query(`DROP TABLE "user_identities"`);
  }
}
