import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class ApiKeyPinnedScopesPostgres1764360000000 implements MigrationInterface {
  name = 'ApiKeyPinnedScopesPostgres1764360000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('api_keys')} ADD "scopes_pinned" boolean NOT NULL DEFAULT false`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('api_keys')} DROP COLUMN "scopes_pinned"`);
  }
}
