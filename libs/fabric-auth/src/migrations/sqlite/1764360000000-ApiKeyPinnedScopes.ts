import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ApiKeyPinnedScopesSqlite1764360000000 implements MigrationInterface {
  name = 'ApiKeyPinnedScopesSqlite1764360000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_api_keys_user"`);
    await queryRunner.query(`DROP INDEX "idx_api_keys_service_account"`);
    await queryRunner.query(`CREATE TABLE "temporary_api_keys" ("id" varchar PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "prefix" varchar(32) NOT NULL, "key_hash" varchar(64) NOT NULL, "previous_key_hash" varchar(64), "previous_key_expires_at" datetime, "user_id" varchar, "service_account_id" varchar, "scopes" text, "expires_at" datetime, "created_at" datetime NOT NULL, "last_used_at" datetime, "use_count" integer NOT NULL DEFAULT (0), "revoked_at" datetime, "scopes_pinned" boolean NOT NULL DEFAULT (0), CONSTRAINT "UQ_3a5d4e164cbc2303c3cd59cce0e" UNIQUE ("previous_key_hash"), CONSTRAINT "UQ_57384430aa1959f4578046c9b81" UNIQUE ("key_hash"), CONSTRAINT "FK_8c7febb598041447e7474ba66d2" FOREIGN KEY ("service_account_id") REFERENCES "service_accounts" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_a3baee01d8408cd3c0f89a9a973" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_api_keys"("id", "name", "prefix", "key_hash", "previous_key_hash", "previous_key_expires_at", "user_id", "service_account_id", "scopes", "expires_at", "created_at", "last_used_at", "use_count", "revoked_at") SELECT "id", "name", "prefix", "key_hash", "previous_key_hash", "previous_key_expires_at", "user_id", "service_account_id", "scopes", "expires_at", "created_at", "last_used_at", "use_count", "revoked_at" FROM "api_keys"`);
    await queryRunner.query(`DROP TABLE "api_keys"`);
    await queryRunner.query(`ALTER TABLE "temporary_api_keys" RENAME TO "api_keys"`);
    await queryRunner.query(`CREATE INDEX "idx_api_keys_user" ON "api_keys" ("user_id") `);
    await queryRunner.query(`CREATE INDEX "idx_api_keys_service_account" ON "api_keys" ("service_account_id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_api_keys_service_account"`);
    await queryRunner.query(`DROP INDEX "idx_api_keys_user"`);
    await queryRunner.query(`ALTER TABLE "api_keys" RENAME TO "temporary_api_keys"`);
    await queryRunner.query(`CREATE TABLE "api_keys" ("id" varchar PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "prefix" varchar(32) NOT NULL, "key_hash" varchar(64) NOT NULL, "previous_key_hash" varchar(64), "previous_key_expires_at" datetime, "user_id" varchar, "service_account_id" varchar, "scopes" text, "expires_at" datetime, "created_at" datetime NOT NULL, "last_used_at" datetime, "use_count" integer NOT NULL DEFAULT (0), "revoked_at" datetime, CONSTRAINT "UQ_3a5d4e164cbc2303c3cd59cce0e" UNIQUE ("previous_key_hash"), CONSTRAINT "UQ_57384430aa1959f4578046c9b81" UNIQUE ("key_hash"), CONSTRAINT "FK_8c7febb598041447e7474ba66d2" FOREIGN KEY ("service_account_id") REFERENCES "service_accounts" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_a3baee01d8408cd3c0f89a9a973" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "api_keys"("id", "name", "prefix", "key_hash", "previous_key_hash", "previous_key_expires_at", "user_id", "service_account_id", "scopes", "expires_at", "created_at", "last_used_at", "use_count", "revoked_at") SELECT "id", "name", "prefix", "key_hash", "previous_key_hash", "previous_key_expires_at", "user_id", "service_account_id", "scopes", "expires_at", "created_at", "last_used_at", "use_count", "revoked_at" FROM "temporary_api_keys"`);
    await queryRunner.query(`DROP TABLE "temporary_api_keys"`);
    await queryRunner.query(`CREATE INDEX "idx_api_keys_service_account" ON "api_keys" ("service_account_id") `);
    await queryRunner.query(`CREATE INDEX "idx_api_keys_user" ON "api_keys" ("user_id") `);
  }
}
