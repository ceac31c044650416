import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The revocation log: one row per revocation, written in the transaction of the change it
 * announces, read by every instance about once a second (`WHERE id > last`) so that no
 * cached principal or key outlives its revocation whatever happens to the broadcast.
 *
 * @publicApi
 */
@Entity('revocations')
@Index('idx_revocations_created_at', ['createdAt'])
export class RevocationEntity {
  @PrimaryGeneratedColumn('increment')
  id!: number;

  /** `session`, `api_key`, `principal` or `all`. */
  @Column({ type: 'varchar', length: 20 })
  kind!: string;

  /** The session, key or principal id; null for `all`. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  subject!: string | null;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;
}
