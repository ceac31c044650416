import type { FabricClock } from '../common/clock.js';
import type { FabricLockoutStore, FailureCount, FailurePolicy } from '../limits/lockout-store.js';
import type { FabricRedis } from './redis-connection.js';

/** The same algorithm as InMemoryLockoutStore, in one Lua script so that it is atomic across instances. */
const REGISTER_FAILURE = `
local now, window, threshold = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local lockMs, maxLock = tonumber(ARGV[4]), tonumber(ARGV[5])
local h = redis.call('HMGET', KEYS[1], 'failures', 'windowEndsAt', 'lockedUntil', 'locks', 'locksResetAt')
local failures, windowEndsAt = tonumber(h[1]) or 0, tonumber(h[2]) or 0
local lockedUntil, locks, locksResetAt = tonumber(h[3]) or 0, tonumber(h[4]) or 0, tonumber(h[5]) or 0
if windowEndsAt <= now then failures = 0; windowEndsAt = now + window end
if locksResetAt <= now then locks = 0; locksResetAt = now + 86400000 end
failures = failures + 1
local lockedNow = 0
if lockedUntil <= now and failures >= threshold then
  locks = locks + 1
  local d = lockMs * (2 ^ (locks - 1))
  if d > maxLock then d = maxLock end
  lockedUntil = now + d
  lockedNow = 1
end
local f = function(x) return string.format('%.0f', x) end
redis.call('HSET', KEYS[1], 'failures', f(failures), 'windowEndsAt', f(windowEndsAt), 'lockedUntil', f(lockedUntil), 'locks', f(locks), 'locksResetAt', f(locksResetAt))
-- The escalation memory (locks, for a day) is kept only once something was locked:
-- a failure that locks nothing costs its window and no more.
local keepUntil = math.max(windowEndsAt, lockedUntil)
if locks > 0 then keepUntil = math.max(keepUntil, locksResetAt) end
redis.call('PEXPIREAT', KEYS[1], f(keepUntil))
local left = lockedUntil - now
if left < 0 then left = 0 end
return {failures, f(left), lockedNow}
`;

export class RedisLockoutStore implements FabricLockoutStore {
  constructor(
    private readonly redis: FabricRedis,
    private readonly clock: FabricClock,
  ) {}

  async registerFailure(key: string, policy: FailurePolicy): Promise<FailureCount> {
    this.redis.requireAvailable();
    const [count, left, lockedNow] = (await this.redis.commands.eval(
      REGISTER_FAILURE,
      1,
      this.redis.key(`lockout:${key}`),
      this.clock.now(),
      policy.windowMs,
      policy.threshold,
      policy.lockMs,
      policy.maxLockMs,
    )) as [number, string, number];
    return { count: Number(count), lockedForMs: Number(left), lockedNow: lockedNow === 1 };
  }

  async lockedFor(key: string): Promise<number> {
    this.redis.requireAvailable();
    const until = await this.redis.commands.hget(this.redis.key(`lockout:${key}`), 'lockedUntil');
    return Math.max(0, Number(until ?? 0) - this.clock.now());
  }

  async clear(key: string): Promise<void> {
    this.redis.requireAvailable();
    await this.redis.commands.del(this.redis.key(`lockout:${key}`));
  }
}
