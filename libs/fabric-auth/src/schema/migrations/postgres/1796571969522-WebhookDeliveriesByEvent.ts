import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class WebhookDeliveriesByEventPostgres1796571969522 implements MigrationInterface {
  name = 'WebhookDeliveriesByEventPostgres1796571969522';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_webhook_deliveries_event_id')} ON ${s.table('webhook_deliveries')}  ("event_id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_webhook_deliveries_event_id')}`);
  }
}
