import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { ServiceAccountEntity } from './service-account.entity.js';
import { UserEntity } from './user.entity.js';

/**
 * A scoped machine credential owned by a user or a service account.
 *
 * @publicApi
 */
@Entity('api_keys')
@Index('idx_api_keys_user_created_at_id', ['userId', 'createdAt', 'id'])
@Index('idx_api_keys_service_account_created_at_id', ['serviceAccountId', 'createdAt', 'id'])
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
