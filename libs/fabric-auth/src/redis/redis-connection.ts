import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';

/**
 * The Redis clients of one app instance: commands fail at once while Redis is away
 * (no offline queue), so callers can fail closed instead of hanging.
 */
export class FabricRedis {
  private readonly logger = new Logger('FabricRedis');
  readonly commands: Redis;
  readonly subscriber: Redis;

  constructor(
    url: string,
    readonly keyPrefix: string,
  ) {
    const options = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
    };
    this.commands = new Redis(url, options);
    this.subscriber = new Redis(url, { ...options, enableOfflineQueue: true });
    for (const client of [this.commands, this.subscriber]) {
      client.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
    }
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
    this.commands.disconnect();
    this.subscriber.disconnect();
  }
}
