import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Flat, non-secret facts about an event. */
export type AuditDetails = Record<string, string | number | boolean | null>;

/**
 * One security-relevant event. Never holds a secret: no password, token or key.
 *
 * @publicApi
 */
@Entity('audit_events')
// Each filter of GET /audit leads an index that continues in the list's order.
@Index('idx_audit_events_occurred_at_id', ['occurredAt', 'id'])
@Index('idx_audit_events_action_occurred_at_id', ['action', 'occurredAt', 'id'])
@Index('idx_audit_events_actor_id_occurred_at_id', ['actorId', 'occurredAt', 'id'])
@Index('idx_audit_events_actor_name_occurred_at_id', ['actorName', 'occurredAt', 'id'])
@Index('idx_audit_events_target_occurred_at_id', ['targetId', 'occurredAt', 'id'])
// An organization's own audit view (SPEC §15).
@Index('idx_audit_events_organization_occurred_at_id', ['organizationId', 'occurredAt', 'id'])
export class AuditEventEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'occurred_at', type: Date })
  occurredAt!: Date;

  /** e.g. `login.success`, `login.failure`, `token.refresh`, `token.refresh_reuse`, `logout`. */
  @Column({ type: 'varchar', length: 64 })
  action!: string;

  /** `success` or `failure`. */
  @Column({ type: 'varchar', length: 16 })
  outcome!: string;

  /** `user`, `service_account`, or null for anonymous requests. */
  @Column({ name: 'actor_kind', type: 'varchar', length: 20, nullable: true })
  actorKind!: string | null;

  @Column({ name: 'actor_id', type: 'varchar', length: 64, nullable: true })
  actorId!: string | null;

  @Column({ name: 'actor_name', type: 'varchar', length: 150, nullable: true })
  actorName!: string | null;

  @Column({ name: 'target_type', type: 'varchar', length: 40, nullable: true })
  targetType!: string | null;

  @Column({ name: 'target_id', type: 'varchar', length: 200, nullable: true })
  targetId!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  @Column({ type: 'simple-json', nullable: true })
  details!: AuditDetails | null;

  /** The organization the event happened in (SPEC §15: every change is audited with its id); kept after it is deleted. */
  @Column({ name: 'organization_id', type: 'varchar', length: 36, nullable: true })
  organizationId!: string | null;
}
