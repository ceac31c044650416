import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { FABRIC_REDIS } from '../../core/fabric-auth.internal-constants.js';
import type { FabricRedis } from './redis-connection.js';

/**
 * Waits (briefly) for Redis before the app serves, so the first logins do not fail on a
 * connection still being made; closes the clients with the app.
 */
@Injectable()
export class RedisLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(FABRIC_REDIS) private readonly redis: FabricRedis | null) {}

  async onModuleInit(): Promise<void> {
    await this.redis?.ready();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.close();
  }
}
