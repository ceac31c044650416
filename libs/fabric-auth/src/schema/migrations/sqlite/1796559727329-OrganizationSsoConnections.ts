import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fabricSchema } from '../fabric-schema.js';

export class OrganizationSsoConnectionsSqlite1796559727329 implements MigrationInterface {
  name = 'OrganizationSsoConnectionsSqlite1796559727329';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_sso_connections')} ("id" varchar PRIMARY KEY NOT NULL, "organization_id" varchar NOT NULL, "name" varchar(100) NOT NULL, "protocol" varchar(8) NOT NULL, "enabled" boolean NOT NULL DEFAULT (1), "oidc_issuer" varchar(2048), "oidc_client_id" varchar(255), "oidc_client_secret" text, "saml_idp_metadata" text, "saml_idp_metadata_url" varchar(2048), "role_claim" varchar(200), "role_mapping" text NOT NULL, "jit_provisioning" boolean NOT NULL DEFAULT (1), "link_verified_email" boolean NOT NULL DEFAULT (0), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL)`,
    );
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_sso_connections_org')} ON ${s.table('organization_sso_connections')} ("organization_id", "created_at") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_sso_connections_org')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('temporary_organization_sso_connections')} ("id" varchar PRIMARY KEY NOT NULL, "organization_id" varchar NOT NULL, "name" varchar(100) NOT NULL, "protocol" varchar(8) NOT NULL, "enabled" boolean NOT NULL DEFAULT (1), "oidc_issuer" varchar(2048), "oidc_client_id" varchar(255), "oidc_client_secret" text, "saml_idp_metadata" text, "saml_idp_metadata_url" varchar(2048), "role_claim" varchar(200), "role_mapping" text NOT NULL, "jit_provisioning" boolean NOT NULL DEFAULT (1), "link_verified_email" boolean NOT NULL DEFAULT (0), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, CONSTRAINT ${s.fk('organization_sso_connections', ['organization_id'], 'organizations', ['id'])} FOREIGN KEY ("organization_id") REFERENCES ${s.table('organizations')} ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('temporary_organization_sso_connections')}("id", "organization_id", "name", "protocol", "enabled", "oidc_issuer", "oidc_client_id", "oidc_client_secret", "saml_idp_metadata", "saml_idp_metadata_url", "role_claim", "role_mapping", "jit_provisioning", "link_verified_email", "created_at", "updated_at") SELECT "id", "organization_id", "name", "protocol", "enabled", "oidc_issuer", "oidc_client_id", "oidc_client_secret", "saml_idp_metadata", "saml_idp_metadata_url", "role_claim", "role_mapping", "jit_provisioning", "link_verified_email", "created_at", "updated_at" FROM ${s.table('organization_sso_connections')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('organization_sso_connections')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('temporary_organization_sso_connections')} RENAME TO ${s.table('organization_sso_connections')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_sso_connections_org')} ON ${s.table('organization_sso_connections')} ("organization_id", "created_at") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = fabricSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_sso_connections_org')}`);
    await queryRunner.query(`ALTER TABLE ${s.table('organization_sso_connections')} RENAME TO ${s.table('temporary_organization_sso_connections')}`);
    await queryRunner.query(
      `CREATE TABLE ${s.table('organization_sso_connections')} ("id" varchar PRIMARY KEY NOT NULL, "organization_id" varchar NOT NULL, "name" varchar(100) NOT NULL, "protocol" varchar(8) NOT NULL, "enabled" boolean NOT NULL DEFAULT (1), "oidc_issuer" varchar(2048), "oidc_client_id" varchar(255), "oidc_client_secret" text, "saml_idp_metadata" text, "saml_idp_metadata_url" varchar(2048), "role_claim" varchar(200), "role_mapping" text NOT NULL, "jit_provisioning" boolean NOT NULL DEFAULT (1), "link_verified_email" boolean NOT NULL DEFAULT (0), "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL)`,
    );
    await queryRunner.query(
      `INSERT INTO ${s.table('organization_sso_connections')}("id", "organization_id", "name", "protocol", "enabled", "oidc_issuer", "oidc_client_id", "oidc_client_secret", "saml_idp_metadata", "saml_idp_metadata_url", "role_claim", "role_mapping", "jit_provisioning", "link_verified_email", "created_at", "updated_at") SELECT "id", "organization_id", "name", "protocol", "enabled", "oidc_issuer", "oidc_client_id", "oidc_client_secret", "saml_idp_metadata", "saml_idp_metadata_url", "role_claim", "role_mapping", "jit_provisioning", "link_verified_email", "created_at", "updated_at" FROM ${s.table('temporary_organization_sso_connections')}`,
    );
    await queryRunner.query(`DROP TABLE ${s.table('temporary_organization_sso_connections')}`);
    await queryRunner.query(`CREATE INDEX ${s.name('idx_organization_sso_connections_org')} ON ${s.table('organization_sso_connections')} ("organization_id", "created_at") `);
    await queryRunner.query(`DROP INDEX ${s.name('idx_organization_sso_connections_org')}`);
    await queryRunner.query(`DROP TABLE ${s.table('organization_sso_connections')}`);
  }
}
