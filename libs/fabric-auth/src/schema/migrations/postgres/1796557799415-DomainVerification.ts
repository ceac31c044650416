import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class DomainVerificationPostgres1796557799415 implements MigrationInterface {
  name = 'DomainVerificationPostgres1796557799415';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_domains')} ADD "verification_token" character varying(64)`);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_domains')} ADD "verified_by" character varying(16)`);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_domains')} ADD "verified_at" TIMESTAMP`);
    // Claims made before: a token for their TXT record; the verified ones were marked so by a platform admin.
    await queryRunner.query(`UPDATE ${s.table('organization_domains')} SET "verification_token" = replace(uuid_generate_v4()::text, '-', '')`);
    await queryRunner.query(`UPDATE ${s.table('organization_domains')} SET "verified_by" = 'admin', "verified_at" = "created_at" WHERE "verified" = TRUE`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_domains')} DROP COLUMN "verified_at"`);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_domains')} DROP COLUMN "verified_by"`);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_domains')} DROP COLUMN "verification_token"`);
  }
}
