import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, Unique } from 'typeorm';
import { OrganizationEntity } from './organization.entity.js';
import { UserEntity } from './user.entity.js';

/**
 * Attributes kept as given: strings, booleans, and objects or lists of them.
 *
 * @publicApi
 */
export type ScimAttributes = Record<string, string | boolean | object>;

/**
 * A SCIM User resource (SPEC §17): what one identity provider knows of an account, in one realm
 * (an organization, or the platform). Its id is the resource's; the account it provisions may be
 * provisioned by other organizations too, each with its own resource.
 *
 * @publicApi
 */
@Entity('scim_users')
// userName is unique per realm, case-insensitively (RFC 7643: caseExact false); externalId per realm, exactly.
@Unique('uq_scim_users_realm_user_name', ['realm', 'userNameKey'])
@Unique('uq_scim_users_realm_external_id', ['realm', 'externalId'])
@Unique('uq_scim_users_realm_user', ['realm', 'userId'])
// Pages of a realm's users, in creation order.
@Index('idx_scim_users_realm_created_at_id', ['realm', 'createdAt', 'id'])
export class ScimUserEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The organization's id, or `platform` (organizations off): one column, so the unique keys hold on both databases. */
  @Column({ type: 'varchar', length: 64 })
  realm!: string;

  @Column({ name: 'organization_id', type: 'uuid', nullable: true })
  organizationId!: string | null;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id' })
  organization?: Relation<OrganizationEntity>;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<UserEntity>;

  /** As the identity provider wrote it. */
  @Column({ name: 'user_name', type: 'varchar', length: 256 })
  userName!: string;

  /** Lower-cased, for uniqueness and filters. */
  @Column({ name: 'user_name_key', type: 'varchar', length: 256 })
  userNameKey!: string;

  @Column({ name: 'external_id', type: 'varchar', length: 256, nullable: true })
  externalId!: string | null;

  @Column({ name: 'display_name', type: 'varchar', length: 256, nullable: true })
  displayName!: string | null;

  /** Every email value, lower-cased, each between newlines (`\na@x\nb@y\n`): `emails.value` filters match on it. */
  @Column({ name: 'email_keys', type: 'varchar', length: 2000, default: '' })
  emailKeys!: string;

  @Column({ type: Boolean, default: true })
  active!: boolean;

  /** The rest of the resource (name, emails, phone numbers, title…, the enterprise extension), as given. */
  @Column({ type: 'simple-json' })
  attributes!: ScimAttributes;

  /** The roles its groups granted it (and only those: roles granted otherwise are never taken away by SCIM). */
  @Column({ name: 'granted_roles', type: 'simple-json', nullable: true })
  grantedRoles!: string[] | null;

  /** The resource's version (`meta.version`), bumped by every change. */
  @Column({ type: 'integer', default: 1 })
  version!: number;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: Date })
  updatedAt!: Date;
}
