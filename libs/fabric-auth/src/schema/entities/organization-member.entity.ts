import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, Unique } from 'typeorm';
import { OrganizationEntity } from './organization.entity.js';
import { UserEntity } from './user.entity.js';

/**
 * A user's membership of an organization; its org roles are `organization_member_roles` rows.
 * Gone with the organization or the user.
 *
 * @publicApi
 */
@Entity('organization_members')
@Unique('uq_organization_members_org_user', ['organizationId', 'userId'])
// The two cursor walks: an organization's members, a user's organizations.
@Index('idx_organization_members_org_created_at_id', ['organizationId', 'createdAt', 'id'])
@Index('idx_organization_members_user_created_at_id', ['userId', 'createdAt', 'id'])
export class OrganizationMemberEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id' })
  organization?: Relation<OrganizationEntity>;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<UserEntity>;

  /** When the user joined. */
  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;
}
