import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, Unique } from 'typeorm';
import { UserEntity } from './user.entity.js';

/**
 * An account at an OpenID Provider linked to a local user. Keyed by (issuer, subject), the
 * only pair OIDC Core §5.7 guarantees stable and unique: emails and usernames can change
 * or be reassigned at the provider.
 *
 * @publicApi
 */
@Entity('user_identities')
@Unique('uq_user_identities_issuer_subject', ['issuer', 'subject'])
@Index('idx_user_identities_user', ['userId'])
export class UserIdentityEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<UserEntity>;

  /** Name of the configured provider the identity was first seen through. */
  @Column({ type: 'varchar', length: 32 })
  provider!: string;

  @Column({ type: 'varchar', length: 500 })
  issuer!: string;

  @Column({ type: 'varchar', length: 255 })
  subject!: string;

  /** The provider's email claim when the identity was linked (for audits; never used to log in). */
  @Column({ type: 'varchar', length: 320, nullable: true })
  email!: string | null;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'last_login_at', type: Date, nullable: true })
  lastLoginAt!: Date | null;
}
