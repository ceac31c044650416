import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class DomainVerificationSqlite1796557799415 implements MigrationInterface {
  name = 'DomainVerificationSqlite1796557799415';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('uq_organization_domains_verified')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_organization_domains')} ("id" varchar PRIMARY KEY NOT NULL, "organization_id" varchar NOT NULL, "domain" varchar(253) NOT NULL, "verified" boolean NOT NULL DEFAULT (0), "created_at" datetime NOT NULL, "verification_token" varchar(64), "verified_by" varchar(16), "verified_at" datetime, CONSTRAINT ${s.name('uq_organization_domains_org_domain')} UNIQUE ("organization_id", "domain"), CONSTRAINT ${s.fk('organization_domains', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_organization_domains')}("id", "organization_id", "domain", "verified", "created_at") SELECT "id", "organization_id", "domain", "verified", "created_at" FROM ${s.table('organization_domains')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('organization_domains')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_organization_domains')} RENAME TO ${s.table('organization_domains')}`);
    await queryRunner.query(`CREATE UNIQUE INDEX ${s.name('uq_organization_domains_verified')} ON ${s.table('organization_domains')} ("domain") WHERE "verified" = TRUE`);
    // Claims made before: a token for their TXT record; the verified ones were marked so by a platform admin.
    await queryRunner.query(`UPDATE ${s.table('organization_domains')} SET "verification_token" = lower(hex(randomblob(16)))`);
    await queryRunner.query(`UPDATE ${s.table('organization_domains')} SET "verified_by" = 'admin', "verified_at" = "created_at" WHERE "verified" = TRUE`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('uq_organization_domains_verified')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_domains')} RENAME TO ${s.table('temporary_organization_domains')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_domains')} ("id" varchar PRIMARY KEY NOT NULL, "organization_id" varchar NOT NULL, "domain" varchar(253) NOT NULL, "verified" boolean NOT NULL DEFAULT (0), "created_at" datetime NOT NULL, CONSTRAINT ${s.name('uq_organization_domains_org_domain')} UNIQUE ("organization_id", "domain"), CONSTRAINT ${s.fk('organization_domains', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('organization_domains')}("id", "organization_id", "domain", "verified", "created_at") SELECT "id", "organization_id", "domain", "verified", "created_at" FROM ${s.table('temporary_organization_domains')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_organization_domains')}`);
    await queryRunner.query(`CREATE UNIQUE INDEX ${s.name('uq_organization_domains_verified')} ON ${s.table('organization_domains')} ("domain") WHERE "verified" = TRUE`);
  }
}
