import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, MoreThan, type Repository } from 'typeorm';
import { FabricClock } from '../../core/clock.js';
import type { FabricTransaction } from '../../data/transactions.js';
import { FABRIC_REVOCATION_BUS } from '../../core/fabric-auth.constants.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { RevocationEntity } from '../../schema/entities/revocation.entity.js';
import type { FabricRevocationBus, RevocationEvent, RevocationListener } from '../../core/ports/revocation-bus.js';

/** How often every instance reads the revocation log. */
export const REVOCATION_POLL_MS = 1_000;
/**
 * Caches are trusted only while the last read of the log that succeeded started less than
 * this long ago: a revocation committed before that read began is known, so none is
 * honoured later than this after its commit (SPEC §11: 2 s).
 */
export const REVOCATION_TRUST_MS = 1_900;
/** An id the sequence skipped is waited for this long (a transaction still open) before it is given up. */
const GAP_PATIENCE_MS = 30_000;
const PAGE = 1_000;
const MAX_PAGES_PER_POLL = 5;
const MAX_GAPS = 1_000;
const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 5_000;
/** Rows are kept at least this long, and at least as long as a cache entry lives. */
const MIN_RETENTION_MS = 10 * 60_000;

function eventOf(row: Pick<RevocationEntity, 'kind' | 'subject'>): RevocationEvent | undefined {
  switch (row.kind) {
    case 'session':
      return row.subject ? { type: 'session', sessionId: row.subject } : undefined;
    case 'api_key':
      return row.subject ? { type: 'api_key', apiKeyId: row.subject } : undefined;
    case 'principal':
      return row.subject ? { type: 'principal', principalId: row.subject } : undefined;
    case 'all':
      return { type: 'all' };
    default:
      return undefined;
  }
}

function rowOf(event: RevocationEvent): { kind: string; subject: string | null } {
  switch (event.type) {
    case 'session':
      return { kind: 'session', subject: event.sessionId };
    case 'api_key':
      return { kind: 'api_key', subject: event.apiKeyId };
    case 'principal':
      return { kind: 'principal', subject: event.principalId };
    case 'all':
      return { kind: 'all', subject: null };
  }
}

/**
 * Every revocation goes through `revoke(tx, …events)`: a row in the revocation log in the
 * same transaction as the change (the guarantee), then, after the commit, the broadcast on
 * the bus (the fast path). Caches listen here (`subscribe`), hearing both the bus and the
 * log, and ask `cachesTrusted()` before serving a hit: false while the log has not been
 * read lately (database unreachable) or the bus is unreliable (Redis down or frozen).
 */
@Injectable()
export class Revocations implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('FabricAuth');
  private readonly listeners = new Set<RevocationListener>();
  private cursor = 0;
  /** Ids below the cursor not seen yet (a transaction that took its id earlier and commits later), with when they were noticed. */
  private readonly gaps = new Map<number, number>();
  private lastReadStartedAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private nextPruneAt = 0;
  private readonly unsubscribe: () => void;

  constructor(
    @InjectRepository(RevocationEntity) private readonly log: Repository<RevocationEntity>,
    @Inject(FABRIC_REVOCATION_BUS) private readonly bus: FabricRevocationBus,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly clock: FabricClock,
  ) {
    this.unsubscribe = bus.subscribe((event) => this.dispatch(event));
  }

  async onModuleInit(): Promise<void> {
    const newest = await this.log.createQueryBuilder('r').select('MAX(r.id)', 'max').getRawOne<{ max: number | string | null }>();
    this.cursor = Number(newest?.max ?? 0);
    this.lastReadStartedAt = performance.now();
    this.nextPruneAt = performance.now() + Math.random() * PRUNE_EVERY_MS;
    this.timer = setInterval(() => void this.poll(), REVOCATION_POLL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    this.unsubscribe();
    await this.polling;
  }

  /** Records the revocations in `tx`; once it commits, every cache here forgets them and the bus tells the others. */
  async revoke(tx: FabricTransaction, ...events: RevocationEvent[]): Promise<void> {
    if (events.length === 0) return;
    const createdAt = new Date(this.clock.now());
    for (let i = 0; i < events.length; i += PAGE) {
      await tx.manager.insert(
        RevocationEntity,
        events.slice(i, i + PAGE).map((event) => ({ ...rowOf(event), createdAt })),
      );
    }
    tx.afterCommit(async () => {
      const announced = events.length > PAGE ? [{ type: 'all' } as const] : events;
      for (const event of announced) await this.bus.publish(event);
    });
  }

  subscribe(listener: RevocationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether a cached principal or key may be served without reading the database. */
  cachesTrusted(): boolean {
    return performance.now() - this.lastReadStartedAt < REVOCATION_TRUST_MS && this.bus.reliable?.() !== false;
  }

  /** Reads the log once (also what the timer does); concurrent calls share one read. */
  poll(): Promise<void> {
    this.polling ??= this.readLog().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async readLog(): Promise<void> {
    const startedAt = performance.now();
    try {
      for (let page = 0; ; page++) {
        if (page === MAX_PAGES_PER_POLL) {
          // A flood of revocations: forgetting everything is cheaper than replaying them.
          await this.skipToNewest();
          this.dispatch({ type: 'all' });
          break;
        }
        if ((await this.readPage(startedAt)) < PAGE) break;
      }
      this.lastReadStartedAt = startedAt;
      await this.pruneNow(startedAt);
    } catch (error) {
      this.logger.warn(`revocation log unreadable (${(error as Error).message}); caches bypassed until it is read again`);
    }
  }

  private async readPage(now: number): Promise<number> {
    for (const [id, noticed] of this.gaps) if (now - noticed > GAP_PATIENCE_MS) this.gaps.delete(id);
    const query = this.log.createQueryBuilder('r').select(['r.id', 'r.kind', 'r.subject']).where('r.id > :cursor', { cursor: this.cursor });
    if (this.gaps.size > 0) query.orWhere('r.id IN (:...gaps)', { gaps: [...this.gaps.keys()] });
    const rows = await query.orderBy('r.id', 'ASC').limit(PAGE).getMany();
    for (const row of rows) {
      const id = Number(row.id);
      if (id > this.cursor) {
        for (let missing = this.cursor + 1; missing < id && this.gaps.size < MAX_GAPS; missing++) this.gaps.set(missing, now);
        this.cursor = id;
      } else this.gaps.delete(id);
      const event = eventOf(row);
      if (event) this.dispatch(event);
    }
    if (this.gaps.size >= MAX_GAPS) {
      this.gaps.clear();
      this.dispatch({ type: 'all' });
    }
    return rows.length;
  }

  private async skipToNewest(): Promise<void> {
    const newest = await this.log.findOne({ where: { id: MoreThan(this.cursor) }, order: { id: 'DESC' }, select: { id: true } });
    if (newest) this.cursor = Number(newest.id);
    this.gaps.clear();
  }

  private async pruneNow(now: number): Promise<void> {
    if (now < this.nextPruneAt) return;
    this.nextPruneAt = now + PRUNE_EVERY_MS;
    await this.prune();
  }

  /**
   * Deletes one bounded batch of rows older than any cache entry can be (a cache entry made
   * before a revocation expires within the cache TTL of it, so an older row evicts nothing);
   * the number deleted. Every instance runs it about once a minute.
   */
  async prune(): Promise<number> {
    const retention = Math.max(MIN_RETENTION_MS, this.options.principalCacheTtl * 1000 * 2);
    const old = await this.log.find({
      where: { createdAt: LessThan(new Date(this.clock.now() - retention)) },
      select: { id: true },
      order: { id: 'ASC' },
      take: PRUNE_BATCH,
    });
    if (old.length > 0) await this.log.delete(old.map((row) => row.id));
    return old.length;
  }

  private dispatch(event: RevocationEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
