import { ThrottlerStorageService } from '@nestjs/throttler';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryLockoutStore } from '../../libs/fabric-auth/src/core/ports/lockout-store.js';
import { FabricRedis } from '../../libs/fabric-auth/src/access/redis/redis-connection.js';
import { RedisLockoutStore } from '../../libs/fabric-auth/src/access/redis/redis-lockout-store.js';
import { RedisRevocationBus } from '../../libs/fabric-auth/src/access/redis/redis-revocation-bus.js';
import { RedisThrottlerStorage } from '../../libs/fabric-auth/src/access/redis/redis-throttler-storage.js';
import type { RevocationEvent } from '../../libs/fabric-auth/src/core/ports/revocation-bus.js';
import { REDIS_URL, scratchPrefix } from '../support/redis.js';

const policy = { threshold: 5, windowMs: 60_000, lockMs: 1_000, maxLockMs: 10_000 };

describe('counters shared through Redis', () => {
  const scratch = scratchPrefix();
  let a: FabricRedis;
  let b: FabricRedis;
  beforeAll(async () => {
    a = new FabricRedis(Redis, REDIS_URL, scratch.prefix);
    b = new FabricRedis(Redis, REDIS_URL, scratch.prefix);
    expect(await a.ready()).toBe(true);
    expect(await b.ready()).toBe(true);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await scratch.drop();
  });

  describe.each([
    ['in memory', () => new InMemoryLockoutStore()],
    ['Redis', () => new RedisLockoutStore(a)],
  ])('lockout store %s', (_, make) => {
    it('counts 50 concurrent failures exactly and locks once, at the threshold', async () => {
      const store = make();
      const results = await Promise.all(Array.from({ length: 50 }, () => store.registerFailure('acct-50', policy)));
      expect(results.map((r) => r.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(results.filter((r) => r.lockedNow)).toHaveLength(1);
      expect(results.find((r) => r.lockedNow)!.count).toBe(5);
      expect(await store.lockedFor('acct-50')).toBeGreaterThan(0);
      await store.clear('acct-50');
      expect(await store.lockedFor('acct-50')).toBe(0);
    });

    it('reserves at most the threshold of checks in flight, counts failures only, and a success clears when alone', async () => {
      const store = make();
      const key = `slots-${Math.random()}`;
      const slots = await Promise.all(Array.from({ length: 8 }, () => store.reserve(key, policy, 10_000)));
      const granted = slots.filter((r) => r.outcome === 'go') as Array<{ outcome: 'go'; ticket: string }>;
      expect(granted).toHaveLength(5);
      expect(slots.filter((r) => r.outcome === 'wait')).toHaveLength(3);
      // Four successes while others are in flight leave the count alone; failures are counted.
      for (const slot of granted.slice(0, 4)) expect((await store.settle(key, policy, slot.ticket, false)).count).toBe(0);
      expect((await store.settle(key, policy, granted[4].ticket, true)).count).toBe(1);
      expect((await store.reserve(key, policy, 10_000)).outcome).toBe('go');
      const burst = [];
      for (let i = 0; i < 4; i++) burst.push(await store.reserve(key, policy, 10_000));
      expect(burst.map((r) => r.outcome)).toEqual(['go', 'go', 'go', 'wait']);
      const results = [];
      for (const slot of [...burst.slice(0, 3)] as Array<{ ticket: string }>) results.push(await store.settle(key, policy, slot.ticket, true));
      expect(results.at(-1)).toMatchObject({ count: 4, lockedNow: false });
      await store.clearPrefix(key.slice(0, 6));
      expect((await store.reserve(key, policy, 10_000)).outcome).toBe('go');
    });

    it('a released slot is free at once and counts neither a failure nor a success', async () => {
      const store = make();
      const key = `release-${Math.random()}`;
      await store.registerFailure(key, policy);
      const slots = await Promise.all(Array.from({ length: 5 }, () => store.reserve(key, policy, 10_000)));
      expect(slots.map((r) => r.outcome)).toEqual(['go', 'go', 'go', 'go', 'wait']);
      await store.release(key, (slots[0] as { ticket: string }).ticket);
      const again = await store.reserve(key, policy, 10_000);
      expect(again.outcome).toBe('go');
      // The failure counted before is still there: the next failure is the second.
      expect((await store.settle(key, policy, (again as { ticket: string }).ticket, true)).count).toBe(2);
    });

    it('a lapsed slot is freed; a locked key refuses reservations', async () => {
      const store = make();
      const key = `lapse-${Math.random()}`;
      for (let i = 0; i < 5; i++) await store.reserve(key, policy, 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect((await store.reserve(key, policy, 10_000)).outcome).toBe('go');
      for (let i = 0; i < 5; i++) await store.registerFailure(key, policy);
      expect((await store.reserve(key, policy, 10_000)).outcome).toBe('locked');
    });
  });

  it('two instances share one Redis lockout counter', async () => {
    const one = new RedisLockoutStore(a);
    const two = new RedisLockoutStore(b);
    for (let i = 0; i < 2; i++) await one.registerFailure('shared', policy);
    for (let i = 0; i < 2; i++) await two.registerFailure('shared', policy);
    expect((await one.registerFailure('shared', policy)).lockedNow).toBe(true);
    expect(await two.lockedFor('shared')).toBeGreaterThan(0);
  });

  it('locks on Redis time: the first lock lasts lockMs, the next twice as long, whatever the caller’s clock', async () => {
    const store = new RedisLockoutStore(a);
    const key = `escalate-${Math.random()}`;
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await store.registerFailure(key, policy));
    expect(results.at(-1)).toMatchObject({ count: 5, lockedNow: true });
    expect(results.at(-1)!.lockedForMs).toBeGreaterThan(900);
    expect(results.at(-1)!.lockedForMs).toBeLessThanOrEqual(1_000);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await store.lockedFor(key)).toBe(0);
    const again = await store.registerFailure(key, policy);
    expect(again).toMatchObject({ count: 6, lockedNow: true });
    expect(again.lockedForMs).toBeGreaterThan(1_900);
    expect(again.lockedForMs).toBeLessThanOrEqual(2_000);
  });

  it.each([
    ['in memory', () => new ThrottlerStorageService()],
    ['Redis', () => new RedisThrottlerStorage(a)],
  ])('throttler storage %s blocks past the limit', async (_, make) => {
    const storage = make();
    const records = [];
    for (let i = 0; i < 12; i++) records.push(await storage.increment('ip-1', 60_000, 10, 30_000, 'fabric'));
    expect(records.slice(0, 10).every((r) => !r.isBlocked)).toBe(true);
    expect(records[10].isBlocked).toBe(true);
    expect(records[10].timeToBlockExpire).toBeGreaterThan(0);
    (storage as { onApplicationShutdown?: () => void }).onApplicationShutdown?.();
  });

  it('revocations published on one instance reach the other', async () => {
    const busA = new RedisRevocationBus(a);
    const busB = new RedisRevocationBus(b);
    const received: RevocationEvent[] = [];
    busB.subscribe((event) => received.push(event));
    for (let i = 0; i < 50 && !(busA.reliable() && busB.reliable()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(busB.reliable()).toBe(true);
    received.length = 0;
    await busA.publish({ type: 'session', sessionId: 's-1' });
    for (let i = 0; i < 20 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(received).toEqual([{ type: 'session', sessionId: 's-1' }]);
  });
});
