import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { FabricClock } from '../common/clock.js';
import { clientIp, type HttpRequestLike, userAgent } from '../common/request-info.js';
import type { Principal } from '../principal/principal.js';
import { type AuditDetails, AuditEventEntity } from './audit-event.entity.js';

export interface AuditRecord {
  action: string;
  outcome: 'success' | 'failure';
  actor?: (Pick<Principal, 'kind' | 'id'> & { username?: string }) | null;
  target?: { type: string; id: string } | null;
  request?: HttpRequestLike;
  /** Never a secret: no password, token or key. */
  details?: AuditDetails;
}

/** Writes `audit_events` rows. A failed write is logged, never turned into a failed request. */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('FabricAudit');

  constructor(
    @InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>,
    private readonly clock: FabricClock,
  ) {}

  async record(entry: AuditRecord): Promise<void> {
    try {
      await this.events.insert({
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
      });
    } catch (error) {
      this.logger.error(`audit write failed for ${entry.action}: ${(error as Error).message}`);
    }
  }
}
