import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, Unique } from 'typeorm';
import { ServiceAccountEntity } from './service-account.entity.js';
import { UserEntity } from './user.entity.js';
import { RoleEntity } from './role.entity.js';

/**
 * Links a role to exactly one principal: a user or a service account.
 *
 * @publicApi
 */
@Entity('role_assignments')
@Unique('uq_role_assignments_user', ['roleId', 'userId'])
@Unique('uq_role_assignments_service_account', ['roleId', 'serviceAccountId'])
@Index('idx_role_assignments_user', ['userId'])
@Index('idx_role_assignments_service_account', ['serviceAccountId'])
export class RoleAssignmentEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'role_id', type: 'uuid' })
  roleId!: string;

  @ManyToOne(() => RoleEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'role_id' })
  role?: Relation<RoleEntity>;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<UserEntity>;

  @Column({ name: 'service_account_id', type: 'uuid', nullable: true })
  serviceAccountId!: string | null;

  @ManyToOne(() => ServiceAccountEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'service_account_id' })
  serviceAccount?: Relation<ServiceAccountEntity>;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;
}
