import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class WebhookAttemptLogSqlite1796571050004 implements MigrationInterface {
  name = 'WebhookAttemptLogSqlite1796571050004';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_webhook_deliveries_status_next_attempt_at')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_webhook_deliveries_endpoint_occurred_at')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_webhook_deliveries_endpoint_subject')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_webhook_deliveries')} ("id" varchar PRIMARY KEY NOT NULL, "endpoint_id" varchar NOT NULL, "event_id" varchar NOT NULL, "event_type" varchar(64) NOT NULL, "subject" varchar(255), "occurred_at" datetime NOT NULL, "status" varchar(16) NOT NULL, "attempts" integer NOT NULL, "next_attempt_at" datetime NOT NULL, "lease_until" datetime, "last_attempt_at" datetime, "last_status_code" integer, "last_error" varchar(200), "created_at" datetime NOT NULL, "attempt_log" text, CONSTRAINT ${s.fk('webhook_deliveries', ['endpoint_id'], 'webhook_endpoints', ['id'])} FOREIGN KEY ("endpoint_id") REFERENCES ${s.table('webhook_endpoints')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_webhook_deliveries')}("id", "endpoint_id", "event_id", "event_type", "subject", "occurred_at", "status", "attempts", "next_attempt_at", "lease_until", "last_attempt_at", "last_status_code", "last_error", "created_at") SELECT "id", "endpoint_id", "event_id", "event_type", "subject", "occurred_at", "status", "attempts", "next_attempt_at", "lease_until", "last_attempt_at", "last_status_code", "last_error", "created_at" FROM ${s.table('webhook_deliveries')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('webhook_deliveries')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_webhook_deliveries')} RENAME TO ${s.table('webhook_deliveries')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_webhook_deliveries_status_next_attempt_at')} ON ${s.table('webhook_deliveries')} ("status", "next_attempt_at") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_webhook_deliveries_endpoint_occurred_at')} ON ${s.table('webhook_deliveries')} ("endpoint_id", "occurred_at") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_webhook_deliveries_endpoint_subject')} ON ${s.table('webhook_deliveries')} ("endpoint_id", "subject", "status") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_webhook_deliveries_endpoint_subject')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_webhook_deliveries_endpoint_occurred_at')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_webhook_deliveries_status_next_attempt_at')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('webhook_deliveries')} RENAME TO ${s.table('temporary_webhook_deliveries')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('webhook_deliveries')} ("id" varchar PRIMARY KEY NOT NULL, "endpoint_id" varchar NOT NULL, "event_id" varchar NOT NULL, "event_type" varchar(64) NOT NULL, "subject" varchar(255), "occurred_at" datetime NOT NULL, "status" varchar(16) NOT NULL, "attempts" integer NOT NULL, "next_attempt_at" datetime NOT NULL, "lease_until" datetime, "last_attempt_at" datetime, "last_status_code" integer, "last_error" varchar(200), "created_at" datetime NOT NULL, CONSTRAINT ${s.fk('webhook_deliveries', ['endpoint_id'], 'webhook_endpoints', ['id'])} FOREIGN KEY ("endpoint_id") REFERENCES ${s.table('webhook_endpoints')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('webhook_deliveries')}("id", "endpoint_id", "event_id", "event_type", "subject", "occurred_at", "status", "attempts", "next_attempt_at", "lease_until", "last_attempt_at", "last_status_code", "last_error", "created_at") SELECT "id", "endpoint_id", "event_id", "event_type", "subject", "occurred_at", "status", "attempts", "next_attempt_at", "lease_until", "last_attempt_at", "last_status_code", "last_error", "created_at" FROM ${s.table('temporary_webhook_deliveries')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_webhook_deliveries')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_webhook_deliveries_endpoint_subject')} ON ${s.table('webhook_deliveries')} ("endpoint_id", "subject", "status") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_webhook_deliveries_endpoint_occurred_at')} ON ${s.table('webhook_deliveries')} ("endpoint_id", "occurred_at") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_webhook_deliveries_status_next_attempt_at')} ON ${s.table('webhook_deliveries')} ("status", "next_attempt_at") `);
  }
}
