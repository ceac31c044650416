import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class OrgServiceAccountsPostgres1796537399179 implements MigrationInterface {
  name = 'OrgServiceAccountsPostgres1796537399179';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('service_accounts')} ADD "organization_id" uuid`);
    await queryRunner.query(`ALTER TABLE ${s.table('service_accounts')} ADD "org_roles" text`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_service_accounts_org_created_at_id')} ON ${s.table('service_accounts')}  ("organization_id", "created_at", "id") `);
    await queryRunner.query(
      `ALTER TABLE ${s.table('service_accounts')} ADD CONSTRAINT ${s.fk('service_accounts', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('service_accounts')} DROP CONSTRAINT ${s.fk('service_accounts', ['organization_id'], 'organizations', ['id'])}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_service_accounts_org_created_at_id')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('service_accounts')} DROP COLUMN "org_roles"`);
    await queryRunner.query(`ALTER TABLE ${s.table('service_accounts')} DROP COLUMN "organization_id"`);
  }
}
