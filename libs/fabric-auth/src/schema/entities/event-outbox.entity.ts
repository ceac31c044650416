import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An event waiting to be handed to the webhook endpoints that want it (the transactional outbox,
 * SPEC §18): written in the transaction of the change it reports, so it exists exactly when the
 * change committed. The delivery poller turns it into one delivery per matching endpoint and marks
 * it `dispatched_at`.
 *
 * @publicApi
 */
@Entity('event_outbox')
// The poller's scan: what is not yet dispatched, oldest first.
@Index('idx_event_outbox_dispatched_at_occurred_at', ['dispatchedAt', 'occurredAt'])
export class EventOutboxEntity {
  /** The event id: the webhook's `webhook-id`, the payload's `id`. */
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /** The public event name (`user.created`). */
  @Column({ type: 'varchar', length: 64 })
  type!: string;

  @Column({ name: 'organization_id', type: 'varchar', length: 36, nullable: true })
  organizationId!: string | null;

  /** `<type>:<id>` of what the event is about: one subject's events reach an endpoint in order. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  subject!: string | null;

  /** The body sent, `{id, type, timestamp, data}` as JSON: kept as text so every attempt signs the same bytes. */
  @Column({ type: 'text' })
  payload!: string;

  @Column({ name: 'occurred_at', type: Date })
  occurredAt!: Date;

  @Column({ name: 'dispatched_at', type: Date, nullable: true })
  dispatchedAt!: Date | null;
}
