import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class ScimTokensSqlite1796546261998 implements MigrationInterface {
  name = 'ScimTokensSqlite1796546261998';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_user_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_service_account_created_at_id')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_api_keys')} ("id" varchar PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "prefix" varchar(32) NOT NULL, "key_hash" varchar(64) NOT NULL, "previous_key_hash" varchar(64), "previous_key_expires_at" datetime, "user_id" varchar, "service_account_id" varchar, "scopes" text, "expires_at" datetime, "created_at" datetime NOT NULL, "last_used_at" datetime, "use_count" integer NOT NULL DEFAULT (0), "revoked_at" datetime, "scopes_pinned" boolean NOT NULL DEFAULT (0), "scim" boolean NOT NULL DEFAULT (0), "organization_id" varchar, CONSTRAINT ${s.unique('api_keys', ['key_hash'])} UNIQUE ("key_hash"), CONSTRAINT ${s.unique('api_keys', ['previous_key_hash'])} UNIQUE ("previous_key_hash"), CONSTRAINT ${s.fk('api_keys', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT ${s.fk('api_keys', ['service_account_id'], 'service_accounts', ['id'])} FOREIGN KEY ("service_account_id") REFERENCES ${s.table('service_accounts')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_api_keys')}("id", "name", "prefix", "key_hash", "previous_key_hash", "previous_key_expires_at", "user_id", "service_account_id", "scopes", "expires_at", "created_at", "last_used_at", "use_count", "revoked_at", "scopes_pinned") SELECT "id", "name", "prefix", "key_hash", "previous_key_hash", "previous_key_expires_at", "user_id", "service_account_id", "scopes", "expires_at", "created_at", "last_used_at", "use_count", "revoked_at", "scopes_pinned" FROM ${s.table('api_keys')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('api_keys')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_api_keys')} RENAME TO ${s.table('api_keys')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_user_created_at_id')} ON ${s.table('api_keys')} ("user_id", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_service_account_created_at_id')} ON ${s.table('api_keys')} ("service_account_id", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_org_created_at_id')} ON ${s.table('api_keys')} ("organization_id", "created_at", "id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_user_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_service_account_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_org_created_at_id')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_api_keys')} ("id" varchar PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "prefix" varchar(32) NOT NULL, "key_hash" varchar(64) NOT NULL, "previous_key_hash" varchar(64), "previous_key_expires_at" datetime, "user_id" varchar, "service_account_id" varchar, "scopes" text, "expires_at" datetime, "created_at" datetime NOT NULL, "last_used_at" datetime, "use_count" integer NOT NULL DEFAULT (0), "revoked_at" datetime, "scopes_pinned" boolean NOT NULL DEFAULT (0), "scim" boolean NOT NULL DEFAULT (0), "organization_id" varchar, CONSTRAINT ${s.unique('api_keys', ['key_hash'])} UNIQUE ("key_hash"), CONSTRAINT ${s.unique('api_keys', ['previous_key_hash'])} UNIQUE ("previous_key_hash"), CONSTRAINT ${s.fk('api_keys', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT ${s.fk('api_keys', ['service_account_id'], 'service_accounts', ['id'])} FOREIGN KEY ("service_account_id") REFERENCES ${s.table('service_accounts')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT ${s.fk('api_keys', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_api_keys')}("id", "name", "prefix", "key_hash", "previous_key_hash", "previous_key_expires_at", "user_id", "service_account_id", "scopes", "expires_at", "created_at", "last_used_at", "use_count", "revoked_at", "scopes_pinned", "scim", "organization_id") SELECT "id", "name", "prefix", "key_hash", "previous_key_hash", "previous_key_expires_at", "user_id", "service_account_id", "scopes", "expires_at", "created_at", "last_used_at", "use_count", "revoked_at", "scopes_pinned", "scim", "organization_id" FROM ${s.table('api_keys')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('api_keys')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_api_keys')} RENAME TO ${s.table('api_keys')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_user_created_at_id')} ON ${s.table('api_keys')} ("user_id", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_service_account_created_at_id')} ON ${s.table('api_keys')} ("service_account_id", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_org_created_at_id')} ON ${s.table('api_keys')} ("organization_id", "created_at", "id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_org_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_service_account_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_user_created_at_id')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('api_keys')} RENAME TO ${s.table('temporary_api_keys')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('api_keys')} ("id" varchar PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "prefix" varchar(32) NOT NULL, "key_hash" varchar(64) NOT NULL, "previous_key_hash" varchar(64), "previous_key_expires_at" datetime, "user_id" varchar, "service_account_id" varchar, "scopes" text, "expires_at" datetime, "created_at" datetime NOT NULL, "last_used_at" datetime, "use_count" integer NOT NULL DEFAULT (0), "revoked_at" datetime, "scopes_pinned" boolean NOT NULL DEFAULT (0), "scim" boolean NOT NULL DEFAULT (0), "organization_id" varchar, CONSTRAINT ${s.unique('api_keys', ['key_hash'])} UNIQUE ("key_hash"), CONSTRAINT ${s.unique('api_keys', ['previous_key_hash'])} UNIQUE ("previous_key_hash"), CONSTRAINT ${s.fk('api_keys', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT ${s.fk('api_keys', ['service_account_id'], 'service_accounts', ['id'])} FOREIGN KEY ("service_account_id") REFERENCES ${s.table('service_accounts')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('api_keys')}("id", "name", "prefix", "key_hash", "previous_key_hash", "previous_key_expires_at", "user_id", "service_account_id", "scopes", "expires_at", "created_at", "last_used_at", "use_count", "revoked_at", "scopes_pinned", "scim", "organization_id") SELECT "id", "name", "prefix", "key_hash", "previous_key_hash", "previous_key_expires_at", "user_id", "service_account_id", "scopes", "expires_at", "created_at", "last_used_at", "use_count", "revoked_at", "scopes_pinned", "scim", "organization_id" FROM ${s.table('temporary_api_keys')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_api_keys')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_org_created_at_id')} ON ${s.table('api_keys')} ("organization_id", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_service_account_created_at_id')} ON ${s.table('api_keys')} ("service_account_id", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_user_created_at_id')} ON ${s.table('api_keys')} ("user_id", "created_at", "id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_org_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_service_account_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_user_created_at_id')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('api_keys')} RENAME TO ${s.table('temporary_api_keys')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('api_keys')} ("id" varchar PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "prefix" varchar(32) NOT NULL, "key_hash" varchar(64) NOT NULL, "previous_key_hash" varchar(64), "previous_key_expires_at" datetime, "user_id" varchar, "service_account_id" varchar, "scopes" text, "expires_at" datetime, "created_at" datetime NOT NULL, "last_used_at" datetime, "use_count" integer NOT NULL DEFAULT (0), "revoked_at" datetime, "scopes_pinned" boolean NOT NULL DEFAULT (0), CONSTRAINT ${s.unique('api_keys', ['key_hash'])} UNIQUE ("key_hash"), CONSTRAINT ${s.unique('api_keys', ['previous_key_hash'])} UNIQUE ("previous_key_hash"), CONSTRAINT ${s.fk('api_keys', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT ${s.fk('api_keys', ['service_account_id'], 'service_accounts', ['id'])} FOREIGN KEY ("service_account_id") REFERENCES ${s.table('service_accounts')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('api_keys')}("id", "name", "prefix", "key_hash", "previous_key_hash", "previous_key_expires_at", "user_id", "service_account_id", "scopes", "expires_at", "created_at", "last_used_at", "use_count", "revoked_at", "scopes_pinned") SELECT "id", "name", "prefix", "key_hash", "previous_key_hash", "previous_key_expires_at", "user_id", "service_account_id", "scopes", "expires_at", "created_at", "last_used_at", "use_count", "revoked_at", "scopes_pinned" FROM ${s.table('temporary_api_keys')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_api_keys')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_service_account_created_at_id')} ON ${s.table('api_keys')} ("service_account_id", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_user_created_at_id')} ON ${s.table('api_keys')} ("user_id", "created_at", "id") `);
  }
}
