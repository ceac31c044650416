import { Injectable } from '@nestjs/common';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { AuditService, userOnSelf } from '../../data/audit.service.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { FabricTransactions } from '../../data/transactions.js';
import { PasswordAttempts } from '../../access/limits/password-attempts.service.js';
import { SessionOpener } from '../../access/sign-in/session-opener.js';
import type { TokenPair } from '../../core/token-pair.js';
import { OAuthError } from '../../http/oauth-error.js';
import type { UserEntity } from '../../schema/entities/user.entity.js';
import { UsersService } from '../../access/accounts/users.service.js';
import type { MfaChallengeEntity } from '../../schema/entities/mfa-challenge.entity.js';
import { MfaChallenges } from './mfa-tokens.service.js';
import { MfaService } from './mfa.service.js';
import { PasskeysService, parseAuthenticationCredential } from './passkeys.service.js';

const INVALID_MFA_TOKEN = 'Invalid or expired mfa_token';
const INVALID_CODE = 'Invalid code';
const INVALID_PASSKEY = 'The passkey was not accepted';

/**
 * The second step of a login (`grant_type=mfa_otp`, `mfa_recovery_code`, a passkey
 * assertion) and passwordless passkey sign-in. An `mfa_token` is bound to its user and to
 * the first factor it records; it dies on use, after a few wrong codes, at its expiry, or
 * when the password changes or the account is deactivated meanwhile.
 */
@Injectable()
export class MfaLoginService {
  constructor(
    private readonly challenges: MfaChallenges,
    private readonly mfa: MfaService,
    private readonly passkeys: PasskeysService,
    private readonly users: UsersService,
    private readonly opener: SessionOpener,
    private readonly attempts: PasswordAttempts,
    private readonly audit: AuditService,
    private readonly transactions: FabricTransactions,
  ) {}

  /** The live token and its user, or `invalid_grant`. */
  private async pending(mfaToken: string): Promise<{ row: MfaChallengeEntity; user: UserEntity }> {
    const row = await this.challenges.liveMfaToken(mfaToken);
    const user = row?.userId ? await this.users.findById(row.userId) : null;
    if (!row || !user || !this.stillProves(row, user)) throw new OAuthError('invalid_grant', INVALID_MFA_TOKEN);
    return { row, user };
  }

  /** A password changed after the first step proved the old one, and a deactivated account proves nothing. */
  private stillProves(row: MfaChallengeEntity, user: UserEntity): boolean {
    if (!user.isActive || row.userId !== user.id || !this.challenges.isLive(row)) return false;
    return user.passwordChangedAt === null || user.passwordChangedAt.getTime() <= row.createdAt.getTime();
  }

  async codeGrant(factor: 'totp' | 'recovery_code', mfaToken: string, code: string, request: HttpRequestLike): Promise<TokenPair> {
    const { row, user } = await this.pending(mfaToken);
    // A double submit is not a guess: while one attempt holds the token the others are
    // refused uncounted, so the right code sent ten times at once signs in exactly once.
    if (!(await this.challenges.claim(row.id))) throw new OAuthError('invalid_grant', INVALID_MFA_TOKEN);
    let check: Awaited<ReturnType<MfaService['checkSecondFactor']>>;
    try {
      check = await this.mfa.checkSecondFactor(user, factor, code, request);
    } catch (error) {
      await this.challenges.release(row.id, false);
      throw error;
    }
    if (!check.ok) {
      await this.challenges.release(row.id, true);
      await this.auditFailure(user, factor, check.reason, request);
      throw new OAuthError('invalid_grant', INVALID_CODE);
    }
    try {
      // RFC 8176 `otp` for both: a recovery code is a one-time password; the audit names which.
      return await this.complete(row, user, ['otp', 'mfa'], factor, request, true);
    } catch (error) {
      await this.challenges.release(row.id, false);
      throw error;
    }
  }

  /** Options for a passkey assertion: the second step of the login behind `mfaToken`, or (without one) a passwordless sign-in. */
  async passkeyBegin(mfaToken: string | undefined): Promise<PublicKeyCredentialRequestOptionsJSON> {
    if (mfaToken === undefined) return this.passkeys.authenticationOptions(undefined);
    const { row, user } = await this.pending(mfaToken);
    return this.passkeys.authenticationOptions({ userId: user.id, mfaTokenId: row.id });
  }

  async passkeyFinish(credential: unknown, request: HttpRequestLike): Promise<TokenPair> {
    const credentialId = parseAuthenticationCredential(credential).id;
    // Refused assertions count per (credential, address) only (SEC-114): locked here, this
    // address may not try the passkey, and nothing else of the account is touched.
    if (await this.attempts.passkeyLocked(credentialId, request)) throw new OAuthError('invalid_grant', INVALID_PASSKEY);
    const assertion = await this.passkeys.verifyAssertion(credential);
    const parentId = assertion.challenge?.parentId ?? null;
    if (!assertion.ok) {
      const counted = await this.attempts.registerPasskeyFailure(credentialId, request);
      const user = assertion.userId ? await this.users.findById(assertion.userId) : null;
      if (user) {
        if (counted.lockedNow) await this.attempts.auditFactorLock(user, counted.count, request, 'passkey');
        await this.auditFailure(user, 'passkey', assertion.reason, request);
      }
      if (parentId) await this.challenges.registerFailure(parentId);
      throw new OAuthError('invalid_grant', INVALID_PASSKEY);
    }
    const user = await this.users.findById(assertion.user.id);
    if (!user || !user.isActive) throw new OAuthError('invalid_grant', INVALID_PASSKEY);
    // Codes guessed after the right password lock the second step; a passkey does not open it meanwhile.
    if (await this.attempts.factorLocked(user.id)) {
      await this.auditFailure(user, 'passkey', 'locked', request);
      throw new OAuthError('invalid_grant', INVALID_PASSKEY);
    }
    if (parentId) {
      const parent = await this.challenges.byId(parentId);
      if (!parent || !this.stillProves(parent, user)) throw new OAuthError('invalid_grant', INVALID_MFA_TOKEN);
      return this.complete(parent, user, ['hwk', 'mfa'], 'passkey', request);
    }
    return this.opener.open(user, 'passkey', request, { factor: 'passkey' }, { amr: ['hwk', 'mfa'] });
  }

  /**
   * Spends the token (unless this attempt `claimed` it already) and opens the session in one
   * transaction: of two completions racing, one gets tokens.
   */
  private async complete(row: MfaChallengeEntity, user: UserEntity, methods: string[], factor: string, request: HttpRequestLike, claimed = false): Promise<TokenPair> {
    const amr = [row.firstFactor ?? 'pwd', ...methods];
    const method = row.firstFactor === 'fed' ? 'oidc' : 'password';
    const pair = await this.transactions
      .run(async (tx) => {
        if (!claimed && !(await this.challenges.consume(row.id, tx))) throw new OAuthError('invalid_grant', INVALID_MFA_TOKEN);
        return this.opener.open(user, method, request, { factor }, { amr }, tx);
      })
      .catch(async (error: unknown) => {
        await this.opener.recordRefusal(error, user, method, request);
        throw error;
      });
    await this.attempts.clearFactorAttempts(user.id);
    return pair;
  }

  private async auditFailure(user: Pick<UserEntity, 'id' | 'username'>, factor: string, reason: string, request: HttpRequestLike): Promise<void> {
    await this.audit.record({
      action: 'login.mfa_failure',
      outcome: 'failure',
      ...userOnSelf(user),
      request,
      details: { factor, reason },
    });
  }
}
