import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class ListIndexesSqlite1764370000000 implements MigrationInterface {
  name = 'ListIndexesSqlite1764370000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_service_accounts_created_at')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_users_created_at')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_users_is_active')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_service_account')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_user')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_occurred_at')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_action')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_actor')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_target')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_sessions_user')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_service_accounts_created_at_id')} ON ${s.table('service_accounts')} ("created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_users_is_active_created_at_id')} ON ${s.table('users')} ("is_active", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_users_created_at_id')} ON ${s.table('users')} ("created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_service_account_created_at_id')} ON ${s.table('api_keys')} ("service_account_id", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_user_created_at_id')} ON ${s.table('api_keys')} ("user_id", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_target_occurred_at_id')} ON ${s.table('audit_events')} ("target_id", "occurred_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_actor_name_occurred_at_id')} ON ${s.table('audit_events')} ("actor_name", "occurred_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_actor_id_occurred_at_id')} ON ${s.table('audit_events')} ("actor_id", "occurred_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_action_occurred_at_id')} ON ${s.table('audit_events')} ("action", "occurred_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_occurred_at_id')} ON ${s.table('audit_events')} ("occurred_at", "id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_sessions_user_created_at_id')} ON ${s.table('sessions')} ("user_id", "created_at", "id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_sessions_user_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_occurred_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_action_occurred_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_actor_id_occurred_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_actor_name_occurred_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_audit_events_target_occurred_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_user_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_api_keys_service_account_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_users_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_users_is_active_created_at_id')}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_service_accounts_created_at_id')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_sessions_user')} ON ${s.table('sessions')} ("user_id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_target')} ON ${s.table('audit_events')} ("target_id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_actor')} ON ${s.table('audit_events')} ("actor_id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_action')} ON ${s.table('audit_events')} ("action") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_audit_events_occurred_at')} ON ${s.table('audit_events')} ("occurred_at") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_user')} ON ${s.table('api_keys')} ("user_id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_api_keys_service_account')} ON ${s.table('api_keys')} ("service_account_id") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_users_is_active')} ON ${s.table('users')} ("is_active") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_users_created_at')} ON ${s.table('users')} ("created_at") `);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_service_accounts_created_at')} ON ${s.table('service_accounts')} ("created_at") `);
  }
}
