import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class RevocationLogPostgres1764380000000 implements MigrationInterface {
  name = 'RevocationLogPostgres1764380000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('revocations')} ("id" SERIAL NOT NULL, "kind" character varying(20) NOT NULL, "subject" character varying(64), "created_at" TIMESTAMP NOT NULL, CONSTRAINT ${s.pk('revocations', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_revocations_created_at')} ON ${s.table('revocations')}  ("created_at") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_revocations_created_at')}`);
    await queryRunner.query(`DROP TABLE ${s.table('revocations')}`);
  }
}
