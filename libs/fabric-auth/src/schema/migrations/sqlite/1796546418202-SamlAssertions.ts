import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class SamlAssertionsSqlite1796546418202 implements MigrationInterface {
  name = 'SamlAssertionsSqlite1796546418202';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`CREATE TABLE ${s.table('saml_used_assertions')} ("assertion_key" varchar(64) PRIMARY KEY NOT NULL, "expires_at" datetime NOT NULL)`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_saml_used_assertions_expires_at')} ON ${s.table('saml_used_assertions')} ("expires_at") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_saml_used_assertions_expires_at')}`);
    await queryRunner.query(`DROP TABLE ${s.table('saml_used_assertions')}`);
  }
}
