import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class EventOutboxSqlite1796557827494 implements MigrationInterface {
  name = 'EventOutboxSqlite1796557827494';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('event_outbox')} ("id" varchar PRIMARY KEY NOT NULL, "type" varchar(64) NOT NULL, "organization_id" varchar(36), "subject" varchar(255), "payload" text NOT NULL, "occurred_at" datetime NOT NULL, "dispatched_at" datetime)`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_event_outbox_dispatched_at_occurred_at')} ON ${s.table('event_outbox')} ("dispatched_at", "occurred_at") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_event_outbox_dispatched_at_occurred_at')}`);
    await queryRunner.query(`DROP TABLE ${s.table('event_outbox')}`);
  }
}
