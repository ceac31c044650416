import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A machine principal: it authenticates with API keys only, never with a password.
 *
 * @publicApi
 */
@Entity('service_accounts')
@Index('idx_service_accounts_created_at_id', ['createdAt', 'id'])
export class ServiceAccountEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 100, unique: true })
  name!: string;

  @Column({ type: 'varchar', length: 500, nullable: true })
  description!: string | null;

  @Column({ name: 'is_active', type: Boolean, default: true })
  isActive!: boolean;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: Date })
  updatedAt!: Date;
}
