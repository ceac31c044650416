import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { OrganizationEntity } from './organization.entity.js';

/**
 * A machine principal: it authenticates with API keys only, never with a password. One owned
 * by an organization (SPEC §15) acts only in it, with the org roles it holds there, and goes
 * with it.
 *
 * @publicApi
 */
@Entity('service_accounts')
@Index('idx_service_accounts_created_at_id', ['createdAt', 'id'])
// An organization's own accounts, cursor-walked.
@Index('idx_service_accounts_org_created_at_id', ['organizationId', 'createdAt', 'id'])
export class ServiceAccountEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 100, unique: true })
  name!: string;

  @Column({ type: 'varchar', length: 500, nullable: true })
  description!: string | null;

  @Column({ name: 'is_active', type: Boolean, default: true })
  isActive!: boolean;

  /** The organization that owns it; null for a platform account (`/service-accounts`). */
  @Column({ name: 'organization_id', type: 'uuid', nullable: true })
  organizationId!: string | null;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id' })
  organization?: Relation<OrganizationEntity>;

  /** Its org roles in that organization (template or the organization's own); null for a platform account. */
  @Column({ name: 'org_roles', type: 'simple-json', nullable: true })
  orgRoles!: string[] | null;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: Date })
  updatedAt!: Date;
}
