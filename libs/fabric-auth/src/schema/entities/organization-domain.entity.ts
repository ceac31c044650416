import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, Unique } from 'typeorm';
import { OrganizationEntity } from './organization.entity.js';

/**
 * An email domain an organization claims. It counts (auto-join) only once verified, and a
 * verified domain belongs to one organization at most.
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

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;
}
