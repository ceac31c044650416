import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface.js';
import type { FabricRedis } from './redis-connection.js';

/** Fixed-window hit counter with a block, atomic in one Lua script, shared by every instance. */
const INCREMENT = `
local ttl, limit, block = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local blocked = redis.call('PTTL', KEYS[2])
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ttl) end
local left = redis.call('PTTL', KEYS[1])
if blocked > 0 then return {hits, left, 1, blocked} end
if hits > limit then
  redis.call('SET', KEYS[2], '1', 'PX', block)
  return {hits, left, 1, block}
end
return {hits, left, 0, 0}
`;

/** `@nestjs/throttler`'s storage port on Redis. */
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly redis: FabricRedis) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    this.redis.requireAvailable();
    const base = this.redis.key(`throttle:${throttlerName}:${key}`);
    const [hits, left, blocked, blockLeft] = (await this.redis.commands.eval(INCREMENT, 2, `${base}:hits`, `${base}:block`, ttl, limit, blockDuration)) as number[];
    return {
      totalHits: hits,
      timeToExpire: Math.ceil(Math.max(0, left) / 1000),
      isBlocked: blocked === 1,
      timeToBlockExpire: Math.ceil(Math.max(0, blockLeft) / 1000),
    };
  }
}
