import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { OrganizationEntity } from './organization.entity.js';

/**
 * A single sign-on connection an organization configured for itself (SPEC §16): an OIDC
 * provider (issuer, client id, client secret sealed at rest) or a SAML IdP (metadata XML or a
 * metadata URL). People signing in through it join the organization with the org roles its
 * `roleMapping` gives them.
 *
 * @publicApi
 */
@Entity('organization_sso_connections')
@Index('idx_organization_sso_connections_org', ['organizationId', 'createdAt'])
export class OrganizationSsoConnectionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id' })
  organization?: Relation<OrganizationEntity>;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /** `oidc` or `saml`; fixed at creation. */
  @Column({ type: 'varchar', length: 8 })
  protocol!: string;

  /** Off: no login through it, and discovery does not route to it. */
  @Column({ type: Boolean, default: true })
  enabled!: boolean;

  @Column({ name: 'oidc_issuer', type: 'varchar', length: 2048, nullable: true })
  oidcIssuer!: string | null;

  @Column({ name: 'oidc_client_id', type: 'varchar', length: 255, nullable: true })
  oidcClientId!: string | null;

  /** AES-256-GCM under a key derived for this purpose, the connection's id as associated data (`KeyEncryption`). */
  @Column({ name: 'oidc_client_secret', type: 'text', nullable: true })
  oidcClientSecret!: string | null;

  @Column({ name: 'saml_idp_metadata', type: 'text', nullable: true })
  samlIdpMetadata!: string | null;

  @Column({ name: 'saml_idp_metadata_url', type: 'varchar', length: 2048, nullable: true })
  samlIdpMetadataUrl!: string | null;

  /** The claim (OIDC) or attribute (SAML) whose values `roleMapping` maps. */
  @Column({ name: 'role_claim', type: 'varchar', length: 200, nullable: true })
  roleClaim!: string | null;

  /** Claim value → org roles of the organization (never `owner`); a value it does not name grants nothing. */
  @Column({ name: 'role_mapping', type: 'simple-json' })
  roleMapping!: Record<string, string[]>;

  @Column({ name: 'jit_provisioning', type: Boolean, default: true })
  jitProvisioning!: boolean;

  @Column({ name: 'link_verified_email', type: Boolean, default: false })
  linkVerifiedEmail!: boolean;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: Date })
  updatedAt!: Date;
}
