import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { FABRIC_REDIS } from '../fabric-auth.internal-constants.js';
import type { FabricRedis } from './redis-connection.js';

/** Closes the Redis clients with the app, so that `app.close()` leaves no open handle. */
@Injectable()
export class RedisShutdown implements OnApplicationShutdown {
  constructor(@Inject(FABRIC_REDIS) private readonly redis: FabricRedis | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.close();
  }
}
