import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, IsNull, MoreThan, type Repository } from 'typeorm';
import { OAuthError } from '../../http/oauth-error.js';
import { FabricClock } from '../../core/clock.js';
import { type FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import { UserEntity } from '../../schema/entities/user.entity.js';
import { MfaChallengeEntity, type MfaChallengeKind } from '../../schema/entities/mfa-challenge.entity.js';
import { MfaFactorEntity } from '../../schema/entities/mfa-factor.entity.js';
import { sha256 } from '../../core/crypto.js';
import type { CredentialChange, CredentialChangeHook } from '../../core/ports/credential-change-hook.js';

/** Seconds an `mfa_token` (and a passkey challenge) lives. */
export const MFA_TOKEN_TTL_SECONDS = 300;
/** Wrong second factors one `mfa_token` survives; the account lockout counts them too. */
export const MFA_TOKEN_MAX_FAILURES = 5;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Ends every second-factor flow of a user that is still in progress — `mfa_token`s, passkey
 * challenges, an unconfirmed TOTP enrolment — in the transaction of a change to the account's
 * state (deactivation, password change, factor added or removed): what was started under the
 * old state completes nothing under the new one (SEC-111), as the user's sessions are revoked.
 */
export async function voidPendingSecondFactor(manager: EntityManager, userId: string, now: Date): Promise<void> {
  await manager.update(MfaChallengeEntity, { userId, consumedAt: IsNull() }, { consumedAt: now });
  // Expired too, so that a token claimed by a completion in flight (`claim`) is not live again when released.
  await manager.update(MfaChallengeEntity, { userId, expiresAt: MoreThan(now) }, { expiresAt: now });
  await manager.delete(MfaFactorEntity, { userId, type: 'totp', confirmedAt: IsNull() });
}

/**
 * The single-use secrets of the MFA flows, kept in the database (never only in memory) so
 * that a token or challenge consumed on one instance is dead on every other: consumption
 * is one conditional UPDATE, and of two concurrent uses exactly one wins.
 */
@Injectable()
export class MfaChallenges implements CredentialChangeHook {
  constructor(
    @InjectRepository(MfaChallengeEntity) private readonly rows: Repository<MfaChallengeEntity>,
    private readonly clock: FabricClock,
    private readonly transactions: FabricTransactions,
  ) {}

  /**
   * A new `mfa_token` for a user who proved `firstFactor`; the raw token leaves in the 400
   * answer only. Written under the user's row lock after re-reading it: a deactivation
   * committing meanwhile either voids the new token or is seen here, never neither.
   */
  async issueMfaToken(userId: string, firstFactor: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.transactions.run(async (tx) => {
      await this.transactions.lock(tx, UserEntity, userId);
      const user = await tx.manager.findOne(UserEntity, { where: { id: userId }, select: { id: true, isActive: true } });
      if (!user?.isActive) throw new OAuthError('invalid_grant', 'Invalid username or password');
      await this.insert('mfa_token', sha256(token, 'hex'), { userId, firstFactor }, tx.manager);
    });
    return token;
  }

  /** Stores a WebAuthn challenge (its hash) for one ceremony. */
  async storeChallenge(kind: Exclude<MfaChallengeKind, 'mfa_token'>, challenge: string, binding: { userId: string | null; parentId?: string | null }): Promise<void> {
    await this.insert(kind, sha256(challenge, 'hex'), { userId: binding.userId, parentId: binding.parentId ?? null });
  }

  private async insert(kind: MfaChallengeKind, secretHash: string, fields: Partial<MfaChallengeEntity>, manager: EntityManager = this.rows.manager): Promise<void> {
    const now = this.clock.now();
    await manager.insert(MfaChallengeEntity, {
      kind,
      secretHash,
      userId: null,
      parentId: null,
      firstFactor: null,
      failures: 0,
      ...fields,
      createdAt: new Date(now),
      expiresAt: new Date(now + MFA_TOKEN_TTL_SECONDS * 1000),
      consumedAt: null,
    });
  }

  /** The live `mfa_token` row, or undefined (unknown, used, expired, or spent on failures). */
  async liveMfaToken(token: string): Promise<MfaChallengeEntity | undefined> {
    if (!TOKEN.test(token)) return undefined;
    const row = await this.rows.findOneBy({ secretHash: sha256(token, 'hex'), kind: 'mfa_token' });
    return row && this.isLive(row) ? row : undefined;
  }

  isLive(row: MfaChallengeEntity): boolean {
    return row.consumedAt === null && row.expiresAt.getTime() > this.clock.now() && row.failures < MFA_TOKEN_MAX_FAILURES;
  }

  async registerFailure(id: string): Promise<void> {
    await this.rows.increment({ id }, 'failures', 1);
  }

  /** Marks a live row used; false when another request (on any instance) used it first, or it died meanwhile. */
  async consume(id: string, tx?: FabricTransaction): Promise<boolean> {
    const now = new Date(this.clock.now());
    const result = await (tx?.manager ?? this.rows.manager)
      .createQueryBuilder()
      .update(MfaChallengeEntity)
      .set({ consumedAt: now })
      .where({ id, consumedAt: IsNull(), expiresAt: MoreThan(now) })
      .andWhere('failures < :max', { max: MFA_TOKEN_MAX_FAILURES })
      .execute();
    return result.affected === 1;
  }

  /**
   * Takes a live `mfa_token` for one completion attempt, so that the attempts on one token run
   * one at a time on every instance: of ten parallel submits of the right code exactly one is
   * checked and wins, the others are refused without counting as failures. False when another
   * attempt holds it, or it is dead. The holder ends it with `complete`, or hands it back
   * with `release`.
   */
  async claim(id: string): Promise<boolean> {
    return this.consume(id);
  }

  /** Hands a claimed token back after a wrong code (counted, so it dies after a few) or an error. */
  async release(id: string, failed: boolean): Promise<void> {
    await this.rows
      .createQueryBuilder()
      .update(MfaChallengeEntity)
      .set({ consumedAt: null, ...(failed && { failures: () => 'failures + 1' }) })
      .where({ id })
      .execute();
  }

  /**
   * Takes the challenge of a ceremony out of circulation before its response is checked,
   * so a replay is refused whatever the first attempt's outcome. The row, when it was live.
   */
  async takeChallenge(kind: Exclude<MfaChallengeKind, 'mfa_token'>, challenge: string): Promise<MfaChallengeEntity | undefined> {
    if (typeof challenge !== 'string' || !/^[A-Za-z0-9_-]{16,128}$/.test(challenge)) return undefined;
    const row = await this.rows.findOneBy({ secretHash: sha256(challenge, 'hex'), kind });
    if (!row || !this.isLive(row)) return undefined;
    return (await this.consume(row.id)) ? row : undefined;
  }

  async byId(id: string): Promise<MfaChallengeEntity | null> {
    return this.rows.findOneBy({ id });
  }

  /** The `CredentialChangeHook`: a password change or a deactivation voids the user's flows in progress, in its transaction. */
  async credentialsChanged(manager: EntityManager, change: CredentialChange): Promise<void> {
    await voidPendingSecondFactor(manager, change.userId, change.at);
  }

  /** Every pending token, challenge and TOTP enrolment of a user dies (see `voidPendingSecondFactor`). */
  async voidAllOf(userId: string, tx: FabricTransaction): Promise<void> {
    await voidPendingSecondFactor(tx.manager, userId, new Date(this.clock.now()));
  }
}
