import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** @publicApi */
@Entity('roles')
export class RoleEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  name!: string;

  @Column({ type: 'varchar', length: 500, nullable: true })
  description!: string | null;

  @Column({ type: 'simple-json' })
  permissions!: string[];

  /** Declared in config: startup rewrites its permissions. */
  @Column({ name: 'from_config', type: Boolean, default: false })
  fromConfig!: boolean;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: Date })
  updatedAt!: Date;
}
