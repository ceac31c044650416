import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { In, LessThan } from 'typeorm';
import { FabricClock } from '../../core/clock.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import { PeriodicRound } from '../../core/periodic-round.js';
import { AuditService } from '../../data/audit.service.js';
import { FabricTransactions } from '../../data/transactions.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { EventOutboxEntity } from '../../schema/entities/event-outbox.entity.js';
import { WebhookDeliveryEntity } from '../../schema/entities/webhook-delivery.entity.js';

/** Rows of each table per batch, each batch its own short transaction with its audit row. */
const BATCH = 1_000;
/** Batches per round at most: a backlog drains over several rounds rather than holding one long. */
const MAX_BATCHES = 10;
const DAY_MS = 86_400_000;
const FINISHED = ['succeeded', 'failed'] as const;

export interface WebhookPruneResult {
  deliveries: number;
  events: number;
}

/**
 * Gives the outbox and the deliveries a lifetime: every `auth.prune_interval` seconds (the
 * maintenance rhythm; features never import each other) it deletes deliveries finished more than
 * `auth.webhooks.retention_days` ago, then events dispatched before that which no delivery refers to
 * any more (a waiting delivery keeps its event, which it still has to send). Every delete repeats its
 * condition, so instances pruning at once only delete what one would, and a delivery redelivered
 * meanwhile (due again, so no longer finished) stays.
 */
@Injectable()
export class WebhookPruner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('FabricWebhooks');
  private readonly rounds = new PeriodicRound(
    () => this.pruneOnce(),
    (error) => this.logger.error(`pruning webhook deliveries failed: ${error.message}`),
  );

  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly clock: FabricClock,
    private readonly transactions: FabricTransactions,
    private readonly audit: AuditService,
  ) {}

  onApplicationBootstrap(): void {
    this.rounds.start(this.options.pruneInterval);
  }

  /** Before TypeORM closes the connection. */
  onModuleDestroy(): Promise<void> {
    return this.rounds.stop();
  }

  /** One round now (joined when one is under way): what it deleted. */
  prune(): Promise<WebhookPruneResult> {
    return this.rounds.runOnce();
  }

  private async pruneOnce(): Promise<WebhookPruneResult> {
    const cutoff = new Date(this.clock.now() - this.options.webhooks.retentionDays * DAY_MS);
    const total: WebhookPruneResult = { deliveries: 0, events: 0 };
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const { deliveries, events, more } = await this.pruneBatch(cutoff);
      total.deliveries += deliveries;
      total.events += events;
      if (!more) break;
    }
    return total;
  }

  private pruneBatch(cutoff: Date): Promise<WebhookPruneResult & { more: boolean }> {
    return this.transactions.run(async (tx) => {
      // A finished delivery's next_attempt_at is when it finished (the dispatcher sets it so).
      const finished = { status: In(FINISHED), nextAttemptAt: LessThan(cutoff) };
      const doomed = await tx.manager.find(WebhookDeliveryEntity, { where: finished, select: { id: true }, take: BATCH });
      const deliveries = doomed.length === 0 ? 0 : ((await tx.manager.delete(WebhookDeliveryEntity, { id: In(doomed.map((d) => d.id)), ...finished })).affected ?? 0);
      const query = tx.manager.createQueryBuilder(EventOutboxEntity, 'o');
      const referenced = query.subQuery().select('1').from(WebhookDeliveryEntity, 'd').where('d.eventId = o.id').getQuery();
      const unreferenced = await query.select(['o.id']).where('o.dispatchedAt < :cutoff', { cutoff }).andWhere(`NOT EXISTS ${referenced}`).limit(BATCH).getMany();
      const events =
        unreferenced.length === 0 ? 0 : ((await tx.manager.delete(EventOutboxEntity, { id: In(unreferenced.map((e) => e.id)), dispatchedAt: LessThan(cutoff) })).affected ?? 0);
      if (deliveries + events > 0) await this.audit.recordIn(tx, { action: 'webhook.prune', outcome: 'success', details: { deliveries, events } });
      return { deliveries, events, more: doomed.length === BATCH || unreferenced.length === BATCH };
    });
  }
}
