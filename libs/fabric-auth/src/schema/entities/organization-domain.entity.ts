import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, Unique } from 'typeorm';
import { OrganizationEntity } from './organization.entity.js';

/**
 * An email domain an organization claims. It counts (auto-join, home-realm discovery) only once
 * verified — by a DNS TXT record holding `verificationToken`, or by a platform admin — and a
 * verified domain belongs to one organization at most. Several organizations may claim one
 * domain while it is unverified.
 *
 * @publicApi
 */
@Entity('organization_domains')
@Unique('uq_organization_domains_org_domain', ['organizationId', 'domain'])
@Index('uq_organization_domains_verified', ['domain'], { unique: true, where: '"verified" = TRUE' })
export class OrganizationDomainEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id' })
  organization?: Relation<OrganizationEntity>;

  /** Lower case, IDNA (punycode) form. */
  @Column({ type: 'varchar', length: 253 })
  domain!: string;

  @Column({ type: Boolean, default: false })
  verified!: boolean;

  /** What the claim's TXT record at `_fabric-auth.<domain>` must hold (not a secret: it is published in DNS). */
  @Column({ name: 'verification_token', type: 'varchar', length: 64, nullable: true })
  verificationToken!: string | null;

  /** How it was verified: `dns` (the TXT record) or `admin` (a platform admin confirmed it); null while unverified. */
  @Column({ name: 'verified_by', type: 'varchar', length: 16, nullable: true })
  verifiedBy!: string | null;

  @Column({ name: 'verified_at', type: Date, nullable: true })
  verifiedAt!: Date | null;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;
}
