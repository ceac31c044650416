import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class EventOutboxPostgres1796557827494 implements MigrationInterface {
  name = 'EventOutboxPostgres1796557827494';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('event_outbox')} ("id" uuid NOT NULL, "type" character varying(64) NOT NULL, "organization_id" character varying(36), "subject" character varying(255), "payload" text NOT NULL, "occurred_at" TIMESTAMP NOT NULL, "dispatched_at" TIMESTAMP, CONSTRAINT ${s.pk('event_outbox', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_event_outbox_dispatched_at_occurred_at')} ON ${s.table('event_outbox')}  ("dispatched_at", "occurred_at") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_event_outbox_dispatched_at_occurred_at')}`);
    await queryRunner.query(`DROP TABLE ${s.table('event_outbox')}`);
  }
}
