import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A SAML assertion already used to sign in, kept until it could no longer be accepted anyway:
 * its ID is single use on every instance sharing the database.
 *
 * @publicApi
 */
@Entity('saml_used_assertions')
@Index('idx_saml_used_assertions_expires_at', ['expiresAt'])
export class SamlUsedAssertionEntity {
  /** SHA-256 (hex) of the IdP's entity id and the assertion's `ID`. */
  @PrimaryColumn({ name: 'assertion_key', type: 'varchar', length: 64 })
  assertionKey!: string;

  @Column({ name: 'expires_at', type: Date })
  expiresAt!: Date;
}
