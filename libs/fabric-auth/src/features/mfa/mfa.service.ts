import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, MoreThanOrEqual, Not, type Repository } from 'typeorm';
import type { AuditDetails } from '../../schema/entities/audit-event.entity.js';
import { AuditService, userOnSelf } from '../../data/audit.service.js';
import { FabricClock } from '../../core/clock.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { type FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import { encryptionKeyOf, type ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { PasswordAttempts } from '../../access/limits/password-attempts.service.js';
import type { Principal } from '../../core/principal.js';
import { SessionEntity } from '../../schema/entities/session.entity.js';
import { KeyEncryption } from '../../core/key-encryption.js';
import { UserEntity } from '../../schema/entities/user.entity.js';
import { MfaChallenges } from './mfa-tokens.service.js';
import { MfaFactorEntity } from '../../schema/entities/mfa-factor.entity.js';
import { newRecoveryCodes, normalizeRecoveryCode, RecoveryCodeHasher } from './recovery-codes.js';
import { RecoveryCodeEntity } from '../../schema/entities/recovery-code.entity.js';
import { type LoginFactor, MfaPolicy } from '../../access/sign-in/mfa-policy.js';
import { matchingTotpStep, newTotpSecret, qrCodeDataUri, totpUri } from './totp.js';
import { FabricError, fabricError } from '../../core/fabric-error.js';

export type { LoginFactor } from '../../access/sign-in/mfa-policy.js';

/** Seconds a started TOTP enrolment waits for its confirming code. */
export const TOTP_ENROLMENT_TTL_SECONDS = 600;

export interface FactorProof {
  otp?: string;
  recovery_code?: string;
}

export interface MfaStateDto {
  factors: LoginFactor[];
  totp: { enabled: boolean; pending: boolean; created_at: string | null; last_used_at: string | null };
  passkeys: Array<{ id: string; name: string; created_at: string; last_used_at: string | null; backed_up: boolean; transports: string[] }>;
  recovery_codes: { remaining: number; generated_at: string | null };
  /** The policy (`auth.mfa.required_for`) demands a factor of this user. */
  required: boolean;
}

function mfaRequired(message: string): FabricError {
  return fabricError('mfa_required', message);
}

/** Factor changes come from a person at a login, never from an API key or another issuer's token (SEC-112). */
function requireInteractive(actor: Principal): void {
  if (actor.kind !== 'user' || actor.authMethod === 'api_key' || actor.apiKeyId !== null || actor.sessionId === null) {
    throw fabricError('permission_denied', 'Second factors are changed only from a signed-in session, never with an API key');
  }
}

export type SecondFactorCheck = { ok: true } | { ok: false; reason: 'locked' | 'bad_code' | 'replayed' | 'no_factor' };

/**
 * A user's second factors: TOTP (secret sealed with AES-256-GCM; each time step accepted
 * once, recorded in the database), recovery codes (MACed, single use) and the state the
 * passkeys share. Every check of a code goes through the login lockout (`PasswordAttempts.registerFactorAttempt`):
 * a wrong TOTP or recovery code counts like a wrong password.
 */
@Injectable()
export class MfaService {
  private readonly secrets: KeyEncryption;
  private readonly recoveryHasher: RecoveryCodeHasher;

  constructor(
    @InjectRepository(MfaFactorEntity) private readonly factors: Repository<MfaFactorEntity>,
    @InjectRepository(RecoveryCodeEntity) private readonly codes: Repository<RecoveryCodeEntity>,
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly clock: FabricClock,
    private readonly transactions: FabricTransactions,
    private readonly audit: AuditService,
    private readonly attempts: PasswordAttempts,
    private readonly challenges: MfaChallenges,
    private readonly policy: MfaPolicy,
  ) {
    const material = encryptionKeyOf(options);
    this.secrets = new KeyEncryption(material, 'totp-secret');
    this.recoveryHasher = new RecoveryCodeHasher(material);
  }

  /**
   * The first step of a login is done and a second one is due: a new `mfa_token` bound to the
   * user and to what they proved (`pwd`, or `fed` for SSO), and the `login.mfa_required` event.
   */
  async beginSecondStep(
    user: Pick<UserEntity, 'id' | 'username'>,
    firstFactor: 'pwd' | 'fed',
    factors: readonly LoginFactor[],
    request: HttpRequestLike,
    details: AuditDetails,
  ): Promise<string> {
    const mfaToken = await this.challenges.issueMfaToken(user.id, firstFactor);
    await this.audit.record({
      action: 'login.mfa_required',
      outcome: 'success',
      ...userOnSelf(user),
      request,
      details: { ...details, factors: factors.join(',') },
    });
    return mfaToken;
  }

  /** The factors a login may complete with (confirmed TOTP, passkeys, unused recovery codes). */
  loginFactors(userId: string): Promise<LoginFactor[]> {
    return this.policy.loginFactors(userId);
  }

  /** Whether `auth.mfa.required_for` names a permission or role this user holds (the system admin holds every permission). */
  policyRequires(user: Pick<UserEntity, 'id' | 'isSystemAdmin'>): Promise<boolean> {
    return this.policy.requires(user);
  }

  async state(user: Pick<UserEntity, 'id' | 'isSystemAdmin'>): Promise<MfaStateDto> {
    const rows = await this.factors.find({ where: { userId: user.id }, order: { createdAt: 'ASC' } });
    const totp = rows.find((r) => r.type === 'totp' && r.confirmedAt !== null);
    const pending = rows.some((r) => r.type === 'totp' && r.confirmedAt === null && this.pendingIsLive(r));
    const passkeys = rows.filter((r) => r.type === 'passkey');
    const unused = await this.codes.find({ where: { userId: user.id, usedAt: IsNull() }, select: { id: true, createdAt: true } });
    return {
      factors: await this.loginFactors(user.id),
      totp: { enabled: totp !== undefined, pending, created_at: totp?.createdAt.toISOString() ?? null, last_used_at: totp?.lastUsedAt?.toISOString() ?? null },
      passkeys: passkeys.map((p) => ({
        id: p.id,
        name: p.name,
        created_at: p.createdAt.toISOString(),
        last_used_at: p.lastUsedAt?.toISOString() ?? null,
        backed_up: p.backedUp,
        transports: p.transports ?? [],
      })),
      recovery_codes: { remaining: unused.length, generated_at: unused[0]?.createdAt.toISOString() ?? null },
      required: await this.policyRequires(user),
    };
  }

  private pendingIsLive(row: MfaFactorEntity): boolean {
    return row.createdAt.getTime() + TOTP_ENROLMENT_TTL_SECONDS * 1000 > this.clock.now();
  }

  // ---- TOTP ----

  /** Starts (or restarts) an enrolment: a new pending secret, shown in this answer only. */
  async startTotp(actor: Principal, user: UserEntity, request: HttpRequestLike): Promise<{ secret: string; otpauth_uri: string; qr_code: string; expires_in: number }> {
    const secret = newTotpSecret();
    const id = randomUUID();
    await this.transactions.run(async (tx) => {
      // Factor changes of one user run one after the other (PostgreSQL; SQLite serialises writers).
      await this.transactions.lock(tx, UserEntity, user.id);
      const confirmed = await tx.manager.countBy(MfaFactorEntity, { userId: user.id, type: 'totp', confirmedAt: Not(IsNull()) });
      if (confirmed > 0) throw fabricError('factor_already_enrolled', 'TOTP is already enabled; remove it before enrolling a new secret');
      await tx.manager.delete(MfaFactorEntity, { userId: user.id, type: 'totp', confirmedAt: IsNull() });
      await tx.manager.insert(MfaFactorEntity, {
        id,
        userId: user.id,
        type: 'totp',
        name: 'Authenticator app',
        createdAt: new Date(this.clock.now()),
        confirmedAt: null,
        lastUsedAt: null,
        secretSealed: this.secrets.seal(Buffer.from(secret, 'utf8'), `totp:${id}`),
        lastUsedStep: null,
        credentialId: null,
        publicKey: null,
        signCount: 0,
        transports: null,
        backedUp: false,
      });
      await this.audit.recordIn(tx, { action: 'mfa.totp_enrol_start', outcome: 'success', actor, target: { type: 'user', id: user.id }, request });
    });
    const uri = totpUri(this.options.mfa.issuerLabel, user.username, secret);
    return { secret, otpauth_uri: uri, qr_code: qrCodeDataUri(uri), expires_in: TOTP_ENROLMENT_TTL_SECONDS };
  }

  /** Activates the pending secret with a first code; the first factor of an account also brings its recovery codes. */
  async confirmTotp(actor: Principal, user: UserEntity, code: string, request: HttpRequestLike): Promise<{ enabled: true; recovery_codes?: string[] }> {
    const pending = await this.factors.findOne({
      where: { userId: user.id, type: 'totp', confirmedAt: IsNull() },
      select: { id: true, createdAt: true, secretSealed: true },
    });
    if (!pending || !this.pendingIsLive(pending)) throw fabricError('no_enrolment_in_progress', 'No TOTP enrolment in progress (or it expired); start one with POST …/mfa/totp');
    const step = await this.countedCheck(user, request, 'totp_confirm', async () => {
      const secret = this.openSecret(pending);
      return secret === undefined ? undefined : matchingTotpStep(secret, code, this.clock.now(), null);
    });
    if (step === undefined) throw fabricError('incorrect_code', 'The code is incorrect');
    return this.transactions.run(async (tx) => {
      await this.assertMayStillAdd(tx, actor, user.id, pending.createdAt, pending.id);
      const now = new Date(this.clock.now());
      const updated = await tx.manager.update(MfaFactorEntity, { id: pending.id, confirmedAt: IsNull() }, { confirmedAt: now, lastUsedStep: step, lastUsedAt: now });
      if (updated.affected !== 1) throw fabricError('concurrent_change', 'This enrolment was already confirmed or has ended');
      await this.challenges.voidAllOf(user.id, tx);
      const recoveryCodes = await this.ensureRecoveryCodes(user.id, tx);
      await this.audit.recordIn(tx, {
        action: 'mfa.enrol',
        outcome: 'success',
        actor,
        target: { type: 'user', id: user.id },
        request,
        details: { factor: 'totp', recovery_codes_issued: recoveryCodes !== undefined },
      });
      return { enabled: true as const, ...(recoveryCodes && { recovery_codes: recoveryCodes }) };
    });
  }

  /**
   * The completion of an enrolment begun at `startedAt`, under the user's row lock: when a
   * factor was confirmed since, the rule "adding a factor to an account that has one needs a
   * current factor" was checked at the start against a state that no longer holds, so it is
   * checked again here — only a session that used a factor recently passes (SEC-111).
   */
  async assertMayStillAdd(tx: FabricTransaction, actor: Principal, userId: string, startedAt: Date, enrolmentId?: string): Promise<void> {
    await this.transactions.lock(tx, UserEntity, userId);
    const since = await tx.manager.find(MfaFactorEntity, { where: { userId, confirmedAt: MoreThanOrEqual(startedAt) }, select: { id: true } });
    if (since.every((f) => f.id === enrolmentId)) return;
    if (await this.steppedUp(actor)) return;
    throw mfaRequired('A factor was added to this account after this enrolment began: sign in again with a second factor and start over');
  }

  private openSecret(row: Pick<MfaFactorEntity, 'id' | 'secretSealed'>): string | undefined {
    if (!row.secretSealed) return undefined;
    return this.secrets.open(row.secretSealed, `totp:${row.id}`)?.toString('utf8');
  }

  /**
   * A TOTP code of the user's confirmed factor: right, within ±1 step, and for a step not
   * used before — the step is claimed with a conditional UPDATE, so the same code sent to
   * two instances at once is accepted by one.
   */
  private async acceptTotp(userId: string, code: string): Promise<'ok' | 'bad_code' | 'replayed' | 'no_factor'> {
    const factor = await this.factors.findOne({
      where: { userId, type: 'totp', confirmedAt: Not(IsNull()) },
      select: { id: true, secretSealed: true, lastUsedStep: true },
    });
    if (!factor) return 'no_factor';
    const secret = this.openSecret(factor);
    if (secret === undefined) return 'bad_code';
    const any = matchingTotpStep(secret, code, this.clock.now(), null);
    if (any === undefined) return 'bad_code';
    if (factor.lastUsedStep !== null && any <= factor.lastUsedStep) return 'replayed';
    const claimed = await this.factors
      .createQueryBuilder()
      .update(MfaFactorEntity)
      .set({ lastUsedStep: any, lastUsedAt: new Date(this.clock.now()) })
      .where('id = :id', { id: factor.id })
      .andWhere('(last_used_step IS NULL OR last_used_step < :step)', { step: any })
      .execute();
    return claimed.affected === 1 ? 'ok' : 'replayed';
  }

  /** A recovery code of the user, spent by a conditional UPDATE (single use across instances). */
  private async spendRecoveryCode(userId: string, input: string): Promise<'ok' | 'bad_code'> {
    const normalized = normalizeRecoveryCode(input);
    if (normalized === undefined) return 'bad_code';
    const result = await this.codes
      .createQueryBuilder()
      .update(RecoveryCodeEntity)
      .set({ usedAt: new Date(this.clock.now()) })
      .where('user_id = :userId AND code_hash = :hash AND used_at IS NULL', { userId, hash: this.recoveryHasher.hash(normalized) })
      .execute();
    return result.affected === 1 ? 'ok' : 'bad_code';
  }

  /**
   * Runs one secret check under the login lockout of the account: counted before it runs
   * (so parallel guesses cannot outrun the lock), refused outright while locked; a success
   * clears the count, a failure is audited. Undefined when refused or wrong.
   */
  private async countedCheck<T>(user: Pick<UserEntity, 'id' | 'username'>, request: HttpRequestLike, purpose: string, check: () => Promise<T | undefined>): Promise<T | undefined> {
    const attempt = await this.attempts.registerFactorAttempt(user.id);
    const result = attempt.refused ? undefined : await check();
    if (result === undefined) {
      if (attempt.lockedNow) await this.attempts.auditFactorLock(user, attempt.count, request);
      await this.audit.record({
        action: 'mfa.failure',
        outcome: 'failure',
        ...userOnSelf(user),
        request,
        details: { purpose, reason: attempt.refused ? 'locked' : 'bad_code' },
      });
      return undefined;
    }
    return result;
  }

  /**
   * The second step of a login: a TOTP or recovery code, counted like a password. The
   * caller clears the lockout count only once the login has been completed.
   */
  async checkSecondFactor(user: Pick<UserEntity, 'id' | 'username'>, factor: 'totp' | 'recovery_code', code: string, request: HttpRequestLike): Promise<SecondFactorCheck> {
    const attempt = await this.attempts.registerFactorAttempt(user.id);
    if (attempt.refused) return { ok: false, reason: 'locked' };
    const outcome = factor === 'totp' ? await this.acceptTotp(user.id, code) : await this.spendRecoveryCode(user.id, code);
    if (outcome === 'ok') return { ok: true };
    if (attempt.lockedNow) await this.attempts.auditFactorLock(user, attempt.count, request);
    return { ok: false, reason: outcome };
  }

  /**
   * A current factor for a sensitive change of one's own factors (removal, new recovery
   * codes): a TOTP or recovery code in the request, or a session that used a second factor
   * in the last 15 minutes. Without any factor left to prove, nothing is asked.
   */
  async requireCurrentFactor(actor: Principal, user: UserEntity, proof: FactorProof, request: HttpRequestLike): Promise<void> {
    requireInteractive(actor);
    if (proof.otp !== undefined || proof.recovery_code !== undefined) {
      const factor = proof.otp !== undefined ? 'totp' : 'recovery_code';
      const ok = await this.countedCheck(user, request, 'current_factor', async () =>
        (factor === 'totp' ? await this.acceptTotp(user.id, proof.otp!) : await this.spendRecoveryCode(user.id, proof.recovery_code!)) === 'ok' ? true : undefined,
      );
      if (!ok) throw fabricError('incorrect_code', `The ${factor === 'totp' ? 'otp' : 'recovery_code'} is incorrect`);
      await this.attempts.clearFactorAttempts(user.id);
      return;
    }
    if ((await this.loginFactors(user.id)).length === 0) return;
    if (await this.steppedUp(actor)) return;
    throw mfaRequired('Prove a current factor: give otp or recovery_code, or sign in again with a second factor');
  }

  /**
   * An admin about to remove another user's factors (SEC-112): an interactive session whose
   * login used the admin's own second factor within `auth.mfa.step_up_seconds`. An admin
   * with no factor of their own cannot step up, so is refused until they enrol one: the way
   * past another user's second factor is itself behind a second factor.
   */
  async requireSteppedUp(actor: Principal): Promise<void> {
    requireInteractive(actor);
    if (await this.steppedUp(actor)) return;
    if ((await this.loginFactors(actor.id)).length === 0) {
      throw mfaRequired("Enrol a second factor of your own before removing another user's factors");
    }
    throw mfaRequired(`Sign in again with your second factor: this needs a login that used it in the last ${this.options.mfa.stepUpSeconds} seconds`);
  }

  /**
   * The caller is a session whose login used a second factor within `auth.mfa.step_up_seconds`
   * (its start is that login: a refresh keeps the session's amr, not its freshness).
   */
  private async steppedUp(actor: Principal): Promise<boolean> {
    if (!actor.amr?.includes('mfa') || !actor.sessionId || actor.apiKeyId) return false;
    const session = await this.sessions.findOne({ where: { id: actor.sessionId }, select: { id: true, createdAt: true } });
    return session !== null && session.createdAt.getTime() + this.options.mfa.stepUpSeconds * 1000 > this.clock.now();
  }

  async removeTotp(actor: Principal, user: UserEntity, proof: FactorProof, request: HttpRequestLike): Promise<void> {
    await this.requireCurrentFactor(actor, user, proof, request);
    await this.transactions.run(async (tx) => {
      const removed = await tx.manager.delete(MfaFactorEntity, { userId: user.id, type: 'totp' });
      if (!removed.affected) throw fabricError('totp_not_enabled', 'TOTP is not enabled');
      await this.challenges.voidAllOf(user.id, tx);
      const codesRemoved = await this.dropRecoveryCodesIfNoFactor(user.id, tx);
      await this.audit.recordIn(tx, {
        action: 'mfa.remove',
        outcome: 'success',
        actor,
        target: { type: 'user', id: user.id },
        request,
        details: { factor: 'totp', recovery_codes_removed: codesRemoved },
      });
    });
  }

  // ---- Recovery codes ----

  /** Ten new codes, the old ones dead; needs a current factor. */
  async regenerateRecoveryCodes(actor: Principal, user: UserEntity, proof: FactorProof, request: HttpRequestLike): Promise<{ recovery_codes: string[] }> {
    if ((await this.factors.countBy({ userId: user.id, confirmedAt: Not(IsNull()) })) === 0) {
      throw fabricError('factor_required', 'Enrol a second factor first: recovery codes stand in for one');
    }
    await this.requireCurrentFactor(actor, user, proof, request);
    return this.transactions.run(async (tx) => {
      const codes = await this.writeRecoveryCodes(user.id, tx);
      await this.audit.recordIn(tx, { action: 'mfa.recovery_codes_regenerate', outcome: 'success', actor, target: { type: 'user', id: user.id }, request });
      return { recovery_codes: codes };
    });
  }

  /** The codes of a first factor; undefined when the user already has unused ones. */
  async ensureRecoveryCodes(userId: string, tx: FabricTransaction): Promise<string[] | undefined> {
    if ((await tx.manager.countBy(RecoveryCodeEntity, { userId, usedAt: IsNull() })) > 0) return undefined;
    return this.writeRecoveryCodes(userId, tx);
  }

  private async writeRecoveryCodes(userId: string, tx: FabricTransaction): Promise<string[]> {
    const codes = newRecoveryCodes();
    const now = new Date(this.clock.now());
    await tx.manager.delete(RecoveryCodeEntity, { userId });
    await tx.manager.insert(
      RecoveryCodeEntity,
      codes.map((code) => ({ userId, codeHash: this.recoveryHasher.hash(normalizeRecoveryCode(code)!), createdAt: now, usedAt: null })),
    );
    return codes;
  }

  /** With no TOTP and no passkey left, recovery codes recover nothing: they go too. */
  async dropRecoveryCodesIfNoFactor(userId: string, tx: FabricTransaction): Promise<boolean> {
    if ((await tx.manager.countBy(MfaFactorEntity, { userId, confirmedAt: Not(IsNull()) })) > 0) return false;
    const removed = await tx.manager.delete(RecoveryCodeEntity, { userId });
    return (removed.affected ?? 0) > 0;
  }

  // ---- Administration ----

  /** Removes every factor and recovery code of a user, and voids their pending MFA logins (the caller applied the ceiling or a proof). */
  async reset(actor: Principal, user: UserEntity, by: 'self' | 'admin', request: HttpRequestLike): Promise<{ removed: number }> {
    return this.transactions.run(async (tx) => {
      const removed = await tx.manager.delete(MfaFactorEntity, { userId: user.id });
      await tx.manager.delete(RecoveryCodeEntity, { userId: user.id });
      await this.challenges.voidAllOf(user.id, tx);
      await this.audit.recordIn(tx, {
        action: 'mfa.reset',
        outcome: 'success',
        actor,
        target: { type: 'user', id: user.id },
        request,
        details: { by, factors_removed: removed.affected ?? 0 },
      });
      return { removed: removed.affected ?? 0 };
    });
  }
}
