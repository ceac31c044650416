import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A back-channel `logout_token` already acted on, kept until it could no longer be
 * accepted anyway: its `jti` is single use on every instance.
 *
 * @publicApi
 */
@Entity('oidc_logout_tokens')
@Index('idx_oidc_logout_tokens_expires_at', ['expiresAt'])
export class OidcLogoutTokenEntity {
  /** SHA-256 (hex) of the issuer and the token's `jti`. */
  @PrimaryColumn({ name: 'token_key', type: 'varchar', length: 64 })
  tokenKey!: string;

  @Column({ name: 'expires_at', type: Date })
  expiresAt!: Date;
}
