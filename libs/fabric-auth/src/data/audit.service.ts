import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import type { FabricTransaction } from './transactions.js';
import { FabricClock } from '../core/clock.js';
import { clientIp, type HttpRequestLike, userAgent } from '../core/request-info.js';
import type { Principal } from '../core/principal.js';
import { type AuditDetails, AuditEventEntity } from '../schema/entities/audit-event.entity.js';

export interface AuditRecord {
  action: string;
  outcome: 'success' | 'failure';
  actor?: (Pick<Principal, 'kind' | 'id'> & { username?: string }) | null;
  target?: { type: string; id: string } | null;
  request?: HttpRequestLike;
  /** Never a secret: no password, token or key. */
  details?: AuditDetails;
}

/**
 * Writes `audit_events` rows. The event of a change is written in the change's
 * transaction (`recordIn`): both commit or neither. An event that stands alone (a refused
 * login, a bypass) is written by `record`, whose failure is logged, never turned into a
 * failed request.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('FabricAudit');

  constructor(
    @InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>,
    private readonly clock: FabricClock,
  ) {}

  async record(entry: AuditRecord): Promise<void> {
    try {
      await this.events.insert(this.row(entry));
    } catch (error) {
      this.logger.error(`audit write failed for ${entry.action}: ${(error as Error).message}`);
    }
  }

  /** Part of `tx`: a failure to write it fails (and rolls back) the whole operation. */
  async recordIn(tx: FabricTransaction, entry: AuditRecord): Promise<void> {
    await tx.manager.insert(AuditEventEntity, this.row(entry));
  }

  private row(entry: AuditRecord): QueryDeepPartialEntity<AuditEventEntity> {
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
    };
  }
}
