import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { ScimUserEntity } from './scim-user.entity.js';

/**
 * One email of a SCIM User, lower-cased: `emails.value eq "…"` (which identity providers may send
 * before a create) is then one index lookup in the realm, not a scan of its users' `email_keys`.
 *
 * @publicApi
 */
@Entity('scim_user_emails')
@Index('idx_scim_user_emails_realm_email', ['realm', 'emailKey'])
export class ScimUserEmailEntity {
  @PrimaryColumn({ name: 'scim_user_id', type: 'uuid' })
  scimUserId!: string;

  @ManyToOne(() => ScimUserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'scim_user_id' })
  user?: Relation<ScimUserEntity>;

  @PrimaryColumn({ name: 'email_key', type: 'varchar', length: 320 })
  emailKey!: string;

  /** The user's realm, repeated so that the lookup needs no join. */
  @Column({ type: 'varchar', length: 64 })
  realm!: string;
}
