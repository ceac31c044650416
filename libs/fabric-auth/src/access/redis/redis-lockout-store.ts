import { randomUUID } from 'node:crypto';
import type { FabricLockoutStore, FailureCount, FailurePolicy, Reservation } from '../../core/ports/lockout-store.js';
import type { FabricRedis } from './redis-connection.js';

/**
 * Redis's own clock, in milliseconds: every instance reads the same one, so a lock set by an
 * instance whose clock is off is honoured (and runs out) alike everywhere (SEC-105).
 */
const REDIS_NOW = `
local function redis_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** The same algorithm as InMemoryLockoutStore, in Lua scripts so that each update is atomic across instances. */
const COUNT_FAILURE = `${REDIS_NOW}
local function count_failure(key, now, window, threshold, lockMs, maxLock)
  local h = redis.call('HMGET', key, 'failures', 'windowEndsAt', 'lockedUntil', 'locks', 'locksResetAt')
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
  redis.call('HSET', key, 'failures', f(failures), 'windowEndsAt', f(windowEndsAt), 'lockedUntil', f(lockedUntil), 'locks', f(locks), 'locksResetAt', f(locksResetAt))
  -- The escalation memory (locks, for a day) is kept only once something was locked:
  -- a failure that locks nothing costs its window and no more.
  local keepUntil = math.max(windowEndsAt, lockedUntil)
  if locks > 0 then keepUntil = math.max(keepUntil, locksResetAt) end
  redis.call('PEXPIREAT', key, f(keepUntil))
  local left = lockedUntil - now
  if left < 0 then left = 0 end
  return {failures, f(left), lockedNow}
end
`;

/** KEYS: counter. ARGV: window, threshold, lockMs, maxLock. */
const REGISTER_FAILURE = `${COUNT_FAILURE}
return count_failure(KEYS[1], redis_now(), tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
`;

/** KEYS: counter, its in-flight set (ticket → lapse time). ARGV: window, threshold, holdMs, ticket. */
const RESERVE = `${REDIS_NOW}
local now, window, threshold, hold = redis_now(), tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local h = redis.call('HMGET', KEYS[1], 'failures', 'windowEndsAt', 'lockedUntil')
local failures, windowEndsAt, lockedUntil = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0
if windowEndsAt <= now then failures = 0 end
if lockedUntil > now then return {'locked', string.format('%.0f', lockedUntil - now)} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local room = threshold - failures
if room < 1 then room = 1 end
if redis.call('ZCARD', KEYS[2]) >= room then return {'wait', '0'} end
redis.call('ZADD', KEYS[2], now + hold, ARGV[4])
redis.call('PEXPIRE', KEYS[2], hold)
return {'go', '0'}
`;

/** KEYS: counter, in-flight set. ARGV: window, threshold, lockMs, maxLock, ticket, failed (1/0). */
const SETTLE = `${COUNT_FAILURE}
local now = redis_now()
redis.call('ZREM', KEYS[2], ARGV[5])
if ARGV[6] == '1' then
  return count_failure(KEYS[1], now, tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) == 0 then redis.call('DEL', KEYS[1]) end
return {0, '0', 0}
`;

/** KEYS: counter. The milliseconds it stays locked, by Redis's clock. */
const LOCKED_FOR = `${REDIS_NOW}
local left = (tonumber(redis.call('HGET', KEYS[1], 'lockedUntil')) or 0) - redis_now()
if left < 0 then left = 0 end
return string.format('%.0f', left)
`;

/** Glob characters of SCAN's MATCH, escaped so that a prefix matches literally. */
const escapeGlob = (text: string) => text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/** Every time it compares comes from Redis (`TIME` inside each script), never from the calling instance. */
export class RedisLockoutStore implements FabricLockoutStore {
  constructor(private readonly redis: FabricRedis) {}

  async registerFailure(key: string, policy: FailurePolicy): Promise<FailureCount> {
    this.redis.requireAvailable();
    const [count, left, lockedNow] = (await this.redis.commands.eval(
      REGISTER_FAILURE,
      1,
      this.redis.key(`lockout:${key}`),
      policy.windowMs,
      policy.threshold,
      policy.lockMs,
      policy.maxLockMs,
    )) as [number, string, number];
    return { count: Number(count), lockedForMs: Number(left), lockedNow: lockedNow === 1 };
  }

  async reserve(key: string, policy: FailurePolicy, holdMs: number): Promise<Reservation> {
    this.redis.requireAvailable();
    const ticket = randomUUID();
    const [outcome, left] = (await this.redis.commands.eval(
      RESERVE,
      2,
      this.counterKey(key),
      this.counterKey(`${key}:in-flight`),
      policy.windowMs,
      policy.threshold,
      holdMs,
      ticket,
    )) as [string, string];
    if (outcome === 'go') return { outcome, ticket };
    if (outcome === 'locked') return { outcome, lockedForMs: Number(left) };
    return { outcome: 'wait' };
  }

  async settle(key: string, policy: FailurePolicy, ticket: string, failed: boolean): Promise<FailureCount> {
    this.redis.requireAvailable();
    const [count, left, lockedNow] = (await this.redis.commands.eval(
      SETTLE,
      2,
      this.counterKey(key),
      this.counterKey(`${key}:in-flight`),
      policy.windowMs,
      policy.threshold,
      policy.lockMs,
      policy.maxLockMs,
      ticket,
      failed ? '1' : '0',
    )) as [number, string, number];
    return { count: Number(count), lockedForMs: Number(left), lockedNow: lockedNow === 1 };
  }

  async release(key: string, ticket: string): Promise<void> {
    this.redis.requireAvailable();
    await this.redis.commands.zrem(this.counterKey(`${key}:in-flight`), ticket);
  }

  /** SCANs for the keys (an admin's unlock: rare), deleting them as it goes. */
  async clearPrefix(prefix: string): Promise<void> {
    this.redis.requireAvailable();
    const match = `${escapeGlob(this.counterKey(prefix))}*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.commands.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      if (keys.length > 0) await this.redis.commands.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }

  private counterKey(key: string): string {
    return this.redis.key(`lockout:${key}`);
  }

  async lockedFor(key: string): Promise<number> {
    this.redis.requireAvailable();
    return Number(await this.redis.commands.eval(LOCKED_FOR, 1, this.counterKey(key)));
  }

  async clear(key: string): Promise<void> {
    this.redis.requireAvailable();
    await this.redis.commands.del(this.redis.key(`lockout:${key}`));
  }
}
