import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { ScimGroupEntity } from './scim-group.entity.js';
import { ScimUserEntity } from './scim-user.entity.js';

/**
 * A SCIM User's membership of a SCIM Group of the same realm; goes with either.
 *
 * @publicApi
 */
@Entity('scim_group_members')
// A user's groups, to recompute the roles they grant.
@Index('idx_scim_group_members_user', ['scimUserId'])
export class ScimGroupMemberEntity {
  @PrimaryColumn({ name: 'group_id', type: 'uuid' })
  groupId!: string;

  @ManyToOne(() => ScimGroupEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'group_id' })
  group?: Relation<ScimGroupEntity>;

  @PrimaryColumn({ name: 'scim_user_id', type: 'uuid' })
  scimUserId!: string;

  @ManyToOne(() => ScimUserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'scim_user_id' })
  user?: Relation<ScimUserEntity>;
}
