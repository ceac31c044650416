import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class OidcIdentitiesSqlite1764350000000 implements MigrationInterface {
  name = 'OidcIdentitiesSqlite1764350000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('user_identities')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "provider" varchar(32) NOT NULL, "issuer" varchar(500) NOT NULL, "subject" varchar(255) NOT NULL, "email" varchar(320), "created_at" datetime NOT NULL, "last_login_at" datetime, CONSTRAINT ${s.name('uq_user_identities_issuer_subject')} UNIQUE ("issuer", "subject"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_user_identities_user')} ON ${s.table('user_identities')} ("user_id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_user_identities_user')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_user_identities')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "provider" varchar(32) NOT NULL, "issuer" varchar(500) NOT NULL, "subject" varchar(255) NOT NULL, "email" varchar(320), "created_at" datetime NOT NULL, "last_login_at" datetime, CONSTRAINT ${s.name('uq_user_identities_issuer_subject')} UNIQUE ("issuer", "subject"), CONSTRAINT ${s.fk('user_identities', ['user_id'], 'users', ['id'])} FOREIGN KEY ("user_id") REFERENCES ${s.table('users')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_user_identities')}("id", "user_id", "provider", "issuer", "subject", "email", "created_at", "last_login_at") SELECT "id", "user_id", "provider", "issuer", "subject", "email", "created_at", "last_login_at" FROM ${s.table('user_identities')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('user_identities')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_user_identities')} RENAME TO ${s.table('user_identities')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_user_identities_user')} ON ${s.table('user_identities')} ("user_id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_user_identities_user')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('user_identities')} RENAME TO ${s.table('temporary_user_identities')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('user_identities')} ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "provider" varchar(32) NOT NULL, "issuer" varchar(500) NOT NULL, "subject" varchar(255) NOT NULL, "email" varchar(320), "created_at" datetime NOT NULL, "last_login_at" datetime, CONSTRAINT ${s.name('uq_user_identities_issuer_subject')} UNIQUE ("issuer", "subject"))`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('user_identities')}("id", "user_id", "provider", "issuer", "subject", "email", "created_at", "last_login_at") SELECT "id", "user_id", "provider", "issuer", "subject", "email", "created_at", "last_login_at" FROM ${s.table('temporary_user_identities')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_user_identities')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_user_identities_user')} ON ${s.table('user_identities')} ("user_id") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_user_identities_user')}`);
    await queryRunner.query(`DROP TABLE ${s.table('user_identities')}`);
  }
}
