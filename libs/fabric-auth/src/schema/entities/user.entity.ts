import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** @publicApi */
@Entity('users')
@Index('idx_users_created_at_id', ['createdAt', 'id'])
@Index('idx_users_is_active_created_at_id', ['isActive', 'createdAt', 'id'])
// PostgreSQL only (written by hand in its migration: TypeORM cannot declare an operator
// class): `varchar_pattern_ops` lets `LIKE 'prefix%'` use an index whatever the collation.
// SQLite's prefix search is a range over the unique indexes instead.
@Index('idx_users_username_prefix', { synchronize: false })
@Index('idx_users_email_prefix', { synchronize: false })
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Stored normalised (NFKC, lower case) so uniqueness cannot be dodged by case or width. */
  @Column({ type: 'varchar', length: 150, unique: true })
  username!: string;

  @Column({ type: 'varchar', length: 320, unique: true, nullable: true })
  email!: string | null;

  @Column({ name: 'full_name', type: 'varchar', length: 200, nullable: true })
  fullName!: string | null;

  /** Password hash (scrypt, or bcrypt until the next login upgrades it); null until the account is activated. Never selected unless asked for. */
  @Column({ name: 'password_hash', type: 'varchar', length: 100, nullable: true, select: false })
  passwordHash!: string | null;

  @Column({ name: 'is_active', type: Boolean, default: true })
  isActive!: boolean;

  @Column({ name: 'is_system_admin', type: Boolean, default: false })
  isSystemAdmin!: boolean;

  @Column({ name: 'email_verified', type: Boolean, default: false })
  emailVerified!: boolean;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: Date })
  updatedAt!: Date;

  @Column({ name: 'last_login_at', type: Date, nullable: true })
  lastLoginAt!: Date | null;

  @Column({ name: 'password_changed_at', type: Date, nullable: true })
  passwordChangedAt!: Date | null;
}
