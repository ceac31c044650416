import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { RedisClass } from './load-ioredis.js';
import { FabricError } from '../../core/fabric-error.js';

/** A command Redis has not answered within this long has failed (a frozen server is a down one). */
export const REDIS_COMMAND_TIMEOUT_MS = 1_000;
const HEALTH_CHECK_MS = 500;
/** While Redis stays away, a reminder at most this often (the clients retry every ≤ 2 s, silently). */
export const REDIS_OUTAGE_REMINDER_MS = 60_000;

export class RedisUnavailableError extends FabricError {
  constructor() {
    super('redis_unavailable', 'Redis is unreachable or not answering');
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
  /** The outage being reported: when it began, when it was last mentioned, what failed since. */
  private outage: { since: number; reported: number; failures: number } | undefined;
  private readonly where: string;

  constructor(
    RedisClient: RedisClass,
    url: string,
    readonly keyPrefix: string,
    private readonly reminderMs = REDIS_OUTAGE_REMINDER_MS,
  ) {
    this.where = URL.canParse(url) ? `${new URL(url).hostname}:${new URL(url).port || 6379}` : 'the configured URL';
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
      client.on('error', (error: Error) => this.outageSeen(error.message || (error as { code?: string }).code || 'connection error'));
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
    if (!healthy) this.outageSeen('not answering');
    else this.outageOver();
    for (const listener of this.healthListeners) listener(healthy);
  }

  /**
   * Both clients retry every ≤ 2 s and fail each time: one warning when the outage begins, then
   * a reminder at most every `reminderMs`, then one line when Redis answers again.
   */
  private outageSeen(reason: string): void {
    const now = Date.now();
    if (!this.outage) {
      this.outage = { since: now, reported: now, failures: 1 };
      this.logger.warn(
        `Redis at ${this.where} is unreachable (${reason}): logins and rate-limited routes answer 503 and caches are bypassed until it answers; ` +
          `reconnecting every ≤ 2 s, reminder every ${Math.round(this.reminderMs / 1000)} s`,
      );
      return;
    }
    this.outage.failures++;
    if (now - this.outage.reported < this.reminderMs) return;
    this.outage.reported = now;
    this.logger.warn(`Redis at ${this.where} still unreachable after ${Math.round((now - this.outage.since) / 1000)} s (${this.outage.failures} failed attempts; last: ${reason})`);
  }

  private outageOver(): void {
    if (!this.outage) return;
    this.logger.log(`Redis at ${this.where} answers again, after ${Math.round((Date.now() - this.outage.since) / 1000)} s`);
    this.outage = undefined;
  }

  /** Resolves once the command connection is up, or after `timeoutMs` (then commands fail until it is). */
  async ready(timeoutMs = 5_000): Promise<boolean> {
    if (this.commands.status === 'ready') return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.commands.off('ready', onReady);
        this.outageSeen(`no connection after ${timeoutMs / 1000} s`);
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
