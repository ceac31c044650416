import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class RevocationLogSqlite1764380000000 implements MigrationInterface {
  name = 'RevocationLogSqlite1764380000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('revocations')} ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "kind" varchar(20) NOT NULL, "subject" varchar(64), "created_at" datetime NOT NULL)`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_revocations_created_at')} ON ${s.table('revocations')} ("created_at") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_revocations_created_at')}`);
    await queryRunner.query(`DROP TABLE ${s.table('revocations')}`);
  }
}
