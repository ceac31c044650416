import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { OrganizationEntity } from './organization.entity.js';
import { UserEntity } from './user.entity.js';

/**
 * An invitation to join an organization: bound to one email address, single use, expiring.
 * The raw token is shown once to its creator and sent through the notifier; only its SHA-256
 * is kept.
 *
 * @publicApi
 */
@Entity('organization_invitations')
@Index('idx_organization_invitations_org_created_at_id', ['organizationId', 'createdAt', 'id'])
@Index('idx_organization_invitations_org_email', ['organizationId', 'email'])
@Index('idx_organization_invitations_expires_at', ['expiresAt'])
export class OrganizationInvitationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id' })
  organization?: Relation<OrganizationEntity>;

  /** Normalised as account emails are (NFKC, lower case). */
  @Column({ type: 'varchar', length: 320 })
  email!: string;

  /** Org roles the invitee gets on accepting. */
  @Column({ name: 'role_names', type: 'simple-json' })
  roles!: string[];

  /** SHA-256 (hex) of the token sent to the invitee. */
  @Column({ name: 'token_hash', type: 'varchar', length: 64, unique: true })
  tokenHash!: string;

  /** The user who invited; null once that account is deleted. */
  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'created_by' })
  creator?: Relation<UserEntity>;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: Date })
  expiresAt!: Date;

  @Column({ name: 'accepted_at', type: Date, nullable: true })
  acceptedAt!: Date | null;

  /** The user who accepted it; null until then, and once that account is deleted. */
  @Column({ name: 'accepted_by', type: 'uuid', nullable: true })
  acceptedBy!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'accepted_by' })
  acceptor?: Relation<UserEntity>;
}
