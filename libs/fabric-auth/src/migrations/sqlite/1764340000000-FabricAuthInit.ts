import type { MigrationInterface, QueryRunner } from 'typeorm';

export class FabricAuthInitSqlite1764340000000 implements MigrationInterface {
  name = 'FabricAuthInitSqlite1764340000000';

  async up(_queryRunner: QueryRunner): Promise<void> {}

  async down(_queryRunner: QueryRunner): Promise<void> {}
}
