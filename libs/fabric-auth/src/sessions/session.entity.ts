import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { UserEntity } from '../users/user.entity.js';

/** One login: the family of rotating refresh tokens and the access tokens minted from them (`sid`). */
@Entity('sessions')
@Index('idx_sessions_user_created_at_id', ['userId', 'createdAt', 'id'])
export class SessionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<UserEntity>;

  /** SHA-256 (hex) of the current refresh token; the token itself is never stored. */
  @Column({ name: 'refresh_token_hash', type: 'varchar', length: 64, unique: true })
  refreshTokenHash!: string;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: Date })
  lastUsedAt!: Date;

  /** When the current refresh token stops working (idle expiry). */
  @Column({ name: 'expires_at', type: Date })
  expiresAt!: Date;

  /** When the session ends however often it is refreshed. */
  @Column({ name: 'absolute_expires_at', type: Date })
  absoluteExpiresAt!: Date;

  @Column({ name: 'revoked_at', type: Date, nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 40, nullable: true })
  revokedReason!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  /** `password`, `oidc` or `passkey`. */
  @Column({ name: 'login_method', type: 'varchar', length: 20 })
  loginMethod!: string;

  /**
   * RFC 8176 authentication methods the login proved, space-separated (`pwd otp mfa`), carried
   * by every access token of the session, refreshes included. Null on sessions opened before
   * MFA existed: read as `pwd` for password logins.
   */
  @Column({ type: 'varchar', length: 64, nullable: true })
  amr!: string | null;

  /** `mfa_enrollment`: the user must enrol a second factor and may do nothing else (policy `auth.mfa.required_for`). */
  @Column({ type: 'varchar', length: 32, nullable: true })
  restriction!: string | null;
}
