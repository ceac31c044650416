import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { WebhookEndpointEntity } from './webhook-endpoint.entity.js';

/** One attempt of a delivery, as the deliveries list shows it. */
export interface WebhookAttemptRecord {
  /** When it started, ISO 8601. */
  at: string;
  /** The receiver's HTTP status; null when it did not answer. */
  status_code: number | null;
  /** Why it failed without an answer (timeout, refused target, connection error); null otherwise. */
  error: string | null;
  duration_ms: number;
}

/**
 * One event on its way to one endpoint: `pending` (due at `next_attempt_at`), `delivering` (claimed
 * by an instance until `lease_until`; a lease that ran out is claimed again), `succeeded` or `failed`
 * (every attempt of the retry schedule failed).
 *
 * @publicApi
 */
@Entity('webhook_deliveries')
// The poller's claim: due deliveries, oldest first.
@Index('idx_webhook_deliveries_status_next_attempt_at', ['status', 'nextAttemptAt'])
// An endpoint's deliveries, newest first; and the order kept per subject.
@Index('idx_webhook_deliveries_endpoint_occurred_at', ['endpointId', 'occurredAt'])
@Index('idx_webhook_deliveries_endpoint_subject', ['endpointId', 'subject', 'status'])
// Pruning keeps an outbox event while a delivery refers to it.
@Index('idx_webhook_deliveries_event_id', ['eventId'])
export class WebhookDeliveryEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'endpoint_id', type: 'uuid' })
  endpointId!: string;

  @ManyToOne(() => WebhookEndpointEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'endpoint_id' })
  endpoint?: Relation<WebhookEndpointEntity>;

  /** The outbox row (its id is the `webhook-id`, the same on every attempt). */
  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ name: 'event_type', type: 'varchar', length: 64 })
  eventType!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  subject!: string | null;

  @Column({ name: 'occurred_at', type: Date })
  occurredAt!: Date;

  @Column({ type: 'varchar', length: 16 })
  status!: 'pending' | 'delivering' | 'succeeded' | 'failed';

  @Column({ type: 'int' })
  attempts!: number;

  /** When the next attempt is due; once `succeeded` or `failed`, when it finished (the retention counts from it). */
  @Column({ name: 'next_attempt_at', type: Date })
  nextAttemptAt!: Date;

  @Column({ name: 'lease_until', type: Date, nullable: true })
  leaseUntil!: Date | null;

  @Column({ name: 'last_attempt_at', type: Date, nullable: true })
  lastAttemptAt!: Date | null;

  /** The receiver's HTTP status of the last attempt; null when it did not answer. */
  @Column({ name: 'last_status_code', type: 'int', nullable: true })
  lastStatusCode!: number | null;

  /** Why the last attempt failed without an answer (timeout, refused target), for the deliveries list. */
  @Column({ name: 'last_error', type: 'varchar', length: 200, nullable: true })
  lastError!: string | null;

  /**
   * The last attempts, oldest first, at most 10 (the row's size is bounded whatever the retry
   * schedule); null before the first.
   */
  @Column({ name: 'attempt_log', type: 'simple-json', nullable: true })
  attemptLog!: WebhookAttemptRecord[] | null;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;
}
