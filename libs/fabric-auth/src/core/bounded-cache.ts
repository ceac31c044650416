export interface BoundedCacheOptions<V extends object, I extends string> {
  /** Entries kept at most; the least recently used go first. */
  readonly max: number;
  /** Default lifetime of an entry in milliseconds; 0 or less turns the cache off (every `get` misses). */
  readonly ttl: number;
  /** The clock entries expire by (the library's `FabricClock`, so tests can move time). */
  readonly now: () => number;
  /**
   * Secondary keys an entry is also found under, so that one revocation (of an owner, of a
   * key id) drops every entry it touches without scanning the cache.
   */
  readonly indexBy?: { readonly [name in I]: (value: V) => string };
}

/** Expired entries dropped from the least recently used end by each `set`, at most. */
const SWEEP_PER_SET = 4;

interface Slot<V> {
  readonly value: V;
  /** The last clock reading at which the entry is still alive. */
  readonly expiresAt: number;
  /** `BoundedCache.moves` when the entry was last put at the recent end of the map. */
  movedAt: number;
}

/**
 * An LRU cache of credentials' principals with a size bound, a lifetime per entry, secondary
 * indexes kept in step with evictions, and an epoch: every invalidation bumps it, and a value
 * read from the database before an invalidation is not cached after it (`set(…, since)`), so
 * a load that raced a revocation cannot bring the revoked state back.
 *
 * A Map in recency order (a hit moves its entry to the end; the first entry is the one to
 * evict): it holds what was cached and grows with it, where a preallocating LRU of the same
 * bound costs its whole size at startup (lru-cache: ~4 MiB and 15-35 ms per cache of 100,000).
 * A hit on an entry already in the recent half is left where it is: moving it (a Map delete
 * and insert) cost 0.15-2 µs per request on the guard's path, and such an entry is not next
 * in line for eviction (at most `max / 2` entries were put after it), so the order stays
 * least-recently-used up to that half.
 */
export class BoundedCache<V extends object, I extends string = never> {
  private readonly entries: Map<string, Slot<V>> | undefined;
  private readonly indexes: ReadonlyArray<{ readonly name: I; readonly keyOf: (value: V) => string; readonly keys: Map<string, Set<string>> }>;
  private epoch = 0;
  /** Entries put at the recent end so far (sets and moves); what `Slot.movedAt` counts in. */
  private moves = 0;
  private readonly recentHalf: number;

  constructor(private readonly options: BoundedCacheOptions<V, I>) {
    const indexBy = (options.indexBy ?? {}) as Record<I, (value: V) => string>;
    this.indexes = (Object.keys(indexBy) as I[]).map((name) => ({ name, keyOf: indexBy[name], keys: new Map() }));
    if (options.ttl > 0) this.entries = new Map();
    this.recentHalf = Math.floor(options.max / 2);
  }

  get enabled(): boolean {
    return this.entries !== undefined;
  }

  /**
   * Synchronous, no allocation: this is the per-request hot path. `now` is the caller's reading
   * of the same clock (`options.now`), so that a request reads the clock once, not once per cache.
   */
  get(key: string, now?: number): V | undefined {
    const slot = this.entries?.get(key);
    if (slot === undefined) return undefined;
    if ((now ?? this.options.now()) > slot.expiresAt) {
      this.remove(key, slot);
      return undefined;
    }
    if (this.moves - slot.movedAt >= this.recentHalf) {
      this.entries!.delete(key);
      this.entries!.set(key, slot);
      slot.movedAt = ++this.moves;
    }
    return slot.value;
  }

  /** Take before reading what will be cached; hand it to `set`. */
  get currentEpoch(): number {
    return this.epoch;
  }

  /**
   * Caches `value` unless an invalidation happened since `epoch` was taken (or the cache is
   * off); `ttl` (ms) shortens the entry's lifetime below the default. Returns whether it did.
   */
  set(key: string, value: V, epoch: number, ttl?: number): boolean {
    if (this.entries === undefined || epoch !== this.epoch) return false;
    const previous = this.entries.get(key);
    if (previous !== undefined) this.remove(key, previous);
    const now = this.options.now();
    this.entries.set(key, { value, expiresAt: now + (ttl ?? this.options.ttl), movedAt: ++this.moves });
    for (const index of this.indexes) {
      const id = index.keyOf(value);
      let keys = index.keys.get(id);
      if (keys === undefined) index.keys.set(id, (keys = new Set()));
      keys.add(key);
    }
    while (this.entries.size > this.options.max) {
      const [oldestKey, oldest] = this.entries.entries().next().value!;
      this.remove(oldestKey, oldest);
    }
    // The least recently used entries past their lifetime go as new ones arrive, a few per call,
    // not only when the bound forces them out: a churn of short-lived credentials keeps no dead weight.
    let swept = 0;
    for (const [staleKey, stale] of this.entries) {
      if (swept++ === SWEEP_PER_SET || now <= stale.expiresAt) break;
      this.remove(staleKey, stale);
    }
    return true;
  }

  /** Something changed that no entry here holds: only loads in flight are made stale. */
  invalidateLoads(): void {
    this.epoch++;
  }

  delete(key: string): void {
    this.epoch++;
    const slot = this.entries?.get(key);
    if (slot !== undefined) this.remove(key, slot);
  }

  /** Every entry whose `indexBy[index]` is `id`. */
  deleteIndexed(index: I, id: string): void {
    this.epoch++;
    const keys = this.indexes.find((i) => i.name === index)?.keys.get(id);
    if (keys === undefined || this.entries === undefined) return;
    // Removing an entry shrinks this same set: walk a copy.
    for (const key of [...keys]) {
      const slot = this.entries.get(key);
      if (slot !== undefined) this.remove(key, slot);
    }
  }

  clear(): void {
    this.epoch++;
    this.entries?.clear();
    for (const index of this.indexes) index.keys.clear();
  }

  /** Live entries, and the distinct ids per index; expired entries are dropped first. */
  counts(): { entries: number; indexed: Record<I, number> } {
    if (this.entries !== undefined) {
      const now = this.options.now();
      for (const [key, slot] of this.entries) if (now > slot.expiresAt) this.remove(key, slot);
    }
    const indexed = {} as Record<I, number>;
    for (const index of this.indexes) indexed[index.name] = index.keys.size;
    return { entries: this.entries?.size ?? 0, indexed };
  }

  /** The entry goes, and its index entries with it: the indexes never outlive their entry. */
  private remove(key: string, slot: Slot<V>): void {
    this.entries!.delete(key);
    for (const index of this.indexes) removeFrom(index.keys, index.keyOf(slot.value), key);
  }
}

function removeFrom(map: Map<string, Set<string>>, id: string, key: string): void {
  const keys = map.get(id);
  if (keys === undefined) return;
  keys.delete(key);
  if (keys.size === 0) map.delete(id);
}
