import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class WebhooksPostgres1796560542618 implements MigrationInterface {
  name = 'WebhooksPostgres1796560542618';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('webhook_endpoints')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "url" character varying(2048) NOT NULL, "events" text NOT NULL, "organization_id" character varying(36), "description" character varying(200), "secret_encrypted" text NOT NULL, "enabled" boolean NOT NULL, "disabled_reason" character varying(200), "failure_streak" integer NOT NULL, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, CONSTRAINT ${s.pk('webhook_endpoints', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_webhook_endpoints_organization_id')} ON ${s.table('webhook_endpoints')}  ("organization_id") `);
    await queryRunner.query(
      `CREATE TABLE ${s.table('webhook_deliveries')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "endpoint_id" uuid NOT NULL, "event_id" uuid NOT NULL, "event_type" character varying(64) NOT NULL, "subject" character varying(255), "occurred_at" TIMESTAMP NOT NULL, "status" character varying(16) NOT NULL, "attempts" integer NOT NULL, "next_attempt_at" TIMESTAMP NOT NULL, "lease_until" TIMESTAMP, "last_attempt_at" TIMESTAMP, "last_status_code" integer, "last_error" character varying(200), "created_at" TIMESTAMP NOT NULL, CONSTRAINT ${s.pk('webhook_deliveries', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_webhook_deliveries_endpoint_subject')} ON ${s.table('webhook_deliveries')}  ("endpoint_id", "subject", "status") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_webhook_deliveries_endpoint_occurred_at')} ON ${s.table('webhook_deliveries')}  ("endpoint_id", "occurred_at") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_webhook_deliveries_status_next_attempt_at')} ON ${s.table('webhook_deliveries')}  ("status", "next_attempt_at") `);
    await queryRunner.query(
      `ALTER TABLE ${s.table('webhook_deliveries')} ADD CONSTRAINT ${s.fk('webhook_deliveries', ['endpoint_id'], 'webhook_endpoints', ['id'])} FOREIGN KEY ("endpoint_id") REFERENCES ${s.table('webhook_endpoints')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('webhook_deliveries')} DROP CONSTRAINT ${s.fk('webhook_deliveries', ['endpoint_id'], 'webhook_endpoints', ['id'])}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_webhook_deliveries_status_next_attempt_at')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_webhook_deliveries_endpoint_occurred_at')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_webhook_deliveries_endpoint_subject')}`);
    await queryRunner.query(`DROP TABLE ${s.table('webhook_deliveries')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_webhook_endpoints_organization_id')}`);
    await queryRunner.query(`DROP TABLE ${s.table('webhook_endpoints')}`);
  }
}
