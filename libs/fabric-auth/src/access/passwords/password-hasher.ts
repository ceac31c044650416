import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { isCommonPassword } from '../../core/common-passwords.js';
import {
  BCRYPT_MAX_BYTES,
  describeHash,
  hashPassword,
  hashPasswordWith,
  isCurrentHash,
  type PasswordHashSettings,
  passwordHashSettings,
  verifyPasswordWith,
} from '../../core/password-hashes.js';
import { FabricError } from '../../core/fabric-error.js';
import { HashWorkerPool } from './hash-worker-pool.js';

export { BCRYPT_MAX_BYTES } from '../../core/password-hashes.js';
/** Longest password input looked at; anything longer is refused before any hashing. */
export const PASSWORD_INPUT_MAX_LENGTH = 1024;

/** Every hashing slot is taken and the queue is full: 503 with `Retry-After` (SEC-102). */
export class PasswordChecksBusyException extends FabricError {
  constructor(readonly retryAfterSeconds: number) {
    super('password_checks_busy', 'Too many password checks at once; retry later');
  }
}

/** The client of a queued check closed its request: the check is dropped unrun. */
export class ClientGoneException extends FabricError {
  constructor() {
    super('client_gone', 'The client closed the request');
  }
}

/** Tells whether the client that asked for a check is still there. */
export type StillWanted = () => boolean;

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
  wanted: StillWanted;
}

/**
 * Password hashes on a bounded pool: at most `passwordHashConcurrency` run at once, each on a
 * thread of the library's own at a lower priority than the event loop (HashWorkerPool), at most `passwordQueueDepth` wait for a
 * slot, and past that a check is refused at once with 503 + `Retry-After` instead of queueing
 * without end (SEC-102). A waiting check whose client has gone holds no place: it is dropped
 * whenever the queue's room is judged, and when its turn comes. A check that would wait in its
 * account's lane longer than the last place of a full queue is refused as it arrives, not after
 * the lane's earlier checks have hashed.
 * Unknown users are compared against a dummy hash at the current setting so that timing does
 * not tell whether an account exists.
 */
@Injectable()
export class PasswordHasher implements OnApplicationShutdown {
  private dummyHash: Promise<string> | undefined;
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private readonly lanes = new Map<string, { tail: Promise<void>; depth: number }>();
  private readonly refused: ReadonlySet<string>;
  private readonly settings: PasswordHashSettings;
  /** Running average of one hash's duration, for `Retry-After`. */
  private averageMs = 100;
  /** Where the hashes run: one thread per slot, so it never holds more work than `bounded` lets through. */
  private readonly threads: HashWorkerPool;

  constructor(@Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions) {
    this.refused = new Set(options.refusedPasswords.map((p) => p.toLowerCase()));
    this.settings = passwordHashSettings(options);
    this.threads = new HashWorkerPool(options.passwordHashConcurrency);
  }

  /** After the HTTP drain (the adapter's beforeClose): no request is waiting on a hash any more. */
  onApplicationShutdown(): Promise<void> {
    return this.threads.close();
  }

  /**
   * A reason the password is refused by the policy, or undefined when it is acceptable.
   * Length is the only composition rule (NIST 800-63B); common and context passwords are refused.
   * The 72-byte limit holds whatever the hash, so switching `password_hash` to bcrypt never
   * meets a password that bcrypt would truncate (SEC-31).
   */
  policyViolation(password: string, context: { username?: string; email?: string | null } = {}): string | undefined {
    if (password.length < this.options.passwordMinLength) {
      return `password must be at least ${this.options.passwordMinLength} characters`;
    }
    if (Buffer.byteLength(password, 'utf8') > BCRYPT_MAX_BYTES) {
      return `password must be at most ${BCRYPT_MAX_BYTES} bytes (UTF-8)`;
    }
    if (password.includes('\u0000')) return 'password must not contain NUL characters';
    const lower = password.toLowerCase();
    if ((this.options.refuseCommonPasswords && isCommonPassword(password)) || this.refused.has(lower)) {
      return 'password is too common; choose another';
    }
    const localPart = context.email?.split('@')[0];
    if (lower === context.username?.toLowerCase() || lower === context.email?.toLowerCase() || lower === localPart?.toLowerCase()) {
      return 'password must not be the username or email';
    }
    return undefined;
  }

  hash(password: string, wanted: StillWanted = () => true): Promise<string> {
    return this.bounded(wanted, () => hashPasswordWith(this.threads, password, this.settings));
  }

  /** 503 + `Retry-After` now, before anything is reserved, when the queue is already full of clients still there. */
  requireRoom(): void {
    if (this.queueFull()) throw this.busy();
  }

  private queueFull(): boolean {
    if (this.running < this.options.passwordHashConcurrency) return false;
    if (this.waiting.length < this.options.passwordQueueDepth) return false;
    this.dropGoneWaiters();
    return this.waiting.length >= this.options.passwordQueueDepth;
  }

  /** Refuses the waiting checks whose client has gone, so that they hold no place in the queue. */
  private dropGoneWaiters(): void {
    const gone = this.waiting.filter((waiter) => !waiter.wanted());
    if (gone.length === 0) return;
    this.waiting.splice(0, this.waiting.length, ...this.waiting.filter((waiter) => !gone.includes(waiter)));
    for (const waiter of gone) waiter.reject(new ClientGoneException());
  }

  /** The refusal of a check that would wait behind `ahead` others, run `parallel` at a time; `Retry-After` is that wait. */
  busy(ahead = this.waiting.length + this.running, parallel = this.options.passwordHashConcurrency): PasswordChecksBusyException {
    return new PasswordChecksBusyException(Math.max(1, Math.ceil(((ahead / parallel) * this.averageMs) / 1000)));
  }

  /** Runs `work` in a hashing slot, after waiting for one if need be (bounded: see the class). */
  private async bounded<T>(wanted: StillWanted, work: () => Promise<T>): Promise<T> {
    if (!wanted()) throw new ClientGoneException();
    if (this.running >= this.options.passwordHashConcurrency) {
      if (this.queueFull()) throw this.busy();
      // The slot is handed over by the check that frees it (`running` stays counted).
      await new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject, wanted }));
    } else this.running++;
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.averageMs = 0.8 * this.averageMs + 0.2 * (performance.now() - started);
      this.handOver();
    }
  }

  /** Gives the freed slot to the next waiting check whose client is still there; the others are dropped unrun. */
  private handOver(): void {
    for (let next = this.waiting.shift(); next; next = this.waiting.shift()) {
      if (next.wanted()) return next.resolve();
      next.reject(new ClientGoneException());
    }
    this.running--;
  }

  /**
   * Compares in constant work whatever the input: a missing or unusable hash or an over-long
   * password still pays for one comparison at the current setting, and never matches.
   * Compares that share a `lane` (one account's counter) run one after another, so a burst
   * against one account holds at most one place in the shared queue and other users' logins
   * are not starved (SEC-80). The caller bounds a lane (`PasswordAttempts`: `passwordQueueDepth`
   * checks per counter).
   */
  async verify(password: string, hash: string | null | undefined, lane?: string, wanted: StillWanted = () => true): Promise<boolean> {
    const usable = typeof hash === 'string' && describeHash(hash) !== undefined && Buffer.byteLength(password, 'utf8') <= BCRYPT_MAX_BYTES;
    if (!usable) {
      const dummy = await this.dummy();
      await this.inLane(lane, () => this.bounded(wanted, () => verifyPasswordWith(this.threads, password.slice(0, BCRYPT_MAX_BYTES), dummy)));
      return false;
    }
    return this.inLane(lane, () => this.bounded(wanted, () => verifyPasswordWith(this.threads, password, hash)));
  }

  /**
   * Runs `work` after the lane's earlier work; a lane exists only while it has work. A check
   * that would wait behind more of its lane's turns (each one a wait in the current queue plus
   * a hash) than the last place of a full queue waits is refused as it arrives (503), instead
   * of learning it only once the checks ahead of it in the lane have hashed.
   */
  private async inLane<T>(lane: string | undefined, work: () => Promise<T>): Promise<T> {
    if (lane === undefined) return work();
    const entry = this.lanes.get(lane) ?? { tail: Promise.resolve(), depth: 0 };
    if (entry.depth > 0) {
      const parallel = this.options.passwordHashConcurrency;
      const turn = Math.ceil(this.waiting.length / parallel) + 1;
      if (entry.depth * turn > Math.ceil(this.options.passwordQueueDepth / parallel) + 1) throw this.busy(entry.depth * turn * parallel, parallel);
    }
    this.lanes.set(lane, entry);
    entry.depth++;
    const run = entry.tail.then(work);
    entry.tail = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      return await run;
    } finally {
      if (--entry.depth === 0 && this.lanes.get(lane) === entry) this.lanes.delete(lane);
    }
  }

  /**
   * After a successful login, re-hashes a password stored with another algorithm or setting
   * (a bcrypt hash becomes scrypt). `store` must replace the hash only if it is still the one
   * verified. Skipped when the pool is busy: the next login tries again.
   */
  async upgradeIfNeeded(password: string, hash: string, store: (hash: string) => Promise<void>, wanted: StillWanted = () => true): Promise<void> {
    if (isCurrentHash(hash, this.settings)) return;
    let upgraded: string;
    try {
      upgraded = await this.hash(password, wanted);
    } catch (error) {
      if (error instanceof PasswordChecksBusyException) return;
      throw error;
    }
    await store(upgraded);
  }

  /** Made once, outside the slots (on libuv's pool, as `hashPassword` makes hashes), so it never takes a thread a check holds. */
  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword('fabric-auth dummy password', this.settings);
    return this.dummyHash;
  }
}
