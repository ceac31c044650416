import { Logger } from '@nestjs/common';
import type { FabricRevocationBus, RevocationEvent, RevocationListener } from '../../core/ports/revocation-bus.js';
import type { FabricRedis } from './redis-connection.js';

function isRevocationEvent(value: unknown): value is RevocationEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Record<string, unknown>;
  switch (event.type) {
    case 'session':
      return typeof event.sessionId === 'string';
    case 'principal':
      return typeof event.principalId === 'string';
    case 'api_key':
      return typeof event.apiKeyId === 'string';
    case 'all':
      return true;
    default:
      return false;
  }
}

/**
 * Revocations broadcast over Redis pub/sub so every instance drops its cached principals
 * at once. While the subscription is down the bus reports itself unreliable and caches
 * are bypassed (each request reads the database); once it is back, caches are emptied,
 * since events may have been missed meanwhile.
 */
export class RedisRevocationBus implements FabricRevocationBus {
  private readonly logger = new Logger('FabricRedis');
  private readonly listeners = new Set<RevocationListener>();
  private readonly channel: string;
  private subscribed = false;

  constructor(private readonly redis: FabricRedis) {
    this.channel = redis.key('revocations');
    redis.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      let event: unknown;
      try {
        event = JSON.parse(message);
      } catch {
        return;
      }
      if (isRevocationEvent(event)) this.dispatch(event);
    });
    redis.subscriber.on('ready', () => void this.listenOnRedis());
    if (redis.subscriber.status === 'ready') void this.listenOnRedis();
    redis.subscriber.on('close', () => {
      this.subscribed = false;
    });
    // Back from a freeze or an outage: messages may have been lost meanwhile.
    redis.onHealthChange((healthy) => {
      if (healthy) this.dispatch({ type: 'all' });
    });
  }

  private async listenOnRedis(): Promise<void> {
    try {
      await this.redis.subscriber.subscribe(this.channel);
      this.subscribed = true;
      this.dispatch({ type: 'all' });
    } catch (error) {
      this.logger.warn(`revocation channel: ${(error as Error).message}`);
    }
  }

  /** Subscribed, and Redis answering: a frozen server keeps its sockets open but delivers nothing. */
  reliable(): boolean {
    return this.subscribed && this.redis.available;
  }

  /**
   * Local listeners hear it at once; other instances through Redis. A lost broadcast only
   * delays the others until they read the revocation log (about a second).
   */
  async publish(event: RevocationEvent): Promise<void> {
    this.dispatch(event);
    try {
      this.redis.requireAvailable();
      await this.redis.commands.publish(this.channel, JSON.stringify(event));
    } catch (error) {
      this.logger.warn(`revocation not broadcast (${(error as Error).message}); other instances learn it from the revocation log`);
    }
  }

  subscribe(listener: RevocationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private dispatch(event: RevocationEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
