/** What one failed attempt did to the counter under its key. */
export interface FailureCount {
  /** Failures counted in the current window, this one included. */
  count: number;
  /** Milliseconds the key stays locked; 0 when it is not. */
  lockedForMs: number;
  /** This failure is the one that locked the key. */
  lockedNow: boolean;
}

export interface FailurePolicy {
  /** Failures within `windowMs` that lock the key. */
  threshold: number;
  windowMs: number;
  /**
   * Duration of the first lock. Failures keep counting through the window, so each failure
   * after a lock ends locks again, for twice as long (within a day), up to `maxLockMs`.
   */
  lockMs: number;
  maxLockMs: number;
}

/**
 * Port for failure counters that lock a key (an account, a client address): every update
 * is atomic, so 50 concurrent failures count 50 and lock exactly once. In memory by
 * default; Redis shares the counters between instances.
 */
export interface FabricLockoutStore {
  registerFailure(key: string, policy: FailurePolicy): Promise<FailureCount>;
  /** Milliseconds the key stays locked, 0 when it is not. */
  lockedFor(key: string): Promise<number>;
  /** Forgets failures and lock (after a successful reset, or by an admin). */
  clear(key: string): Promise<void>;
}

interface Counter {
  failures: number;
  windowEndsAt: number;
  lockedUntil: number;
  locks: number;
  locksResetAt: number;
}

const DAY_MS = 86_400_000;

export function lockDuration(policy: FailurePolicy, nthLock: number): number {
  return Math.min(policy.maxLockMs, policy.lockMs * 2 ** Math.max(0, nthLock - 1));
}

export class InMemoryLockoutStore implements FabricLockoutStore {
  private readonly counters = new Map<string, Counter>();
  private nextSweepAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async registerFailure(key: string, policy: FailurePolicy): Promise<FailureCount> {
    const now = this.now();
    let counter = this.counters.get(key);
    if (!counter) {
      counter = { failures: 0, windowEndsAt: now + policy.windowMs, lockedUntil: 0, locks: 0, locksResetAt: now + DAY_MS };
      this.counters.set(key, counter);
    }
    if (counter.windowEndsAt <= now) Object.assign(counter, { failures: 0, windowEndsAt: now + policy.windowMs });
    if (counter.locksResetAt <= now) Object.assign(counter, { locks: 0, locksResetAt: now + DAY_MS });
    counter.failures++;
    let lockedNow = false;
    if (counter.lockedUntil <= now && counter.failures >= policy.threshold) {
      counter.locks++;
      counter.lockedUntil = now + lockDuration(policy, counter.locks);
      lockedNow = true;
    }
    this.sweep(now);
    return { count: counter.failures, lockedForMs: Math.max(0, counter.lockedUntil - now), lockedNow };
  }

  async lockedFor(key: string): Promise<number> {
    return Math.max(0, (this.counters.get(key)?.lockedUntil ?? 0) - this.now());
  }

  async clear(key: string): Promise<void> {
    this.counters.delete(key);
  }

  /** Forgets counters that no longer lock anything; at most every 10 s, so a flood of names costs O(1) per failure. */
  private sweep(now: number): void {
    if (this.counters.size < 10_000 || now < this.nextSweepAt) return;
    this.nextSweepAt = now + 10_000;
    for (const [key, c] of this.counters) {
      if (c.windowEndsAt <= now && c.lockedUntil <= now && (c.locks === 0 || c.locksResetAt <= now)) this.counters.delete(key);
    }
  }
}
