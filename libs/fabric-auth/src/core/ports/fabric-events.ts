import type { EntityManager } from 'typeorm';

/**
 * One audited action as an event: its name is the audit event's action (`login.success`,
 * `user.create`, `oidc.identity.link`, …), its payload the audit row's fields.
 */
export interface FabricEvent {
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

/**
 * Port for the events and webhooks feature (issue 25). The audit writer emits every audited
 * action here, inside the transaction that writes the audit row, with that transaction's
 * manager: a listener that inserts (an outbox row, say) commits or rolls back with the action
 * itself. A listener that throws fails the action, as a failed audit write does. The default,
 * no listener registered, does nothing.
 */
export interface FabricEvents {
  emit(event: FabricEvent, manager: EntityManager): Promise<void>;
}

export const FabricEvents = Symbol('FabricEvents');

/** The default: no listener, nothing to do. */
export class NoFabricEvents implements FabricEvents {
  async emit(): Promise<void> {}
}
