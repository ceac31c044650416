import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ApiKeyEntity } from '../../schema/entities/api-key.entity.js';

const FLUSH_INTERVAL_MS = 5_000;
/** Keys per UPDATE statement (3 parameters each, well under every driver's limit). */
const BATCH = 500;
/** Keys with uses not yet written; beyond it, new keys' uses are dropped until the next flush (they are statistics). */
const MAX_PENDING = 100_000;

interface PendingUse {
  count: number;
  /** Epoch milliseconds: a request records a number, and a Date is made only when written or listed. */
  lastUsedAt: number;
}

/**
 * `last_used_at` and `use_count` without a write per request: uses are counted in memory
 * and written every few seconds (and at shutdown) in one statement per batch of keys. A
 * listing does not wait for it: it adds the uses still in memory to what it read.
 */
@Injectable()
export class ApiKeyUsage implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('FabricAuth');
  private pending = new Map<string, PendingUse>();
  /** The batch being written: still counted by `withPending` until it is. */
  private writing = new Map<string, PendingUse>();
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
  }

  /** One use of a key at `at` (epoch milliseconds, the clock reading of the request). */
  record(keyId: string, at: number): void {
    const use = this.pending.get(keyId);
    if (use) {
      use.count++;
      use.lastUsedAt = at;
    } else if (this.pending.size < MAX_PENDING) this.pending.set(keyId, { count: 1, lastUsedAt: at });
  }

  /** The key as stored plus the uses this instance has not written yet. */
  withPending(key: ApiKeyEntity): ApiKeyEntity {
    let count = Number(key.useCount);
    let last = key.lastUsedAt;
    for (const source of [this.writing, this.pending]) {
      const use = source.get(key.id);
      if (!use) continue;
      count += use.count;
      if (!last || use.lastUsedAt > last.getTime()) last = new Date(use.lastUsedAt);
    }
    return Object.assign(Object.create(Object.getPrototypeOf(key) as object) as ApiKeyEntity, key, { useCount: count, lastUsedAt: last });
  }

  /** Writes what was counted so far; one flush at a time. */
  flush(): Promise<void> {
    if (this.flushing || this.pending.size === 0) return this.flushing ?? Promise.resolve();
    this.writing = this.pending;
    this.pending = new Map();
    this.flushing = this.write([...this.writing]).finally(() => {
      this.writing = new Map();
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async write(uses: Array<[string, PendingUse]>): Promise<void> {
    for (let i = 0; i < uses.length; i += BATCH) {
      const batch = uses.slice(i, i + BATCH);
      try {
        await this.writeBatch(batch);
      } catch (error) {
        this.logger.warn(`could not record the usage of ${batch.length} API keys: ${(error as Error).message}`);
      }
    }
  }

  /** One UPDATE for the whole batch: a VALUES join on PostgreSQL, CASE expressions on SQLite. */
  private async writeBatch(batch: Array<[string, PendingUse]>): Promise<void> {
    const { manager } = this.keys;
    const table = manager.connection.getMetadata(ApiKeyEntity).tableName;
    if (manager.connection.options.type === 'postgres') {
      const params: unknown[] = [];
      const rows = batch.map(([id, use]) => {
        params.push(id, Math.trunc(use.count), new Date(use.lastUsedAt));
        const n = params.length;
        return `($${n - 2}::uuid, $${n - 1}::integer, $${n}::timestamp)`;
      });
      await manager.query(
        `UPDATE "${table}" AS k SET use_count = k.use_count + u.n, last_used_at = GREATEST(k.last_used_at, u.at) ` +
          `FROM (VALUES ${rows.join(', ')}) AS u(id, n, at) WHERE k.id = u.id`,
        params,
      );
      return;
    }
    const driver = manager.connection.driver;
    const column = manager.connection.getMetadata(ApiKeyEntity).findColumnWithPropertyName('lastUsedAt')!;
    const counts = batch.map(() => 'WHEN ? THEN ?').join(' ');
    const times = batch.map(() => 'WHEN ? THEN ?').join(' ');
    const params = [
      ...batch.flatMap(([id, use]) => [id, Math.trunc(use.count)]),
      ...batch.flatMap(([id, use]) => [id, driver.preparePersistentValue(new Date(use.lastUsedAt), column) as unknown]),
      ...batch.map(([id]) => id),
    ];
    await manager.query(
      `UPDATE "${table}" SET use_count = use_count + CASE id ${counts} ELSE 0 END, ` +
        `last_used_at = MAX(COALESCE(last_used_at, ''), CASE id ${times} END) ` +
        `WHERE id IN (${batch.map(() => '?').join(', ')})`,
      params,
    );
  }
}
