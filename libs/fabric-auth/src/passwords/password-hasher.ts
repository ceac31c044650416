import { Inject, Injectable } from '@nestjs/common';
import bcrypt from 'bcrypt';
import { FABRIC_RESOLVED_OPTIONS } from '../fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../fabric-auth.options.js';
import { isCommonPassword } from './common-passwords.js';

/** bcrypt reads at most 72 bytes; longer inputs are refused instead of silently truncated. */
export const BCRYPT_MAX_BYTES = 72;
/** Longest password input looked at; anything longer is refused before any hashing. */
export const PASSWORD_INPUT_MAX_LENGTH = 1024;

/**
 * bcrypt through its async API, so hashing runs on the libuv pool and never blocks the
 * event loop. Unknown users are compared against a dummy hash of the same cost so that
 * timing does not tell whether an account exists.
 */
@Injectable()
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly lanes = new Map<string, { tail: Promise<void>; depth: number }>();
  private readonly refused: ReadonlySet<string>;

  constructor(@Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions) {
    this.refused = new Set(options.refusedPasswords.map((p) => p.toLowerCase()));
  }

  /**
   * A reason the password is refused by the policy, or undefined when it is acceptable.
   * Length is the only composition rule (NIST 800-63B); common and context passwords are refused.
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

  hash(password: string): Promise<string> {
    return this.bounded(() => bcrypt.hash(password, this.options.bcryptCost));
  }

  /**
   * At most `bcryptConcurrency` hashes at a time: bcrypt runs on libuv's pool (4 threads),
   * and on a small machine four of them starve the event loop, so a login storm would slow
   * every other route. Extra logins queue here instead.
   */
  private async bounded<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.options.bcryptConcurrency) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /**
   * Compares in constant work whatever the input: a missing hash or an over-long password
   * still pays for one bcrypt comparison, and never matches. Compares that share a `lane`
   * (one account's counter) run one after another, so a burst against one account holds at
   * most one place in the shared queue and other users' logins are not starved (SEC-80).
   */
  async verify(password: string, hash: string | null | undefined, lane?: string): Promise<boolean> {
    const usable = typeof hash === 'string' && Buffer.byteLength(password, 'utf8') <= BCRYPT_MAX_BYTES;
    if (!usable) {
      const dummy = await this.dummy();
      await this.inLane(lane, () => this.bounded(() => bcrypt.compare(password.slice(0, BCRYPT_MAX_BYTES), dummy)));
      return false;
    }
    return this.inLane(lane, () => this.bounded(() => bcrypt.compare(password, hash)));
  }

  /** Runs `work` after the lane's earlier work; a lane exists only while it has work. */
  private async inLane<T>(lane: string | undefined, work: () => Promise<T>): Promise<T> {
    if (lane === undefined) return work();
    const entry = this.lanes.get(lane) ?? { tail: Promise.resolve(), depth: 0 };
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

  /** After a successful login, re-hashes a password stored at another cost (keeps timing uniform). */
  async upgradeIfNeeded(password: string, hash: string, store: (hash: string) => Promise<void>): Promise<void> {
    if (bcrypt.getRounds(hash) !== this.options.bcryptCost) await store(await this.hash(password));
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= bcrypt.hash('fabric-auth dummy password', this.options.bcryptCost);
    return this.dummyHash;
  }
}
