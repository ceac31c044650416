import type { EntityManager } from 'typeorm';

/**
 * One audited action as an event: its name is the audit event's action (`login.success`,
 * `user.create`, `oidc.identity.link`, …), its payload the audit row's fields.
 */
export interface FabricEvent {
  /** Unique per event, stable wherever it travels (the in-process payload's `id`, a webhook's `webhook-id`). */
  id: string;
  name: string;
  occurredAt: Date;
  payload: {
    outcome: 'success' | 'failure';
    actor: { kind: string; id: string; username: string | null } | null;
    target: { type: string; id: string } | null;
    ip: string | null;
    userAgent: string | null;
    details: Readonly<Record<string, unknown>> | null;
    /** The organization the action happened in, if any. */
    organizationId: string | null;
  };
}

/** The audited action's transaction as a listener sees it (the core's `FabricTransaction`, which core/ cannot name). */
export interface FabricEventTransaction {
  readonly manager: EntityManager;
  /** Runs once the action has committed, never after a rollback. */
  afterCommit(action: () => unknown): void;
}

/**
 * A listener of the events port (issue 25). The audit writer emits every audited action to each
 * listener, inside the transaction that writes the audit row: a listener that inserts (an outbox
 * row) commits or rolls back with the action itself, and one that acts outside the database
 * (in-process handlers) defers that to `afterCommit`. A listener that throws fails the action,
 * as a failed audit write does.
 */
export interface FabricEventListener {
  emit(event: FabricEvent, tx: FabricEventTransaction): Promise<void>;
}

/** The registered listeners, in the feature list's order; none by default (nothing else happens). */
export type FabricEvents = readonly FabricEventListener[];
export const FabricEvents = Symbol('FabricEvents');
