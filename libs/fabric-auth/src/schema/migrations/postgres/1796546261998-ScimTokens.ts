import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class ScimTokensPostgres1796546261998 implements MigrationInterface {
  name = 'ScimTokensPostgres1796546261998';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('api_keys')} ADD "scim" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`ALTER TABLE ${s.table('api_keys')} ADD "organization_id" uuid`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_org_created_at_id')} ON ${s.table('api_keys')}  ("organization_id", "created_at", "id") `);
    await queryRunner.query(
      `ALTER TABLE ${s.table('api_keys')} ADD CONSTRAINT ${s.fk('api_keys', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('api_keys')} DROP CONSTRAINT ${s.fk('api_keys', ['organization_id'], 'organizations', ['id'])}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_org_created_at_id')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('api_keys')} DROP COLUMN "organization_id"`);
    await queryRunner.query(`ALTER TABLE ${s.table('api_keys')} DROP COLUMN "scim"`);
  }
}
