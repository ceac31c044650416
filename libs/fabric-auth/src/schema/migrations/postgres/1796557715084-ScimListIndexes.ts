import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class ScimListIndexesPostgres1796557715084 implements MigrationInterface {
  name = 'ScimListIndexesPostgres1796557715084';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('scim_user_emails')} ("scim_user_id" uuid NOT NULL, "email_key" character varying(320) NOT NULL, "realm" character varying(64) NOT NULL, CONSTRAINT ${s.pk('scim_user_emails', ['scim_user_id', 'email_key'])} PRIMARY KEY ("scim_user_id", "email_key"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_user_emails_realm_email')} ON ${s.table('scim_user_emails')}  ("realm", "email_key") `);
    await queryRunner.query(`ALTER TABLE ${s.table('scim_groups')} ADD "display_name_key" character varying(256)`);
    await queryRunner.query(`UPDATE ${s.table('scim_groups')} SET "display_name_key" = LOWER("display_name")`);
    await queryRunner.query(`ALTER TABLE ${s.table('scim_groups')} ALTER COLUMN "display_name_key" SET NOT NULL`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_scim_groups_realm_display_name_key')} ON ${s.table('scim_groups')}  ("realm", "display_name_key") `);
    await queryRunner.query(
      `ALTER TABLE ${s.table('scim_user_emails')} ADD CONSTRAINT ${s.fk('scim_user_emails', ['scim_user_id'], 'scim_users', ['id'])} FOREIGN KEY ("scim_user_id") REFERENCES ${s.table('scim_users')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    // Existing users' emails, split out of email_keys (`\na@x\nb@y\n`).
    await queryRunner.query(
      `INSERT INTO ${s.table('scim_user_emails')}("scim_user_id", "email_key", "realm") SELECT DISTINCT "id", e, "realm" FROM ${s.table('scim_users')}, unnest(string_to_array("email_keys", E'\\n')) AS e WHERE e <> ''`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s.table('scim_user_emails')} DROP CONSTRAINT ${s.fk('scim_user_emails', ['scim_user_id'], 'scim_users', ['id'])}`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_groups_realm_display_name_key')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('scim_groups')} DROP COLUMN "display_name_key"`);
    await queryRunner.query(`DROP INDEX ${s.name('idx_scim_user_emails_realm_email')}`);
    await queryRunner.query(`DROP TABLE ${s.table('scim_user_emails')}`);
  }
}
