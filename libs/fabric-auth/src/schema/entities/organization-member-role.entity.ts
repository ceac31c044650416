import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { OrganizationMemberEntity } from './organization-member.entity.js';

/**
 * One org role of one member: a role of the configured template (`owner`, `admin`, `member`,
 * …) or one of the organization's own (`organization_roles`), by name.
 *
 * @publicApi
 */
@Entity('organization_member_roles')
// Counting an organization's owners (the last-owner rule) and removing a deleted org role from its holders.
@Index('idx_organization_member_roles_org_role', ['organizationId', 'role'])
export class OrganizationMemberRoleEntity {
  @PrimaryColumn({ name: 'member_id', type: 'uuid' })
  memberId!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  role!: string;

  @ManyToOne(() => OrganizationMemberEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'member_id' })
  member?: Relation<OrganizationMemberEntity>;

  /** The member's organization, repeated here so that the rows of one organization and role are one index range. */
  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;
}
