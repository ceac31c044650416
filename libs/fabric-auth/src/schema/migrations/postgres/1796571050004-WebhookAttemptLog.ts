import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class WebhookAttemptLogPostgres1796571050004 implements MigrationInterface {
  name = 'WebhookAttemptLogPostgres1796571050004';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('webhook_deliveries')} ADD "attempt_log" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('webhook_deliveries')} DROP COLUMN "attempt_log"`);
  }
}
