import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, Unique } from 'typeorm';
import { OrganizationEntity } from './organization.entity.js';

/**
 * A SCIM Group resource (SPEC §17) of one realm (an organization, or `platform`). It grants the
 * roles `auth.scim.role_mapping` named for its display name when it was created, kept here so that
 * a rename keeps them; a group created under an unmapped name grants nothing.
 *
 * @publicApi
 */
@Entity('scim_groups')
@Unique('uq_scim_groups_realm_external_id', ['realm', 'externalId'])
@Index('idx_scim_groups_realm_created_at_id', ['realm', 'createdAt', 'id'])
// `displayName eq "…"`, which Entra sends before it creates a group.
@Index('idx_scim_groups_realm_display_name_key', ['realm', 'displayNameKey'])
export class ScimGroupEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  realm!: string;

  @Column({ name: 'organization_id', type: 'uuid', nullable: true })
  organizationId!: string | null;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id' })
  organization?: Relation<OrganizationEntity>;

  @Column({ name: 'display_name', type: 'varchar', length: 256 })
  displayName!: string;

  /** Lower-cased, for filters (RFC 7643: displayName is caseExact false). */
  @Column({ name: 'display_name_key', type: 'varchar', length: 256 })
  displayNameKey!: string;

  @Column({ name: 'external_id', type: 'varchar', length: 256, nullable: true })
  externalId!: string | null;

  /** The roles its members get (org roles in an organization, platform roles otherwise), fixed at creation. */
  @Column({ name: 'mapped_roles', type: 'simple-json' })
  mappedRoles!: string[];

  @Column({ type: 'integer', default: 1 })
  version!: number;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: Date })
  updatedAt!: Date;
}
