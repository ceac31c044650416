import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { Repository } from 'typeorm';
import { type FabricTransaction, FabricTransactions } from './transactions.js';
import { FabricClock } from '../core/clock.js';
import { clientIp, type HttpRequestLike, userAgent } from '../core/request-info.js';
import type { Principal } from '../core/principal.js';
import { type AuditDetails, AuditEventEntity } from '../schema/entities/audit-event.entity.js';
import { type FabricEventTransaction, FabricEvents } from '../core/ports/fabric-events.js';

export interface AuditRecord {
  action: string;
  outcome: 'success' | 'failure';
  actor?: (Pick<Principal, 'kind' | 'id'> & { username?: string }) | null;
  target?: { type: string; id: string } | null;
  request?: HttpRequestLike;
  /** Never a secret: no password, token or key. */
  details?: AuditDetails;
  /** The organization the action happened in (SPEC §15), for its own audit view. */
  organizationId?: string | null;
}

/** A user acting as themselves (a login, a reset, an enrolment): actor and target of the event. */
export function userOnSelf(user: { id: string; username: string }): Pick<AuditRecord, 'actor' | 'target'> {
  return { actor: userActor(user), target: { type: 'user', id: user.id } };
}

/** A user as the actor of an event. */
export function userActor(user: { id: string; username: string }): NonNullable<AuditRecord['actor']> {
  return { kind: 'user', id: user.id, username: user.username };
}

type AuditRow = Pick<
  AuditEventEntity,
  'occurredAt' | 'action' | 'outcome' | 'actorKind' | 'actorId' | 'actorName' | 'targetType' | 'targetId' | 'ip' | 'userAgent' | 'details' | 'organizationId'
>;

/**
 * Writes `audit_events` rows. The event of a change is written in the change's
 * transaction (`recordIn`): both commit or neither. An event that stands alone (a refused
 * login, a bypass) is written by `record`, whose failure is logged, never turned into a
 * failed request.
 *
 * Every row is also an event on the `FabricEvents` port, emitted in the row's transaction
 * (a standalone row gets a transaction of its own when a listener is registered, and its
 * after-commit actions run once it commits); with none registered, the default, nothing else
 * happens.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('FabricAudit');

  constructor(
    @InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>,
    private readonly clock: FabricClock,
    private readonly transactions: FabricTransactions,
    @Optional() @Inject(FabricEvents) private readonly listeners: FabricEvents = [],
  ) {}

  async record(entry: AuditRecord): Promise<void> {
    try {
      const row = this.row(entry);
      if (this.listeners.length === 0) await this.events.insert(row);
      // Through FabricTransactions: on SQLite's one connection it queues behind the writers in progress.
      else await this.transactions.run((tx) => this.write(tx, row));
    } catch (error) {
      this.logger.error(`audit write failed for ${entry.action}: ${(error as Error).message}`);
    }
  }

  /** Part of `tx`: a failure to write it fails (and rolls back) the whole operation. */
  async recordIn(tx: FabricTransaction, entry: AuditRecord): Promise<void> {
    await this.write(tx, this.row(entry));
  }

  private async write(tx: FabricEventTransaction, row: AuditRow): Promise<void> {
    await tx.manager.insert(AuditEventEntity, row);
    if (this.listeners.length === 0) return;
    const event = {
      id: randomUUID(),
      name: row.action,
      occurredAt: row.occurredAt,
      payload: {
        outcome: row.outcome as 'success' | 'failure',
        actor: row.actorKind !== null && row.actorId !== null ? { kind: row.actorKind, id: row.actorId, username: row.actorName } : null,
        target: row.targetType !== null && row.targetId !== null ? { type: row.targetType, id: row.targetId } : null,
        ip: row.ip,
        userAgent: row.userAgent,
        details: row.details,
        organizationId: row.organizationId,
      },
    };
    for (const listener of this.listeners) await listener.emit(event, tx);
  }

  private row(entry: AuditRecord): AuditRow {
    return {
      occurredAt: new Date(this.clock.now()),
      action: entry.action,
      outcome: entry.outcome,
      actorKind: entry.actor?.kind ?? null,
      actorId: entry.actor?.id ?? null,
      actorName: entry.actor?.username ?? null,
      targetType: entry.target?.type ?? null,
      targetId: entry.target?.id ?? null,
      ip: entry.request ? clientIp(entry.request) : null,
      userAgent: entry.request ? userAgent(entry.request) : null,
      details: entry.details ?? null,
      organizationId: entry.organizationId ?? null,
    };
  }
}
