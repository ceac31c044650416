import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class SessionOrganizationPostgres1796180000000 implements MigrationInterface {
  name = 'SessionOrganizationPostgres1796180000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('sessions')} ADD "active_org_id" uuid`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('sessions')} DROP COLUMN "active_org_id"`);
  }
}
