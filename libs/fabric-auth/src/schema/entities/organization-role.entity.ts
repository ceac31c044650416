import { Column, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, Unique } from 'typeorm';
import { OrganizationEntity } from './organization.entity.js';

/**
 * An org role one organization defined for itself, beside the configured template.
 *
 * @publicApi
 */
@Entity('organization_roles')
@Unique('uq_organization_roles_org_name', ['organizationId', 'name'])
export class OrganizationRoleEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id' })
  organization?: Relation<OrganizationEntity>;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'varchar', length: 500, nullable: true })
  description!: string | null;

  /** `org:*` permissions and the app's own. */
  @Column({ type: 'simple-json' })
  permissions!: string[];

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: Date })
  updatedAt!: Date;
}
