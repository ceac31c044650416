import { describe, expect, it } from 'vitest';
import { BoundedCache } from './bounded-cache.js';

interface Grant {
  readonly owner: string;
  readonly keyId: string;
}

function cacheAt(options: { max?: number; ttl?: number } = {}) {
  const clock = { now: 1_000_000 };
  const cache = new BoundedCache<Grant, 'owner' | 'keyId'>({
    max: options.max ?? 10,
    ttl: options.ttl ?? 60_000,
    now: () => clock.now,
    indexBy: { owner: (g) => g.owner, keyId: (g) => g.keyId },
  });
  return { cache, clock };
}

describe('BoundedCache', () => {
  it('returns what was set, until its lifetime ends', () => {
    const { cache, clock } = cacheAt({ ttl: 1000 });
    const grant = { owner: 'u1', keyId: 'k1' };
    expect(cache.set('a', grant, cache.currentEpoch)).toBe(true);
    expect(cache.get('a')).toBe(grant);
    clock.now += 1000;
    expect(cache.get('a')).toBe(grant);
    clock.now += 1;
    expect(cache.get('a')).toBeUndefined();
  });

  it('judges expiry by the reading a caller hands to get, and by its own clock otherwise', () => {
    const { cache, clock } = cacheAt({ ttl: 1000 });
    const grant = { owner: 'u1', keyId: 'k1' };
    cache.set('a', grant, cache.currentEpoch);
    expect(cache.get('a', clock.now + 1000)).toBe(grant);
    clock.now += 2000;
    // The clock has moved past the lifetime, the reading handed in has not.
    expect(cache.get('a', clock.now - 1000)).toBe(grant);
    expect(cache.get('a')).toBeUndefined();
    cache.set('b', grant, cache.currentEpoch);
    expect(cache.get('b', clock.now + 1001)).toBeUndefined();
    expect(cache.get('b')).toBeUndefined();
  });

  it('lets one entry live shorter than the default, never longer by default', () => {
    const { cache, clock } = cacheAt({ ttl: 1000 });
    cache.set('short', { owner: 'u1', keyId: 'k1' }, cache.currentEpoch, 100);
    cache.set('default', { owner: 'u1', keyId: 'k2' }, cache.currentEpoch);
    clock.now += 101;
    expect(cache.get('short')).toBeUndefined();
    expect(cache.get('default')).toBeDefined();
  });

  it('evicts the least recently used beyond its size, and its index entries with it', () => {
    const { cache } = cacheAt({ max: 2 });
    cache.set('a', { owner: 'u1', keyId: 'k1' }, cache.currentEpoch);
    cache.set('b', { owner: 'u2', keyId: 'k2' }, cache.currentEpoch);
    cache.get('a');
    cache.set('c', { owner: 'u3', keyId: 'k3' }, cache.currentEpoch);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.counts()).toEqual({ entries: 2, indexed: { owner: 2, keyId: 2 } });
  });

  it('leaves a hit on a recently put entry in place, and still evicts the least recently used', () => {
    const { cache } = cacheAt({ max: 4 });
    for (const key of ['a', 'b', 'c', 'd']) cache.set(key, { owner: key, keyId: key }, cache.currentEpoch);
    const order = () => [...(cache as unknown as { entries: Map<string, unknown> }).entries.keys()];
    cache.get('d');
    cache.get('c');
    // Both in the recent half: not moved (a Map delete and insert per hit is what this saves).
    expect(order()).toEqual(['a', 'b', 'c', 'd']);
    cache.get('a');
    expect(order()).toEqual(['b', 'c', 'd', 'a']);
    cache.set('e', { owner: 'e', keyId: 'e' }, cache.currentEpoch);
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.get('d'), cache.get('e')].map((g) => g?.owner)).toEqual(['a', undefined, 'c', 'd', 'e']);
  });

  it('never evicts an entry hit between every two sets', () => {
    const { cache } = cacheAt({ max: 4 });
    cache.set('hot', { owner: 'hot', keyId: 'hot' }, cache.currentEpoch);
    for (let i = 0; i < 50; i++) {
      expect(cache.get('hot')).toBeDefined();
      cache.set(`k${i}`, { owner: `k${i}`, keyId: `k${i}` }, cache.currentEpoch);
    }
    expect(cache.get('hot')).toBeDefined();
    expect(cache.counts().entries).toBe(4);
  });

  it('drops every entry of one index id, and only those', () => {
    const { cache } = cacheAt();
    cache.set('a', { owner: 'u1', keyId: 'k1' }, cache.currentEpoch);
    cache.set('b', { owner: 'u1', keyId: 'k2' }, cache.currentEpoch);
    cache.set('c', { owner: 'u2', keyId: 'k2' }, cache.currentEpoch);
    cache.deleteIndexed('owner', 'u1');
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, undefined, { owner: 'u2', keyId: 'k2' }]);
    cache.deleteIndexed('keyId', 'k2');
    expect(cache.get('c')).toBeUndefined();
    expect(cache.counts()).toEqual({ entries: 0, indexed: { owner: 0, keyId: 0 } });
  });

  it('re-indexes an entry that is overwritten under another owner', () => {
    const { cache } = cacheAt();
    cache.set('a', { owner: 'u1', keyId: 'k1' }, cache.currentEpoch);
    cache.set('a', { owner: 'u2', keyId: 'k1' }, cache.currentEpoch);
    cache.deleteIndexed('owner', 'u1');
    expect(cache.get('a')).toEqual({ owner: 'u2', keyId: 'k1' });
    expect(cache.counts().indexed).toEqual({ owner: 1, keyId: 1 });
  });

  it('drops expired entries as new ones are set, least recently used first, without waiting for the bound', () => {
    const { cache, clock } = cacheAt({ max: 100, ttl: 1000 });
    for (const key of ['a', 'b', 'c']) cache.set(key, { owner: key, keyId: key }, cache.currentEpoch);
    clock.now += 1001;
    cache.set('d', { owner: 'd', keyId: 'd' }, cache.currentEpoch);
    // Counted without the purge `counts()` does: what the cache still holds.
    expect((cache as unknown as { entries: Map<string, unknown> }).entries.size).toBe(1);
    expect(cache.get('d')).toEqual({ owner: 'd', keyId: 'd' });
  });

  it('forgets index ids of expired entries when counting', () => {
    const { cache, clock } = cacheAt({ ttl: 1000 });
    cache.set('a', { owner: 'u1', keyId: 'k1' }, cache.currentEpoch);
    clock.now += 1001;
    expect(cache.counts()).toEqual({ entries: 0, indexed: { owner: 0, keyId: 0 } });
  });

  it.each([
    ['delete', (c: BoundedCache<Grant, 'owner' | 'keyId'>) => c.delete('unrelated')],
    ['deleteIndexed', (c: BoundedCache<Grant, 'owner' | 'keyId'>) => c.deleteIndexed('owner', 'someone else')],
    ['clear', (c: BoundedCache<Grant, 'owner' | 'keyId'>) => c.clear()],
    ['invalidateLoads', (c: BoundedCache<Grant, 'owner' | 'keyId'>) => c.invalidateLoads()],
  ])('does not cache a value read before an invalidation (%s)', (_, invalidate) => {
    const { cache } = cacheAt();
    const epoch = cache.currentEpoch;
    invalidate(cache);
    expect(cache.set('a', { owner: 'u1', keyId: 'k1' }, epoch)).toBe(false);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.set('a', { owner: 'u1', keyId: 'k1' }, cache.currentEpoch)).toBe(true);
  });

  it('caches nothing with a lifetime of 0', () => {
    const { cache } = cacheAt({ ttl: 0 });
    expect(cache.enabled).toBe(false);
    expect(cache.set('a', { owner: 'u1', keyId: 'k1' }, cache.currentEpoch)).toBe(false);
    expect(cache.get('a')).toBeUndefined();
    cache.deleteIndexed('owner', 'u1');
    expect(cache.counts()).toEqual({ entries: 0, indexed: { owner: 0, keyId: 0 } });
  });
});
