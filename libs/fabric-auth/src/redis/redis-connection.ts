import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { RedisClass } from './load-ioredis.js';

/** A command Redis has not answered within this long has failed (a frozen server is a down one). */
export const REDIS_COMMAND_TIMEOUT_MS = 1_000;
const HEALTH_CHECK_MS = 500;

export class RedisUnavailableError extends Error {
  constructor() {
    super('Redis is unreachable or not answering');
    this.name = 'RedisUnavailableError';
  }
}

/**
 * The Redis clients of one app instance. Commands fail at once while Redis is away (no
 * offline queue) and after one second when it does not answer (`commandTimeout`), so
 * callers fail closed instead of hanging; a ping every half second keeps `available`
 * current, so that once Redis is known to be down or frozen nothing waits on it at all.
 */
export class FabricRedis {
  private readonly logger = new Logger('FabricRedis');
  readonly commands: Redis;
  readonly subscriber: Redis;
  private healthy = false;
  private readonly healthListeners = new Set<(healthy: boolean) => void>();
  private readonly timer: NodeJS.Timeout;
  private checking = false;

  constructor(
    RedisClient: RedisClass,
    url: string,
    readonly keyPrefix: string,
  ) {
    const options = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
    };
    // Named per process, so an operator (or a fault test) can tell the connections apart in CLIENT LIST.
    const name = `${keyPrefix.replace(/[^\w:.-]/g, '_')}${process.pid}`;
    this.commands = new RedisClient(url, { ...options, connectionName: `${name}:commands` });
    this.subscriber = new RedisClient(url, { ...options, enableOfflineQueue: true, connectionName: `${name}:subscriber` });
    for (const client of [this.commands, this.subscriber]) {
      client.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
    }
    this.commands.on('ready', () => this.setHealthy(true));
    this.commands.on('close', () => this.setHealthy(false));
    this.timer = setInterval(() => void this.check(), HEALTH_CHECK_MS);
    this.timer.unref();
  }

  /** False while Redis is unreachable or has not answered the last ping in time. */
  get available(): boolean {
    return this.healthy;
  }

  /** Throws `RedisUnavailableError` without a round trip when Redis is known to be away. */
  requireAvailable(): void {
    if (!this.healthy) throw new RedisUnavailableError();
  }

  onHealthChange(listener: (healthy: boolean) => void): () => void {
    this.healthListeners.add(listener);
    return () => this.healthListeners.delete(listener);
  }

  private async check(): Promise<void> {
    if (this.checking || this.commands.status !== 'ready') return;
    this.checking = true;
    try {
      await this.commands.ping();
      this.setHealthy(true);
    } catch {
      this.setHealthy(false);
    } finally {
      this.checking = false;
    }
  }

  private setHealthy(healthy: boolean): void {
    if (healthy === this.healthy) return;
    this.healthy = healthy;
    if (!healthy) this.logger.warn('Redis is not answering: logins and rate-limited routes answer 503, caches are bypassed');
    for (const listener of this.healthListeners) listener(healthy);
  }

  /** Resolves once the command connection is up, or after `timeoutMs` (then commands fail until it is). */
  async ready(timeoutMs = 5_000): Promise<boolean> {
    if (this.commands.status === 'ready') return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.commands.off('ready', onReady);
        this.logger.warn(`Redis not reachable yet: logins and rate-limited routes answer 503 until it is`);
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.commands.once('ready', onReady);
    });
  }

  key(name: string): string {
    return `${this.keyPrefix}${name}`;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.commands.disconnect();
    this.subscriber.disconnect();
  }
}
