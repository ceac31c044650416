import { randomUUID } from 'node:crypto';

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
 * Whether a secret check may run now: `go` holds one of the key's `threshold` slots (settle
 * it with its ticket); `wait` means failures plus checks in flight already reach the
 * threshold, so this one must wait for their outcome; `locked` refuses it.
 */
export type Reservation = { outcome: 'go'; ticket: string } | { outcome: 'wait' } | { outcome: 'locked'; lockedForMs: number };

/**
 * Port for failure counters that lock a key (an account, a client address): every update
 * is atomic, so 50 concurrent failures count 50 and lock exactly once. In memory by
 * default; Redis shares the counters between instances.
 */
export interface FabricLockoutStore {
  registerFailure(key: string, policy: FailurePolicy): Promise<FailureCount>;
  /**
   * Reserves a slot for one check of a secret before it runs: failures plus checks in flight
   * never exceed the threshold, so a parallel burst is checked at most up to it, while
   * attempts that succeed are not counted at all. A slot not settled within `holdMs` lapses.
   */
  reserve(key: string, policy: FailurePolicy, holdMs: number): Promise<Reservation>;
  /**
   * Ends a reserved check: a failure is counted (and may lock the key); a success clears the
   * key's failures unless other checks are still in flight on it (a burst keeps counting).
   */
  settle(key: string, policy: FailurePolicy, ticket: string, failed: boolean): Promise<FailureCount>;
  /**
   * Gives back a reserved slot whose check never ran (refused as busy, or its client gone),
   * counting neither a failure nor a success. Optional: without it the slot lapses after
   * `holdMs`, and until then the key has one slot less (a flood then waits on slots of checks
   * that were refused long ago).
   */
  release?(key: string, ticket: string): Promise<void>;
  /** Milliseconds the key stays locked, 0 when it is not. */
  lockedFor(key: string): Promise<number>;
  /** Forgets failures and lock (after a successful reset, or by an admin). */
  clear(key: string): Promise<void>;
  /** Forgets every key that starts with `prefix` (all the client addresses of one account). */
  clearPrefix(prefix: string): Promise<void>;
}

interface Counter {
  failures: number;
  windowEndsAt: number;
  lockedUntil: number;
  locks: number;
  locksResetAt: number;
  /** Tickets of checks in flight → when their slot lapses. */
  inFlight?: Map<string, number>;
}

const DAY_MS = 86_400_000;

export function lockDuration(policy: FailurePolicy, nthLock: number): number {
  return Math.min(policy.maxLockMs, policy.lockMs * 2 ** Math.max(0, nthLock - 1));
}

/**
 * Checks that may be in flight on a key that is not locked: up to the threshold, and after
 * a lock has run out (failures still past it in the window) one at a time, since the next
 * failure locks again.
 */
export function roomFor(failures: number, policy: FailurePolicy): number {
  return failures >= policy.threshold ? 1 : policy.threshold - failures;
}

export class InMemoryLockoutStore implements FabricLockoutStore {
  private readonly counters = new Map<string, Counter>();
  private nextSweepAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async registerFailure(key: string, policy: FailurePolicy): Promise<FailureCount> {
    const now = this.now();
    return this.countFailure(this.current(key, policy, now), policy, now);
  }

  async reserve(key: string, policy: FailurePolicy, holdMs: number): Promise<Reservation> {
    const now = this.now();
    const counter = this.current(key, policy, now);
    if (counter.lockedUntil > now) return { outcome: 'locked', lockedForMs: counter.lockedUntil - now };
    const inFlight = (counter.inFlight ??= new Map());
    for (const [ticket, lapsesAt] of inFlight) if (lapsesAt <= now) inFlight.delete(ticket);
    if (inFlight.size >= roomFor(counter.failures, policy)) return { outcome: 'wait' };
    const ticket = randomUUID();
    inFlight.set(ticket, now + holdMs);
    return { outcome: 'go', ticket };
  }

  async settle(key: string, policy: FailurePolicy, ticket: string, failed: boolean): Promise<FailureCount> {
    const now = this.now();
    const counter = this.current(key, policy, now);
    counter.inFlight?.delete(ticket);
    if (failed) return this.countFailure(counter, policy, now);
    if (!counter.inFlight?.size) this.counters.delete(key);
    return { count: 0, lockedForMs: 0, lockedNow: false };
  }

  async release(key: string, ticket: string): Promise<void> {
    const counter = this.counters.get(key);
    if (!counter?.inFlight?.delete(ticket)) return;
    if (counter.inFlight.size === 0 && counter.failures === 0 && counter.locks === 0) this.counters.delete(key);
  }

  /** The key's counter, its window and lock history renewed when they ran out. */
  private current(key: string, policy: FailurePolicy, now: number): Counter {
    let counter = this.counters.get(key);
    if (!counter) {
      counter = { failures: 0, windowEndsAt: now + policy.windowMs, lockedUntil: 0, locks: 0, locksResetAt: now + DAY_MS };
      this.counters.set(key, counter);
    }
    if (counter.windowEndsAt <= now) Object.assign(counter, { failures: 0, windowEndsAt: now + policy.windowMs });
    if (counter.locksResetAt <= now) Object.assign(counter, { locks: 0, locksResetAt: now + DAY_MS });
    return counter;
  }

  private countFailure(counter: Counter, policy: FailurePolicy, now: number): FailureCount {
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

  async clearPrefix(prefix: string): Promise<void> {
    for (const key of this.counters.keys()) if (key.startsWith(prefix)) this.counters.delete(key);
  }

  /** Forgets counters that no longer lock anything; at most every 10 s, so a flood of names costs O(1) per failure. */
  private sweep(now: number): void {
    if (this.counters.size < 10_000 || now < this.nextSweepAt) return;
    this.nextSweepAt = now + 10_000;
    for (const [key, c] of this.counters) {
      const idle = !c.inFlight || [...c.inFlight.values()].every((lapsesAt) => lapsesAt <= now);
      if (idle && c.windowEndsAt <= now && c.lockedUntil <= now && (c.locks === 0 || c.locksResetAt <= now)) this.counters.delete(key);
    }
  }
}
