import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A customer organization (SPEC §15): members, their org roles, invitations and (later)
 * credentials of its own, none of them visible from another organization.
 *
 * @publicApi
 */
@Entity('organizations')
@Index('idx_organizations_created_at_id', ['createdAt', 'id'])
export class OrganizationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** 2–63 of `a-z0-9-`, stored lower case; a path names the organization by it or by its id. */
  @Column({ type: 'varchar', length: 63, unique: true })
  slug!: string;

  /**
   * The slug with look-alike spellings folded together (`0`→`o`, `1`→`l`, `rn`→`m`, …): unique,
   * so `acme` and `acrne` cannot both exist (one would pass for the other).
   */
  @Column({ name: 'slug_key', type: 'varchar', length: 63, unique: true })
  slugKey!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /** Members need a second factor (enforced with the org-scoped principal, issue 22). */
  @Column({ name: 'mfa_required', type: Boolean, default: false })
  mfaRequired!: boolean;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: Date })
  updatedAt!: Date;
}
