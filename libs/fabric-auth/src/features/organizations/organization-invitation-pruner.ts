import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, LessThan, type Repository } from 'typeorm';
import { FabricClock } from '../../core/clock.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import { PeriodicRound } from '../../core/periodic-round.js';
import { AuditService } from '../../data/audit.service.js';
import { FabricTransactions } from '../../data/transactions.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { OrganizationInvitationEntity } from '../../schema/entities/organization-invitation.entity.js';

/** Days an invitation is kept once it expired (accepted or not): long enough to answer "what became of it". */
export const INVITATION_RETENTION_DAYS = 30;
/** Rows per batch, each its own short transaction with its audit row. */
const BATCH = 1_000;
/** Batches per round at most: a backlog drains over several rounds rather than holding one long. */
const MAX_BATCHES = 10;
const DAY_MS = 86_400_000;

/**
 * Deletes invitations that expired, accepted or not, more than `INVITATION_RETENTION_DAYS` ago,
 * every `auth.prune_interval` seconds (the maintenance feature's rhythm; it cannot reach this
 * feature's table, features never import each other). Bounded per round; with several instances
 * the batches are idempotent, so two rounds at once only delete what one would.
 */
@Injectable()
export class OrganizationInvitationPruner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('FabricOrganizations');
  private readonly rounds = new PeriodicRound(
    () => this.pruneOnce(),
    (error) => this.logger.error(`pruning invitations failed: ${error.message}`),
  );

  constructor(
    @InjectRepository(OrganizationInvitationEntity) private readonly invitations: Repository<OrganizationInvitationEntity>,
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

  /** One round now (joined when one is under way): the number of invitations deleted. */
  prune(): Promise<number> {
    return this.rounds.runOnce();
  }

  private async pruneOnce(): Promise<number> {
    const cutoff = new Date(this.clock.now() - INVITATION_RETENTION_DAYS * DAY_MS);
    let total = 0;
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      // On the expires_at index alone: an accepted invitation expires too (within invitation_expire
      // of its creation), so it goes with the same rule, after its expiry rather than its acceptance.
      const rows = await this.invitations.find({ where: { expiresAt: LessThan(cutoff) }, select: { id: true }, take: BATCH });
      if (rows.length === 0) break;
      await this.transactions.run(async (tx) => {
        const deleted = await tx.manager.delete(OrganizationInvitationEntity, { id: In(rows.map((r) => r.id)) });
        await this.audit.recordIn(tx, { action: 'organization.invitation.prune', outcome: 'success', details: { deleted: deleted.affected ?? rows.length } });
      });
      total += rows.length;
      if (rows.length < BATCH) break;
    }
    return total;
  }
}
