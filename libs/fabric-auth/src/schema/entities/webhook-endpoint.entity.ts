import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A URL that receives signed events (SPEC §18). Its signing secret is kept encrypted
 * (AES-256-GCM, the row id as authenticated data); the raw `whsec_…` is shown once.
 *
 * @publicApi
 */
@Entity('webhook_endpoints')
@Index('idx_webhook_endpoints_organization_id', ['organizationId'])
export class WebhookEndpointEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 2048 })
  url!: string;

  /** Public event names it receives (`user.created`), or `*` for all. */
  @Column({ type: 'simple-json' })
  events!: string[];

  /** Set: the endpoint receives only that organization's events. */
  @Column({ name: 'organization_id', type: 'varchar', length: 36, nullable: true })
  organizationId!: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  description!: string | null;

  @Column({ name: 'secret_encrypted', type: 'text' })
  secretEncrypted!: string;

  @Column({ type: 'boolean' })
  enabled!: boolean;

  /** Why it was disabled by the library (the failure streak); null when enabled or disabled by hand. */
  @Column({ name: 'disabled_reason', type: 'varchar', length: 200, nullable: true })
  disabledReason!: string | null;

  /** Deliveries in a row that failed for good; reset by a success. */
  @Column({ name: 'failure_streak', type: 'int' })
  failureStreak!: number;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: Date })
  updatedAt!: Date;
}
