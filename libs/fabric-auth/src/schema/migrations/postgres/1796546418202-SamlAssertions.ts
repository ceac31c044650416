import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class SamlAssertionsPostgres1796546418202 implements MigrationInterface {
  name = 'SamlAssertionsPostgres1796546418202';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('saml_used_assertions')} ("assertion_key" character varying(64) NOT NULL, "expires_at" TIMESTAMP NOT NULL, CONSTRAINT ${s.pk('saml_used_assertions', ['assertion_key'])} PRIMARY KEY ("assertion_key"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_saml_used_assertions_expires_at')} ON ${s.table('saml_used_assertions')}  ("expires_at") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_saml_used_assertions_expires_at')}`);
    await queryRunner.query(`DROP TABLE ${s.table('saml_used_assertions')}`);
  }
}
