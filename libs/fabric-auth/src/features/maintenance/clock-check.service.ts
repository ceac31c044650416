import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { DataSource, Repository } from 'typeorm';
import { FabricClock } from '../../core/clock.js';
import { FABRIC_REDIS } from '../../core/fabric-auth.internal-constants.js';
import { SessionEntity } from '../../schema/entities/session.entity.js';

/** Beyond this difference from the database's (or Redis's) clock, the instance's clock is reported. */
export const CLOCK_DIFFERENCE_WARNING_MS = 5_000;
/** Clocks drift and get stepped: the check runs again this often. */
const CHECK_EVERY_MS = 10 * 60_000;

/**
 * The part of the Redis connection the check reads. Structural on purpose: this class is public,
 * and its declaration must not name the optional `ioredis` peer through `FabricRedis`.
 */
interface RedisTimeSource {
  readonly available: boolean;
  readonly commands: { time(): Promise<ReadonlyArray<string | number>> };
}

export interface ClockDifference {
  /** `database` or `redis`. */
  source: 'database' | 'redis';
  /** This instance's clock minus the source's, in milliseconds (positive: this instance is ahead). */
  aheadMs: number;
  /** Half the round trip of the reading: the difference is known to within this. */
  uncertaintyMs: number;
}

/**
 * Compares the instance's clock (`FabricClock`) with the database's and, with Redis, Redis's,
 * at startup and every ten minutes, and logs a warning when they differ by more than
 * `CLOCK_DIFFERENCE_WARNING_MS`. Locks and counters do not depend on it (they read Redis's
 * time), but session, token and link expiry are decided on the instance's clock (SEC-105).
 */
@Injectable()
export class ClockCheck implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('FabricClock');
  private readonly dataSource: DataSource;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectRepository(SessionEntity) sessions: Repository<SessionEntity>,
    private readonly clock: FabricClock,
    @Inject(FABRIC_REDIS) private readonly redis: RedisTimeSource | null,
  ) {
    this.dataSource = sessions.manager.connection;
  }

  onApplicationBootstrap(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Measures the differences now and warns about each one beyond the limit; a source that cannot answer is skipped. */
  async check(): Promise<ClockDifference[]> {
    const differences: ClockDifference[] = [];
    for (const [source, read] of [
      ['database', () => this.databaseNow()],
      ['redis', () => this.redisNow()],
    ] as const) {
      const difference = await this.measure(source, read).catch(() => undefined);
      if (!difference) continue;
      differences.push(difference);
      if (Math.abs(difference.aheadMs) - difference.uncertaintyMs > CLOCK_DIFFERENCE_WARNING_MS) {
        const how = difference.aheadMs > 0 ? 'ahead of' : 'behind';
        this.logger.warn(
          `This instance's clock is ${(Math.abs(difference.aheadMs) / 1000).toFixed(1)} s ${how} the ${source}'s ` +
            `(more than ${CLOCK_DIFFERENCE_WARNING_MS / 1000} s): sessions, tokens and links expire early or late here. ` +
            'Synchronise it (NTP); locks and rate limits are not affected (they use Redis time).',
        );
      }
    }
    return differences;
  }

  private async measure(source: ClockDifference['source'], read: () => Promise<number | undefined>): Promise<ClockDifference | undefined> {
    const before = this.clock.now();
    const theirs = await read();
    const after = this.clock.now();
    if (theirs === undefined) return undefined;
    return { source, aheadMs: Math.round((before + after) / 2 - theirs), uncertaintyMs: Math.ceil((after - before) / 2) };
  }

  private async databaseNow(): Promise<number> {
    // clock_timestamp(), not now(): now() is the start of the transaction.
    const sql =
      this.dataSource.options.type === 'postgres'
        ? 'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms'
        : "SELECT (julianday('now') - 2440587.5) * 86400000.0 AS ms";
    const [row] = await this.dataSource.query<Array<{ ms: number | string }>>(sql);
    return Number(row.ms);
  }

  private async redisNow(): Promise<number | undefined> {
    if (!this.redis?.available) return undefined;
    const [seconds, micros] = await this.redis.commands.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }
}
