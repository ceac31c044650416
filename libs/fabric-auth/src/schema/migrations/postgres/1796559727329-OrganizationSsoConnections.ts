import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class OrganizationSsoConnectionsPostgres1796559727329 implements MigrationInterface {
  name = 'OrganizationSsoConnectionsPostgres1796559727329';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_sso_connections')} ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "organization_id" uuid NOT NULL, "name" character varying(100) NOT NULL, "protocol" character varying(8) NOT NULL, "enabled" boolean NOT NULL DEFAULT true, "oidc_issuer" character varying(2048), "oidc_client_id" character varying(255), "oidc_client_secret" text, "saml_idp_metadata" text, "saml_idp_metadata_url" character varying(2048), "role_claim" character varying(200), "role_mapping" text NOT NULL, "jit_provisioning" boolean NOT NULL DEFAULT true, "link_verified_email" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, CONSTRAINT ${s.pk('organization_sso_connections', ['id'])} PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_sso_connections_org')} ON ${s.table('organization_sso_connections')}  ("organization_id", "created_at") `);
    await queryRunner.query(
      `ALTER TABLE ${s.table('organization_sso_connections')} ADD CONSTRAINT ${s.fk('organization_sso_connections', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')}("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `ALTER TABLE ${s.table('organization_sso_connections')} DROP CONSTRAINT ${s.fk('organization_sso_connections', ['organization_id'], 'organizations', ['id'])}`,
    );
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_sso_connections_org')}`);
    await queryRunner.query(`DROP TABLE ${s.table('organization_sso_connections')}`);
  }
}
