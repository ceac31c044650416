import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { OrganizationEntity } from './organization.entity.js';
import { ServiceAccountEntity } from './service-account.entity.js';
import { UserEntity } from './user.entity.js';

/**
 * A scoped machine credential owned by a user or a service account; or a SCIM token (`scim`),
 * which has no owner and provisions one organization (or the platform) through the SCIM routes only.
 *
 * @publicApi
 */
@Entity('api_keys')
@Index('idx_api_keys_user_created_at_id', ['userId', 'createdAt', 'id'])
@Index('idx_api_keys_service_account_created_at_id', ['serviceAccountId', 'createdAt', 'id'])
// An organization's SCIM tokens, listed newest first.
@Index('idx_api_keys_org_created_at_id', ['organizationId', 'createdAt', 'id'])
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /** The first characters of the raw key, shown in listings so people can tell keys apart. */
  @Column({ type: 'varchar', length: 32 })
  prefix!: string;

  /** SHA-256 (hex) of the raw key. */
  @Column({ name: 'key_hash', type: 'varchar', length: 64, unique: true })
  keyHash!: string;

  /** Digest of the secret replaced by the last reroll, accepted until `previous_key_expires_at`. */
  @Column({ name: 'previous_key_hash', type: 'varchar', length: 64, unique: true, nullable: true })
  previousKeyHash!: string | null;

  @Column({ name: 'previous_key_expires_at', type: Date, nullable: true })
  previousKeyExpiresAt!: Date | null;

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

  /** A SCIM token (SPEC §17): neither user nor service account owns it; FabricGuard admits it on the SCIM routes only. */
  @Column({ type: Boolean, default: false })
  scim!: boolean;

  /** A SCIM token's organization (null: the platform's token, organizations off); null for every other key. */
  @Column({ name: 'organization_id', type: 'uuid', nullable: true })
  organizationId!: string | null;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id' })
  organization?: Relation<OrganizationEntity>;

  /** Permissions the key is limited to; null means the owner's permissions. */
  @Column({ type: 'simple-json', nullable: true })
  scopes!: string[] | null;

  /**
   * The scopes were not chosen but copied from what the owner held when someone else made
   * the key: they bound it, but grant nothing "explicitly" (minting keys, changing credentials).
   */
  @Column({ name: 'scopes_pinned', type: Boolean, default: false })
  scopesPinned!: boolean;

  @Column({ name: 'expires_at', type: Date, nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: Date, nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'use_count', type: 'integer', default: 0 })
  useCount!: number;

  @Column({ name: 'revoked_at', type: Date, nullable: true })
  revokedAt!: Date | null;
}
