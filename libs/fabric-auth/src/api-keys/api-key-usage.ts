import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity.js';

const FLUSH_INTERVAL_MS = 5_000;

interface PendingUse {
  count: number;
  lastUsedAt: Date;
}

/**
 * `last_used_at` and `use_count` without a write per request: uses are counted in memory
 * and written in one statement per key every few seconds, before a listing, and at shutdown.
 */
@Injectable()
export class ApiKeyUsage implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('FabricAuth');
  private pending = new Map<string, PendingUse>();
  private timer: NodeJS.Timeout | undefined;

  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  record(keyId: string, at: Date): void {
    const use = this.pending.get(keyId);
    if (use) {
      use.count++;
      use.lastUsedAt = at;
    } else this.pending.set(keyId, { count: 1, lastUsedAt: at });
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    for (const [id, use] of batch) {
      try {
        await this.keys
          .createQueryBuilder()
          .update()
          .set({ useCount: () => `use_count + ${Math.trunc(use.count)}`, lastUsedAt: use.lastUsedAt })
          .where('id = :id', { id })
          .execute();
      } catch (error) {
        this.logger.warn(`could not record API key usage: ${(error as Error).message}`);
      }
    }
  }
}
