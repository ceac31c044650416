import { Injectable, Logger } from '@nestjs/common';
import { AuditService, userOnSelf } from '../../data/audit.service.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { type FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import { PasswordAttempts } from '../../access/limits/password-attempts.service.js';
import { OneTimeTokensService } from '../../access/tokens/one-time-tokens.service.js';
import type { OneTimeTokenPurpose } from '../../schema/entities/one-time-token.entity.js';
import { PasswordHasher } from '../../access/passwords/password-hasher.js';
import { SessionsService } from '../../access/sessions/sessions.service.js';
import { normalizeEmail, normalizeUsername } from '../../core/identity-normalization.js';
import { UserEntity } from '../../schema/entities/user.entity.js';
import { UsersService } from '../../access/accounts/users.service.js';
import { fabricError } from '../../core/fabric-error.js';

const INVALID_TOKEN = 'Invalid or expired token';

/** Activation and password reset through one-time tokens delivered by the notifier. */
@Injectable()
export class AccountRecoveryService {
  private readonly logger = new Logger('FabricAuth');

  constructor(
    private readonly users: UsersService,
    private readonly tokens: OneTimeTokensService,
    private readonly passwords: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly attempts: PasswordAttempts,
    private readonly transactions: FabricTransactions,
  ) {}

  /**
   * Answers the same, in the same time, whether or not the account exists: the lookup is
   * the only awaited work; issuing and sending happen after the answer.
   */
  async requestReset(identifier: { email?: string; username?: string }, request: HttpRequestLike): Promise<void> {
    const login = identifier.email !== undefined ? normalizeEmail(identifier.email) : normalizeUsername(identifier.username ?? '');
    const user = await this.users.findForLogin(login);
    if (!user || !user.isActive || !user.passwordHash) return;
    void this.tokens
      .issueAndSend(user, 'password_reset')
      .then(() => this.audit.record({ action: 'password_reset.request', outcome: 'success', actor: null, target: { type: 'user', id: user.id }, request }))
      .catch((error: unknown) => this.logger.error(`password reset request failed: ${(error as Error).message}`));
  }

  /** The token spent, the password set, every link voided and every session ended: one transaction. */
  async confirmReset(token: string, newPassword: string, request: HttpRequestLike): Promise<void> {
    const { user, passwordHash } = await this.eligible(token, 'password_reset', newPassword, true);
    await this.transactions.run(async (tx) => {
      await this.spend(token, 'password_reset', user, tx);
      await this.users.setPasswordHash(user.id, passwordHash, tx);
      await this.tokens.voidAll(user.id, tx);
      const revoked = await this.sessions.revokeAllOfUser(user.id, 'password_reset', undefined, tx);
      await this.audit.recordIn(tx, {
        action: 'user.password_reset',
        outcome: 'success',
        ...userOnSelf(user),
        request,
        details: { sessions_revoked: revoked },
      });
    });
    await this.attempts.clear(user.id).catch((error: unknown) => this.logger.warn(`lock not cleared after a reset: ${(error as Error).message}`));
  }

  async activate(token: string, password: string, request: HttpRequestLike): Promise<void> {
    const { user, passwordHash } = await this.eligible(token, 'activation', password, false);
    await this.transactions.run(async (tx) => {
      await this.spend(token, 'activation', user, tx);
      await this.users.setPasswordHash(user.id, passwordHash, tx);
      await this.users.markEmailVerified(user.id, tx);
      await this.audit.recordIn(tx, {
        action: 'user.activate',
        outcome: 'success',
        ...userOnSelf(user),
        request,
      });
    });
  }

  /**
   * Marks the email verified with the token from a verification link; the token is spent.
   * The account row is locked before the token is spent, as an email change locks it before
   * voiding the links: a link confirmed while the address changes either verifies the address
   * it was mailed to (and the change then clears it) or finds itself voided — never does it
   * verify the new, unconfirmed address.
   */
  async verifyEmail(token: string, request: HttpRequestLike): Promise<void> {
    const userId = await this.tokens.peek(token, 'email_verification');
    if (!userId) throw fabricError('invalid_token', INVALID_TOKEN);
    await this.transactions.run(async (tx) => {
      await this.transactions.lock(tx, UserEntity, userId);
      if ((await this.tokens.consume(token, 'email_verification', tx)) !== userId) throw fabricError('invalid_token', INVALID_TOKEN);
      const user = await tx.manager.findOneBy(UserEntity, { id: userId });
      if (!user || !user.isActive || !user.email) throw fabricError('invalid_token', INVALID_TOKEN);
      await this.users.markEmailVerified(user.id, tx);
      await this.audit.recordIn(tx, {
        action: 'user.email_verified',
        outcome: 'success',
        ...userOnSelf(user),
        request,
        details: { via: 'link' },
      });
    });
  }

  /**
   * Checks the token names a live, eligible account and that the password passes the
   * policy before spending the token, so a refused password does not burn it; hashes the
   * password before any transaction opens.
   */
  private async eligible(token: string, purpose: OneTimeTokenPurpose, password: string, mustHavePassword: boolean): Promise<{ user: UserEntity; passwordHash: string }> {
    const userId = await this.tokens.peek(token, purpose);
    const user = userId ? await this.users.findById(userId) : null;
    const hasPassword = user ? await this.users.hasPassword(user.id) : false;
    if (!user || !user.isActive || hasPassword !== mustHavePassword) throw fabricError('invalid_token', INVALID_TOKEN);
    const problem = this.passwords.policyViolation(password, { username: user.username, email: user.email });
    if (problem) throw fabricError('invalid_request', problem);
    return { user, passwordHash: await this.passwords.hash(password) };
  }

  /** Of concurrent uses of one token, one spends it; the others are refused. */
  private async spend(token: string, purpose: OneTimeTokenPurpose, user: UserEntity, tx: FabricTransaction): Promise<void> {
    if ((await this.tokens.consume(token, purpose, tx)) !== user.id) throw fabricError('invalid_token', INVALID_TOKEN);
  }
}
