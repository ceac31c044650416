import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A key this instance's tokens are signed with (asymmetric signing, keys kept in the
 * database). The private part is stored encrypted (AES-256-GCM, see `key-encryption.ts`).
 *
 * @publicApi
 */
@Entity('signing_keys')
@Index('idx_signing_keys_created_at', ['createdAt'])
export class SigningKeyEntity {
  /** RFC 7638 thumbprint of the public key. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid!: string;

  /** `EdDSA`, `ES256` or `RS256`; a key is only ever used with this one. */
  @Column({ type: 'varchar', length: 8 })
  algorithm!: string;

  /** The public JWK as published at `/.well-known/jwks.json`. */
  @Column({ name: 'public_jwk', type: 'text' })
  publicJwk!: string;

  /** `v1.<base64url(iv | tag | ciphertext)>` of the PKCS#8 private key. */
  @Column({ name: 'private_key', type: 'text' })
  privateKey!: string;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  /** Set when a newer key took over: the key verifies until then, and is deleted after. */
  @Column({ name: 'retires_at', type: Date, nullable: true })
  retiresAt!: Date | null;
}
