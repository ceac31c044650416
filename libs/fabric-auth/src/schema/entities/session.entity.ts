import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { UserEntity } from './user.entity.js';

/**
 * One login: the family of rotating refresh tokens and the access tokens minted from them (`sid`).
 *
 * @publicApi
 */
@Entity('sessions')
@Index('idx_sessions_user_created_at_id', ['userId', 'createdAt', 'id'])
@Index('idx_sessions_oidc_sid', ['oidcProvider', 'oidcSid'])
@Index('idx_sessions_oidc_subject', ['oidcProvider', 'oidcSubject'])
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

  /**
   * The organization the session acts in (`grant_type=organization`): every access token minted
   * from it, refreshes included, carries it as `org`. Not a foreign key: the organizations
   * feature may be absent, and a deleted organization is refused where the token is resolved.
   */
  @Column({ name: 'active_org_id', type: 'uuid', nullable: true })
  activeOrgId!: string | null;

  /** The provider an `oidc` session was opened through: logout reaches it, and it may end the session. */
  @Column({ name: 'oidc_provider', type: 'varchar', length: 32, nullable: true })
  oidcProvider!: string | null;

  /** The person's `sub` at that provider (back-channel logout may name it). */
  @Column({ name: 'oidc_subject', type: 'varchar', length: 255, nullable: true })
  oidcSubject!: string | null;

  /** The provider's session id, the ID token's `sid` (back-channel logout names it). */
  @Column({ name: 'oidc_sid', type: 'varchar', length: 255, nullable: true })
  oidcSid!: string | null;

  /** The login's ID token, kept server-side as the `id_token_hint` of the logout at the provider; dropped once used. */
  @Column({ name: 'oidc_id_token', type: 'text', nullable: true, select: false })
  oidcIdToken!: string | null;
}
