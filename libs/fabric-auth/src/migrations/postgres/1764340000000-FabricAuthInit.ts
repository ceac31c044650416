import type { MigrationInterface, QueryRunner } from 'typeorm';

export class FabricAuthInitPostgres1764340000000 implements MigrationInterface {
  name = 'FabricAuthInitPostgres1764340000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "audit_events" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "occurred_at" TIMESTAMP NOT NULL, "action" character varying(64) NOT NULL, "outcome" character varying(16) NOT NULL, "actor_kind" character varying(20), "actor_id" character varying(64), "actor_name" character varying(150), "target_type" character varying(40), "target_id" character varying(200), "ip" character varying(64), "user_agent" character varying(512), "details" text, CONSTRAINT "PK_910f64d901a5c3e9878f0d4a407" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_audit_events_target" ON "audit_events"  ("target_id") `);
    await queryRunner.query(`CREATE INDEX "idx_audit_events_actor" ON "audit_events"  ("actor_id") `);
    await queryRunner.query(`CREATE INDEX "idx_audit_events_action" ON "audit_events"  ("action") `);
    await queryRunner.query(`CREATE INDEX "idx_audit_events_occurred_at" ON "audit_events"  ("occurred_at") `);
    await queryRunner.query(`CREATE TABLE "service_accounts" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "name" character varying(100) NOT NULL, "description" character varying(500), "is_active" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, CONSTRAINT "UQ_7a7ea314cf134bcef1b99d36711" UNIQUE ("name"), CONSTRAINT "PK_e2fb216fdc1db94c5e4da7d88fa" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_service_accounts_created_at" ON "service_accounts"  ("created_at") `);
    await queryRunner.query(`CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "username" character varying(150) NOT NULL, "email" character varying(320), "full_name" character varying(200), "password_hash" character varying(100), "is_active" boolean NOT NULL DEFAULT true, "is_system_admin" boolean NOT NULL DEFAULT false, "email_verified" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, "last_login_at" TIMESTAMP, "password_changed_at" TIMESTAMP, CONSTRAINT "UQ_fe0bb3f6520ee0469504521e710" UNIQUE ("username"), CONSTRAINT "UQ_97672ac88f789774dd47f7c8be3" UNIQUE ("email"), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_users_is_active" ON "users"  ("is_active") `);
    await queryRunner.query(`CREATE INDEX "idx_users_created_at" ON "users"  ("created_at") `);
    await queryRunner.query(`CREATE TABLE "roles" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "name" character varying(64) NOT NULL, "description" character varying(500), "permissions" text NOT NULL, "from_config" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, CONSTRAINT "UQ_648e3f5447f725579d7d4ffdfb7" UNIQUE ("name"), CONSTRAINT "PK_c1433d71a4838793a49dcad46ab" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE TABLE "role_assignments" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "role_id" uuid NOT NULL, "user_id" uuid, "service_account_id" uuid, "created_at" TIMESTAMP NOT NULL, CONSTRAINT "uq_role_assignments_service_account" UNIQUE ("role_id", "service_account_id"), CONSTRAINT "uq_role_assignments_user" UNIQUE ("role_id", "user_id"), CONSTRAINT "PK_fc2df9835ac1d2a34839f113783" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_role_assignments_service_account" ON "role_assignments"  ("service_account_id") `);
    await queryRunner.query(`CREATE INDEX "idx_role_assignments_user" ON "role_assignments"  ("user_id") `);
    await queryRunner.query(`CREATE TABLE "sessions" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "user_id" uuid NOT NULL, "refresh_token_hash" character varying(64) NOT NULL, "created_at" TIMESTAMP NOT NULL, "last_used_at" TIMESTAMP NOT NULL, "expires_at" TIMESTAMP NOT NULL, "absolute_expires_at" TIMESTAMP NOT NULL, "revoked_at" TIMESTAMP, "revoked_reason" character varying(40), "ip" character varying(64), "user_agent" character varying(512), "login_method" character varying(20) NOT NULL, CONSTRAINT "UQ_d6185b2849a1e4d0c067a57ca89" UNIQUE ("refresh_token_hash"), CONSTRAINT "PK_3238ef96f18b355b671619111bc" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_sessions_user" ON "sessions"  ("user_id") `);
    await queryRunner.query(`CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "name" character varying(100) NOT NULL, "prefix" character varying(32) NOT NULL, "key_hash" character varying(64) NOT NULL, "previous_key_hash" character varying(64), "previous_key_expires_at" TIMESTAMP, "user_id" uuid, "service_account_id" uuid, "scopes" text, "expires_at" TIMESTAMP, "created_at" TIMESTAMP NOT NULL, "last_used_at" TIMESTAMP, "use_count" integer NOT NULL DEFAULT '0', "revoked_at" TIMESTAMP, CONSTRAINT "UQ_57384430aa1959f4578046c9b81" UNIQUE ("key_hash"), CONSTRAINT "UQ_3a5d4e164cbc2303c3cd59cce0e" UNIQUE ("previous_key_hash"), CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_api_keys_service_account" ON "api_keys"  ("service_account_id") `);
    await queryRunner.query(`CREATE INDEX "idx_api_keys_user" ON "api_keys"  ("user_id") `);
    await queryRunner.query(`CREATE TABLE "one_time_tokens" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "user_id" uuid NOT NULL, "purpose" character varying(20) NOT NULL, "token_hash" character varying(64) NOT NULL, "created_at" TIMESTAMP NOT NULL, "expires_at" TIMESTAMP NOT NULL, "used_at" TIMESTAMP, CONSTRAINT "UQ_22e595d22f108ce4f2843e043ae" UNIQUE ("token_hash"), CONSTRAINT "PK_8e470cc9ffc1b2afa054304db17" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_one_time_tokens_user_purpose" ON "one_time_tokens"  ("user_id", "purpose") `);
    await queryRunner.query(`ALTER TABLE "role_assignments" ADD CONSTRAINT "FK_a0268fc16c3777758f7683a4401" FOREIGN KEY ("role_id") REFERENCES "roles"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "role_assignments" ADD CONSTRAINT "FK_d91c8ac0c10fd8c6acdcc5ee946" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "role_assignments" ADD CONSTRAINT "FK_97dfd204b5ee0882ec70b017430" FOREIGN KEY ("service_account_id") REFERENCES "service_accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "sessions" ADD CONSTRAINT "FK_085d540d9f418cfbdc7bd55bb19" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "api_keys" ADD CONSTRAINT "FK_a3baee01d8408cd3c0f89a9a973" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "api_keys" ADD CONSTRAINT "FK_8c7febb598041447e7474ba66d2" FOREIGN KEY ("service_account_id") REFERENCES "service_accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "one_time_tokens" ADD CONSTRAINT "FK_0dc2deee64e514ad6f7e69504e1" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "one_time_tokens" DROP CONSTRAINT "FK_0dc2deee64e514ad6f7e69504e1"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP CONSTRAINT "FK_8c7febb598041447e7474ba66d2"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP CONSTRAINT "FK_a3baee01d8408cd3c0f89a9a973"`);
    await queryRunner.query(`ALTER TABLE "sessions" DROP CONSTRAINT "FK_085d540d9f418cfbdc7bd55bb19"`);
    await queryRunner.query(`ALTER TABLE "role_assignments" DROP CONSTRAINT "FK_97dfd204b5ee0882ec70b017430"`);
    await queryRunner.query(`ALTER TABLE "role_assignments" DROP CONSTRAINT "FK_d91c8ac0c10fd8c6acdcc5ee946"`);
    await queryRunner.query(`ALTER TABLE "role_assignments" DROP CONSTRAINT "FK_a0268fc16c3777758f7683a4401"`);
    await queryRunner.query(`DROP INDEX "public"."idx_one_time_tokens_user_purpose"`);
    await queryRunner.query(`DROP TABLE "one_time_tokens"`);
    await queryRunner.query(`DROP INDEX "public"."idx_api_keys_user"`);
    await queryRunner.query(`DROP INDEX "public"."idx_api_keys_service_account"`);
    await queryRunner.query(`DROP TABLE "api_keys"`);
    await queryRunner.query(`DROP INDEX "public"."idx_sessions_user"`);
    await queryRunner.query(`DROP TABLE "sessions"`);
    await queryRunner.query(`DROP INDEX "public"."idx_role_assignments_user"`);
    await queryRunner.query(`DROP INDEX "public"."idx_role_assignments_service_account"`);
    await queryRunner.query(`DROP TABLE "role_assignments"`);
    await queryRunner.query(`DROP TABLE "roles"`);
    await queryRunner.query(`DROP INDEX "public"."idx_users_created_at"`);
    await queryRunner.query(`DROP INDEX "public"."idx_users_is_active"`);
    await queryRunner.query(`DROP TABLE "users"`);
    await queryRunner.query(`DROP INDEX "public"."idx_service_accounts_created_at"`);
    await queryRunner.query(`DROP TABLE "service_accounts"`);
    await queryRunner.query(`DROP INDEX "public"."idx_audit_events_occurred_at"`);
    await queryRunner.query(`DROP INDEX "public"."idx_audit_events_action"`);
    await queryRunner.query(`DROP INDEX "public"."idx_audit_events_actor"`);
    await queryRunner.query(`DROP INDEX "public"."idx_audit_events_target"`);
    await queryRunner.query(`DROP TABLE "audit_events"`);
  }
}
