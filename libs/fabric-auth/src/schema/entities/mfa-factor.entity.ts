import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, type ValueTransformer } from 'typeorm';
import { UserEntity } from './user.entity.js';

export type MfaFactorType = 'totp' | 'passkey';

/** PostgreSQL hands `bigint` back as a string; a signature counter is a uint32, so a number is exact. */
const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? value : Number(value)),
};

/**
 * A second factor of a user: a TOTP secret (sealed with AES-256-GCM, see `totp-secrets.ts`)
 * or a WebAuthn credential (passkey). A TOTP factor is pending until confirmed with a code.
 *
 * @publicApi
 */
@Entity('mfa_factors')
@Index('idx_mfa_factors_user_created_at', ['userId', 'createdAt'])
export class MfaFactorEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<UserEntity>;

  @Column({ type: 'varchar', length: 16 })
  type!: MfaFactorType;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  /** TOTP: when a first code proved the app holds the secret; null while pending. Passkeys: at registration. */
  @Column({ name: 'confirmed_at', type: Date, nullable: true })
  confirmedAt!: Date | null;

  @Column({ name: 'last_used_at', type: Date, nullable: true })
  lastUsedAt!: Date | null;

  /** TOTP: `v1.<base64url(iv | tag | ciphertext)>` of the secret, bound to this row's id. Never selected unless asked for. */
  @Column({ name: 'secret_sealed', type: 'text', nullable: true, select: false })
  secretSealed!: string | null;

  /**
   * TOTP: the last time step a code was accepted for. Raised with a conditional UPDATE, so a
   * code is accepted once, on whichever instance sees it first.
   */
  @Column({ name: 'last_used_step', type: 'integer', nullable: true })
  lastUsedStep!: number | null;

  /** Passkey: the credential id (base64url). */
  @Column({ name: 'credential_id', type: 'varchar', length: 1400, nullable: true, unique: true })
  credentialId!: string | null;

  /** Passkey: the COSE public key (base64url). */
  @Column({ name: 'public_key', type: 'text', nullable: true })
  publicKey!: string | null;

  /** Passkey: the last signature counter seen; a lower one is refused (cloned authenticator). */
  @Column({ name: 'sign_count', type: 'bigint', default: 0, transformer: bigintAsNumber })
  signCount!: number;

  @Column({ type: 'simple-json', nullable: true })
  transports!: string[] | null;

  @Column({ name: 'backed_up', type: Boolean, default: false })
  backedUp!: boolean;
}
