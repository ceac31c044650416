import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { AuditService } from '../../data/audit.service.js';
import { clientConnected, type HttpRequestLike } from '../../core/request-info.js';
import { FabricTransactions } from '../../data/transactions.js';
import type { Principal } from '../../core/principal.js';
import { FABRIC_LOCKOUT_STORE } from '../../core/fabric-auth.constants.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { MfaFactorEntity } from '../../schema/entities/mfa-factor.entity.js';
import { ClientGoneException, PasswordHasher } from '../passwords/password-hasher.js';
import { DeviceTokens } from './device-tokens.js';
import { LimitsService, unavailable } from './limits.service.js';
import type { FabricLockoutStore, FailureCount, FailurePolicy } from '../../core/ports/lockout-store.js';
import { sha256 } from '../../core/crypto.js';

/** How long a reserved check may take before its slot lapses (a crashed instance frees it). */
const SLOT_HOLD_MS = 15_000;
/** How often, and how long at most, a check waits for the outcome of the ones in flight. */
const WAIT_STEP_MS = 20;
const WAIT_LIMIT_MS = 15_000;
/** Checks of one counter under way on one instance, in `passwordQueueDepth`s. */
const PER_COUNTER_DEPTHS = 4;

export interface PasswordCheck {
  /** The account named; null for a login naming nobody (counted all the same). */
  user: { id: string; username: string; passwordHash: string | null | undefined; passwordChangedAt: Date | null } | null;
  /** Stable key of the account for counters: its id, or `name:<normalised login>` when unknown. */
  accountKey: string;
  password: string;
  request: HttpRequestLike;
  response: unknown;
  /** A device token the client presented (field or cookie); checked against `user`. */
  deviceToken?: string;
}

export interface PasswordCheckResult {
  /** The password matches (the caller still decides about inactive accounts). */
  matches: boolean;
  /** Not checked at all: the pair, the device or the account is locked. */
  refused: boolean;
  /** The check came from a client holding this account's device token. */
  knownDevice: boolean;
}

/**
 * Every check of an account's password — the token endpoint's password grant, a
 * `current_password` on a password or email change — goes through here, so they all count
 * against the same limits (SPEC §9, SEC-80, SEC-86, SEC-87):
 *
 * - failures lock the (account, client address) pair, `lockout_threshold` (5) per window,
 *   doubling; a client with the account's device token is counted on (account, device)
 *   instead, and skips the two counters below;
 * - the address is throttled across accounts (50 failures / 10 min → 429, `LimitsService`);
 * - failures from all addresses together past `lockout_account_threshold` (100) close the
 *   password to every client without a device token until the lock ends;
 * - a check reserves a slot before the hash runs: failures plus checks in flight never pass
 *   the threshold, so a burst is checked at most up to it while parallel correct logins all
 *   succeed (checks beyond it wait for the outcome of those in flight);
 * - the hash runs one compare at a time per counter (`PasswordHasher` lanes), so a burst
 *   against one account cannot crowd other users' logins out of the shared hashing pool;
 * - the pool's queue is bounded (`passwordQueueDepth`), and so are one counter's checks on
 *   this instance (four times that; 503 + `Retry-After` past either, SEC-102); a check whose
 *   client has gone is dropped before it runs. A check that never ran is neither a failure
 *   nor a success: its slot is given back uncounted (settling it as a success would clear the
 *   failures counted so far, so an aborted request would buy a guesser more guesses).
 *
 * Each lock is audited (`user.lock`) with its scope and real duration.
 */
@Injectable()
export class PasswordAttempts {
  private readonly pairPolicy: FailurePolicy;
  private readonly accountPolicy: FailurePolicy;
  /** Checks under way on this instance per counter key (waiting for a slot, in the lane, hashing). */
  private readonly pending = new Map<string, number>();

  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    @Inject(FABRIC_LOCKOUT_STORE) private readonly lockouts: FabricLockoutStore,
    private readonly limits: LimitsService,
    private readonly devices: DeviceTokens,
    private readonly passwords: PasswordHasher,
    private readonly audit: AuditService,
    private readonly transactions: FabricTransactions,
    @InjectRepository(MfaFactorEntity) private readonly factors: Repository<MfaFactorEntity>,
  ) {
    const durations = { windowMs: options.lockoutWindow * 1000, lockMs: options.lockoutDuration * 1000, maxLockMs: options.lockoutMaxDuration * 1000 };
    this.pairPolicy = { threshold: options.lockoutThreshold, ...durations };
    this.accountPolicy = { threshold: options.lockoutAccountThreshold, ...durations };
  }

  async check(input: PasswordCheck): Promise<PasswordCheckResult> {
    const device = this.devices.deviceOf(input.deviceToken, input.user ?? undefined);
    const knownDevice = device !== undefined;
    if (!knownDevice) await this.limits.requireLoginAllowedFrom(input.request, input.response);
    this.passwords.requireRoom();
    const key =
      this.options.lockoutThreshold === 0
        ? `login:${input.accountKey}`
        : knownDevice
          ? `login-device:${input.accountKey}:${device}`
          : `login-pair:${input.accountKey}|${this.limits.proxies.clientKey(input.request)}`;
    const pending = this.pending.get(key) ?? 0;
    // One counter's checks hash one at a time (the lane), and most of a burst only waits for the
    // outcome of the ones in flight (a lock), which costs no hash: room for four queues' worth.
    if (pending >= PER_COUNTER_DEPTHS * this.options.passwordQueueDepth) throw this.passwords.busy(pending, 1);
    this.pending.set(key, pending + 1);
    try {
      return await this.counted(input, key, knownDevice);
    } finally {
      const left = this.pending.get(key)! - 1;
      if (left === 0) this.pending.delete(key);
      else this.pending.set(key, left);
    }
  }

  private async counted(input: PasswordCheck, key: string, knownDevice: boolean): Promise<PasswordCheckResult> {
    const wanted = () => clientConnected(input.request);
    if (this.options.lockoutThreshold === 0) {
      const matches = await this.passwords.verify(input.password, input.user?.passwordHash, key, wanted);
      if (!matches && !knownDevice) await this.limits.registerLoginFailureFrom(input.request);
      return { matches, refused: false, knownDevice };
    }
    const closed = !knownDevice && this.accountWide() && (await this.lockouts.lockedFor(this.accountKey(input.accountKey)).catch(unavailable)) > 0;
    const ticket = closed ? undefined : await this.slot(key, wanted);
    if (ticket === undefined) {
      // Unchecked, but still a failed attempt from this address (it keeps the spray throttle honest).
      if (!knownDevice) await this.limits.registerLoginFailureFrom(input.request);
      return { matches: false, refused: true, knownDevice };
    }
    let matches: boolean;
    try {
      matches = await this.passwords.verify(input.password, input.user?.passwordHash, key, wanted);
    } catch (error) {
      // Refused as busy, or the client gone: the check never ran, so its slot is given back
      // counting nothing (settling it as a success would clear the failures counted so far).
      // Kept, a refused check's slot would hold the key for SLOT_HOLD_MS and make the next
      // checks of a flood wait on it.
      await this.lockouts.release?.(key, ticket).catch(() => undefined);
      throw error;
    }
    const result = await this.lockouts.settle(key, this.pairPolicy, ticket, !matches).catch(unavailable);
    if (result.lockedNow) await this.auditLock(input, knownDevice ? 'device' : 'address', result);
    if (!matches && !knownDevice) {
      await this.limits.registerLoginFailureFrom(input.request);
      if (this.accountWide()) {
        const result = await this.lockouts.registerFailure(this.accountKey(input.accountKey), this.accountPolicy).catch(unavailable);
        if (result.lockedNow) await this.auditLock(input, 'account', result);
      }
    }
    return { matches, refused: false, knownDevice };
  }

  /** The device token a request carries in its cookie (browsers). */
  presentedDevice(request: HttpRequestLike, field?: string): string | undefined {
    return this.devices.presented(request, field);
  }

  /**
   * Second-factor checks (TOTP and recovery codes; passkeys count apart, see `registerPasskeyFailure`): one counter per
   * account, whatever the address, counted before the check runs (parallel guesses cannot
   * outrun the lock) and refused from the threshold on. It is cleared only once a login or
   * a factor change completes, never by the password step, so re-entering a known password
   * buys no more guesses at the code (SEC-99).
   */
  async registerFactorAttempt(userId: string): Promise<{ refused: boolean; lockedNow: boolean; count: number }> {
    if (this.options.lockoutThreshold === 0) return { refused: false, lockedNow: false, count: 0 };
    const result = await this.lockouts.registerFailure(this.factorKey(userId), this.pairPolicy).catch(unavailable);
    return { refused: result.lockedForMs > 0 && !result.lockedNow, lockedNow: result.lockedNow, count: result.count };
  }

  /**
   * A passkey's refused assertions are counted per (credential, client address), never on the
   * account: a credential id is public (any site the user signed in to may have seen it), so a
   * stranger presenting it locks only their own address out of that passkey, never the owner's
   * password, other factors or the passkey from anywhere else (SEC-87, SEC-114).
   */
  async passkeyLocked(credentialId: string, request: HttpRequestLike): Promise<boolean> {
    if (this.options.lockoutThreshold === 0) return false;
    return (await this.lockouts.lockedFor(this.passkeyKey(credentialId, request)).catch(unavailable)) > 0;
  }

  /** Counts a refused assertion naming `credentialId`; true when it locked the pair just now. */
  async registerPasskeyFailure(credentialId: string, request: HttpRequestLike): Promise<{ lockedNow: boolean; count: number }> {
    if (this.options.lockoutThreshold === 0) return { lockedNow: false, count: 0 };
    const result = await this.lockouts.registerFailure(this.passkeyKey(credentialId, request), this.pairPolicy).catch(unavailable);
    return { lockedNow: result.lockedNow, count: result.count };
  }

  private passkeyKey(credentialId: string, request: HttpRequestLike): string {
    return `${this.passkeyPrefix(credentialId)}${this.limits.proxies.clientKey(request)}`;
  }

  private passkeyPrefix(credentialId: string): string {
    return `passkey:${sha256(credentialId, 'hex')}|`;
  }

  async auditFactorLock(user: { id: string }, failures: number, request: HttpRequestLike, scope: 'second_factor' | 'passkey' = 'second_factor'): Promise<void> {
    await this.audit.record({
      action: 'user.lock',
      outcome: 'success',
      actor: null,
      target: { type: 'user', id: user.id },
      request,
      details: { scope, failures, locked_seconds: this.options.lockoutDuration },
    });
  }

  /** While the second step is locked, a login does not get as far as asking for it. */
  async factorLocked(userId: string): Promise<boolean> {
    if (this.options.lockoutThreshold === 0) return false;
    return (await this.lockouts.lockedFor(this.factorKey(userId)).catch(unavailable)) > 0;
  }

  async clearFactorAttempts(userId: string): Promise<void> {
    await this.lockouts.clear(this.factorKey(userId)).catch(unavailable);
  }

  /** After a confirmed reset or an admin's unlock: every counter of the account, its passkeys' from every address too. */
  async clear(userId: string): Promise<void> {
    await this.lockouts.clear(this.factorKey(userId));
    await this.lockouts.clear(this.accountKey(userId));
    await this.lockouts.clearPrefix(`login-pair:${userId}|`);
    await this.lockouts.clearPrefix(`login-device:${userId}:`);
    const passkeys = await this.factors.find({ where: { userId, type: 'passkey' }, select: { id: true, credentialId: true } });
    for (const { credentialId } of passkeys) if (credentialId) await this.lockouts.clearPrefix(this.passkeyPrefix(credentialId));
  }

  /**
   * An admin clears every lock of an account before it expires. The audit event is written
   * first and commits only once the locks are gone: no unlock without its trace, no trace
   * without the unlock.
   */
  async unlock(actor: Principal, user: { id: string }, request?: HttpRequestLike): Promise<void> {
    await this.transactions.run(async (tx) => {
      await this.audit.recordIn(tx, { action: 'user.unlock', outcome: 'success', actor, target: { type: 'user', id: user.id }, request });
      await this.clear(user.id).catch(unavailable);
    });
  }

  private accountWide(): boolean {
    return this.options.lockoutAccountThreshold > 0;
  }

  private accountKey(accountKey: string): string {
    return `login-account:${accountKey}`;
  }

  private factorKey(userId: string): string {
    return `login-factor:${userId}`;
  }

  /** A reserved slot's ticket, waiting while the checks in flight may still lock the key; undefined when locked. */
  private async slot(key: string, wanted: () => boolean): Promise<string | undefined> {
    for (let waited = 0; waited <= WAIT_LIMIT_MS; waited += WAIT_STEP_MS) {
      if (!wanted()) throw new ClientGoneException();
      const reservation = await this.lockouts.reserve(key, this.pairPolicy, SLOT_HOLD_MS).catch(unavailable);
      if (reservation.outcome === 'go') return reservation.ticket;
      if (reservation.outcome === 'locked') return undefined;
      await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
    }
    return undefined;
  }

  private async auditLock(input: PasswordCheck, scope: 'address' | 'device' | 'account', result: FailureCount): Promise<void> {
    if (!input.user) return;
    await this.audit.record({
      action: 'user.lock',
      outcome: 'success',
      actor: null,
      target: { type: 'user', id: input.user.id },
      request: input.request,
      details: { scope, failures: result.count, locked_seconds: Math.ceil(result.lockedForMs / 1000) },
    });
  }
}
