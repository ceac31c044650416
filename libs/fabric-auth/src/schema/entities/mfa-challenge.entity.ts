import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { UserEntity } from './user.entity.js';

/**
 * `mfa_token`: a password login waiting for its second factor.
 * `passkey_register`: the challenge of a passkey registration, bound to its user.
 * `passkey_login`: the challenge of a passkey sign-in, bound to its `mfa_token` (second factor) or to nobody yet (passwordless).
 */
export type MfaChallengeKind = 'mfa_token' | 'passkey_register' | 'passkey_login';

/**
 * Short-lived, single-use secrets of the MFA flows; only their SHA-256 is stored.
 *
 * @publicApi
 */
@Entity('mfa_challenges')
@Index('idx_mfa_challenges_expires_at', ['expiresAt'])
export class MfaChallengeEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 20 })
  kind!: MfaChallengeKind;

  /** SHA-256 (hex) of the mfa_token or of the WebAuthn challenge. */
  @Column({ name: 'secret_hash', type: 'varchar', length: 64, unique: true })
  secretHash!: string;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<UserEntity>;

  /** `passkey_login` as a second factor: the `mfa_token` row it completes. */
  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId!: string | null;

  /** `mfa_token`: the first factor that was proved (`pwd`). */
  @Column({ name: 'first_factor', type: 'varchar', length: 16, nullable: true })
  firstFactor!: string | null;

  /** Wrong second factors presented with this token; it dies after a few. */
  @Column({ type: 'integer', default: 0 })
  failures!: number;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: Date })
  expiresAt!: Date;

  @Column({ name: 'consumed_at', type: Date, nullable: true })
  consumedAt!: Date | null;
}
