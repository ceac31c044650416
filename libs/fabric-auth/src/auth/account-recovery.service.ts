import { BadRequestException, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { HttpRequestLike } from '../common/request-info.js';
import { LimitsService } from '../limits/limits.service.js';
import { OneTimeTokensService } from '../one-time-tokens/one-time-tokens.service.js';
import type { OneTimeTokenPurpose } from '../one-time-tokens/one-time-token.entity.js';
import { PasswordHasher } from '../passwords/password-hasher.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { normalizeEmail, normalizeUsername } from '../users/identity-normalization.js';
import type { UserEntity } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';

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
    private readonly limits: LimitsService,
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
      .then(() =>
        this.audit.record({ action: 'password_reset.request', outcome: 'success', actor: null, target: { type: 'user', id: user.id }, request }),
      )
      .catch((error: unknown) => this.logger.error(`password reset request failed: ${(error as Error).message}`));
  }

  async confirmReset(token: string, newPassword: string, request: HttpRequestLike): Promise<void> {
    const user = await this.spend(token, 'password_reset', newPassword, true);
    await this.users.setPassword(user.id, newPassword);
    await this.tokens.voidAll(user.id);
    await this.limits.clearAccount(user.id);
    const revoked = await this.sessions.revokeAllOfUser(user.id, 'password_reset');
    await this.audit.record({
      action: 'user.password_reset',
      outcome: 'success',
      actor: { kind: 'user', id: user.id, username: user.username },
      target: { type: 'user', id: user.id },
      request,
      details: { sessions_revoked: revoked },
    });
  }

  async activate(token: string, password: string, request: HttpRequestLike): Promise<void> {
    const user = await this.spend(token, 'activation', password, false);
    await this.users.setPassword(user.id, password);
    await this.users.markEmailVerified(user.id);
    await this.audit.record({
      action: 'user.activate',
      outcome: 'success',
      actor: { kind: 'user', id: user.id, username: user.username },
      target: { type: 'user', id: user.id },
      request,
    });
  }

  /**
   * Checks the token names a live, eligible account and that the password passes the
   * policy before spending the token, so a refused password does not burn it.
   */
  private async spend(token: string, purpose: OneTimeTokenPurpose, password: string, mustHavePassword: boolean): Promise<UserEntity> {
    const userId = await this.tokens.peek(token, purpose);
    const user = userId ? await this.users.findById(userId) : null;
    const hasPassword = user ? await this.users.hasPassword(user.id) : false;
    if (!user || !user.isActive || hasPassword !== mustHavePassword) throw new BadRequestException(INVALID_TOKEN);
    const problem = this.passwords.policyViolation(password, { username: user.username, email: user.email });
    if (problem) throw new BadRequestException(problem);
    if ((await this.tokens.consume(token, purpose)) !== user.id) throw new BadRequestException(INVALID_TOKEN);
    return user;
  }
}
