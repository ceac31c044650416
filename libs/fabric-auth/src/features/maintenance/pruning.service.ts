import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { DataSource, EntityTarget, ObjectLiteral, QueryRunner, Repository } from 'typeorm';
import { ApiKeyEntity } from '../../schema/entities/api-key.entity.js';
import { AuditEventEntity } from '../../schema/entities/audit-event.entity.js';
import { AuditService } from '../../data/audit.service.js';
import { FabricClock } from '../../core/clock.js';
import { quotedTableName } from '../../schema/table-name.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { OneTimeTokenEntity } from '../../schema/entities/one-time-token.entity.js';
import { MfaChallengeEntity } from '../../schema/entities/mfa-challenge.entity.js';
import { SessionEntity } from '../../schema/entities/session.entity.js';
import { sha256 } from '../../core/crypto.js';
import { PeriodicRound } from '../../core/periodic-round.js';

const DAY_MS = 86_400_000;
/** Rows deleted per statement: each batch is a short transaction of its own, so no table is locked for long. */
const BATCH = 5_000;

export interface PruneResult {
  sessions: number;
  oneTimeTokens: number;
  /** Used or expired `mfa_token`s and passkey challenges. */
  mfaChallenges: number;
  apiKeys: number;
  auditEvents: number;
}

/**
 * Keeps the tables from growing without bound: every `auth.prune_interval` seconds it deletes
 * sessions that can no longer be used (expired or revoked, once no access token minted from
 * them can still be valid), used or expired one-time tokens and MFA challenges, API keys revoked or expired more
 * than `auth.revoked_key_retention_days` ago, and audit events older than
 * `auth.audit_retention_days` (0: kept). With several instances on one PostgreSQL, a
 * session-level advisory lock lets one run at a time; the others skip that round.
 *
 * @publicApi
 */
@Injectable()
export class PruningService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('FabricPruning');
  private readonly dataSource: DataSource;
  private readonly rounds = new PeriodicRound(
    () => this.pruneOnce(),
    (error) => this.logger.error(`pruning failed: ${error.message}`),
  );

  constructor(
    @InjectRepository(SessionEntity) sessions: Repository<SessionEntity>,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly clock: FabricClock,
    private readonly audit: AuditService,
  ) {
    this.dataSource = sessions.manager.connection;
  }

  onApplicationBootstrap(): void {
    this.rounds.start(this.options.pruneInterval);
  }

  /** Before TypeORM closes the connection (it does so at application shutdown). */
  onModuleDestroy(): Promise<void> {
    return this.rounds.stop();
  }

  /** One pruning round now; null when another instance (or this one) is already pruning. */
  prune(): Promise<PruneResult | null> {
    return this.rounds.busy ? Promise.resolve(null) : this.rounds.runOnce();
  }

  private async pruneOnce(): Promise<PruneResult | null> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      if (!(await this.lock(runner))) return null;
      try {
        const result = await this.deleteAll(runner);
        if (result.sessions + result.oneTimeTokens + result.apiKeys + result.auditEvents > 0) {
          await this.audit.record({ action: 'maintenance.prune', outcome: 'success', details: { ...result } });
        }
        return result;
      } finally {
        await this.unlock(runner);
      }
    } finally {
      await runner.release();
    }
  }

  private async deleteAll(runner: QueryRunner): Promise<PruneResult> {
    const now = this.clock.now();
    // An access token outlives the refresh that minted it by at most its own lifetime.
    const sessionCutoff = this.date(now - (this.options.accessTokenExpire + this.options.clockSkew) * 1000);
    const keyCutoff = this.date(now - this.options.revokedKeyRetentionDays * DAY_MS);
    const result: PruneResult = {
      sessions: await this.deleteWhere(runner, SessionEntity, 'expires_at <= :1 OR absolute_expires_at <= :1 OR revoked_at <= :1', [sessionCutoff]),
      oneTimeTokens: await this.deleteWhere(runner, OneTimeTokenEntity, 'used_at IS NOT NULL OR expires_at <= :1', [this.date(now)]),
      mfaChallenges: await this.deleteWhere(runner, MfaChallengeEntity, 'consumed_at IS NOT NULL OR expires_at <= :1', [this.date(now)]),
      apiKeys: await this.deleteWhere(runner, ApiKeyEntity, 'revoked_at <= :1 OR expires_at <= :1', [keyCutoff]),
      auditEvents: 0,
    };
    if (this.options.auditRetentionDays > 0) {
      result.auditEvents = await this.deleteWhere(runner, AuditEventEntity, 'occurred_at < :1', [this.date(now - this.options.auditRetentionDays * DAY_MS)]);
    }
    return result;
  }

  /** Deletes in batches of BATCH rows until none is left; `:1` in `condition` is the one parameter. */
  private async deleteWhere(runner: QueryRunner, entity: EntityTarget<ObjectLiteral>, condition: string, [value]: [unknown]): Promise<number> {
    const table = this.table(entity);
    const postgres = this.isPostgres();
    const where = postgres ? condition.replaceAll(':1', '$1') : condition.replaceAll(':1', '?');
    const parameters = postgres ? [value] : Array.from({ length: condition.split(':1').length - 1 }, () => value);
    let total = 0;
    for (;;) {
      const sql = `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${where} LIMIT ${BATCH})`;
      const answer: unknown = await runner.query(sql, parameters, true);
      const affected = Number((answer as { affected?: number }).affected ?? 0);
      total += affected;
      if (affected < BATCH) return total;
    }
  }

  private async lock(runner: QueryRunner): Promise<boolean> {
    // SQLite serialises writers itself and every batch is idempotent: only PostgreSQL,
    // where several hosts share the database, needs a lock.
    if (!this.isPostgres()) return true;
    const [{ locked }] = await runner.query('SELECT pg_try_advisory_lock($1::bigint) AS locked', [this.lockKey()]);
    return locked === true;
  }

  private async unlock(runner: QueryRunner): Promise<void> {
    if (this.isPostgres()) await runner.query('SELECT pg_advisory_unlock($1::bigint)', [this.lockKey()]);
  }

  /**
   * The PostgreSQL advisory lock a pruning round holds (visible in `pg_locks`); one key per
   * set of tables, so apps sharing a database under other table names do not wait on each other.
   */
  lockKey(): string {
    return sha256(`fabric-auth prune ${this.table(SessionEntity)}`, 'buffer')
      .readBigInt64BE(0)
      .toString();
  }

  private isPostgres(): boolean {
    return this.dataSource.driver.options.type === 'postgres';
  }

  private table(entity: EntityTarget<ObjectLiteral>): string {
    return quotedTableName(this.dataSource, entity);
  }

  /** The parameter form TypeORM stores dates in: `Date` for PostgreSQL, UTC text for SQLite. */
  private date(ms: number): Date | string {
    const date = new Date(ms);
    return this.isPostgres() ? date : date.toISOString().replace('T', ' ').replace('Z', '');
  }
}
