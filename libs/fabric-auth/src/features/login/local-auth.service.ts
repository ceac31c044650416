import { Inject, Injectable } from '@nestjs/common';
import { AuditService, userActor, userOnSelf } from '../../data/audit.service.js';
import { SessionOpener } from '../../access/sign-in/session-opener.js';
import { clientConnected, type HttpRequestLike } from '../../core/request-info.js';
import { FabricTransactions } from '../../data/transactions.js';
import { PasswordAttempts } from '../../access/limits/password-attempts.service.js';
import { ClientGoneException, PasswordHasher } from '../../access/passwords/password-hasher.js';
import type { Principal } from '../../core/principal.js';
import { SessionsService } from '../../access/sessions/sessions.service.js';
import { normalizeEmail, normalizeUsername } from '../../core/identity-normalization.js';
import { UsersService } from '../../access/accounts/users.service.js';
import { SecondFactor, SecondFactorUnavailable } from '../../core/ports/second-factor.js';
import { OAuthError } from '../../http/oauth-error.js';
import type { TokenPair } from '../../core/token-pair.js';

export type { TokenPair } from '../../core/token-pair.js';

const INVALID_LOGIN = 'Invalid username or password';
const INVALID_REFRESH = 'Invalid or expired refresh token';

/** The token endpoint's grants and logout. */
@Injectable()
export class LocalAuthService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly attempts: PasswordAttempts,
    private readonly opener: SessionOpener,
    private readonly transactions: FabricTransactions,
    @Inject(SecondFactor) private readonly secondFactor: SecondFactor,
  ) {}

  /**
   * One answer whether the account is unknown, inactive, not yet activated, locked or the
   * password wrong: the body never tells them apart. The check itself, with its lockout and
   * limits, is `PasswordAttempts`'; a success also issues a device token (SEC-87).
   */
  async passwordGrant(login: string, password: string, request: HttpRequestLike, response: unknown, deviceToken?: string): Promise<TokenPair> {
    // Shed before the account lookup: during a flood most logins are refused, and each refusal
    // that first reads the database delays every other request on the event loop (/auth/me).
    this.passwords.requireRoom();
    const user = await this.users.findForLogin(login);
    // Unknown names are counted too, so a lock says nothing about whether an account exists.
    const accountKey = user?.id ?? `name:${login.includes('@') ? normalizeEmail(login) : normalizeUsername(login)}`;
    const check = await this.attempts.check({
      user: user ? { id: user.id, username: user.username, passwordHash: user.passwordHash, passwordChangedAt: user.passwordChangedAt } : null,
      accountKey,
      password,
      request,
      response,
      deviceToken: this.attempts.presentedDevice(request, deviceToken),
    });
    if (!user || !check.matches || !user.isActive || check.refused) {
      const reason = !user ? 'unknown_user' : check.refused ? 'locked' : !user.isActive ? 'inactive' : 'bad_password';
      await this.audit.record({
        action: 'login.failure',
        outcome: 'failure',
        actor: user ? { kind: 'user', id: user.id, username: user.username } : null,
        // An unknown login is not recorded: people type passwords into the username field.
        target: user ? { type: 'user', id: user.id } : null,
        request,
        details: { reason, known_device: check.knownDevice },
      });
      throw new OAuthError('invalid_grant', INVALID_LOGIN);
    }
    // A client that has gone while its check ran gets no session (SEC-102): nobody would receive it.
    const wanted = () => clientConnected(request);
    if (!wanted()) throw new ClientGoneException();
    await this.passwords.upgradeIfNeeded(password, user.passwordHash!, (hash) => this.users.replacePasswordHash(user.id, user.passwordHash!, hash), wanted);
    if (!wanted()) throw new ClientGoneException();
    const next = await this.secondFactor.afterFirstFactor(
      { id: user.id, username: user.username, isSystemAdmin: user.isSystemAdmin },
      { method: 'pwd', localFactorDue: true, multiFactor: false, details: { known_device: check.knownDevice } },
      request,
    );
    switch (next.step) {
      case 'locked':
      case 'unavailable':
        await this.audit.record({
          action: 'login.failure',
          outcome: 'failure',
          ...userOnSelf(user),
          request,
          details: { reason: next.step === 'locked' ? 'locked' : 'second_factor_unavailable', check: 'second_factor', known_device: check.knownDevice },
        });
        // Locked: one answer with a wrong password. Unavailable: the password was right, but a
        // second factor is due and this server offers none (the MFA feature is not mounted).
        if (next.step === 'unavailable') throw new SecondFactorUnavailable();
        throw new OAuthError('invalid_grant', INVALID_LOGIN);
      case 'challenge':
        // No device token yet: that comes with the completed login.
        throw new OAuthError('mfa_required', 'A second factor is required', 400, { mfa_token: next.mfaToken, factors: next.factors, expires_in: next.expiresIn });
      case 'enrol':
        return this.opener.open(user, 'password', request, { known_device: check.knownDevice, mfa_enrollment_required: true }, { amr: ['pwd'], restriction: 'mfa_enrollment' });
      case 'none':
        return this.opener.open(user, 'password', request, { known_device: check.knownDevice }, { amr: ['pwd'] });
    }
  }

  async refreshGrant(refreshToken: string, request: HttpRequestLike): Promise<TokenPair> {
    const result = await this.sessions.rotate(refreshToken);
    if (result.outcome === 'reused') {
      await this.audit.record({
        action: 'token.refresh_reuse',
        outcome: 'failure',
        actor: { kind: 'user', id: result.session.userId },
        target: { type: 'session', id: result.session.id },
        request,
        details: { revoked: true },
      });
      throw new OAuthError('invalid_grant', INVALID_REFRESH);
    }
    if (result.outcome === 'invalid') throw new OAuthError('invalid_grant', INVALID_REFRESH);
    const user = await this.users.findById(result.session.userId);
    if (!user || !user.isActive) {
      await this.sessions.revoke(result.session.id, 'user_inactive');
      throw new OAuthError('invalid_grant', INVALID_REFRESH);
    }
    await this.audit.record({
      action: 'token.refresh',
      outcome: 'success',
      actor: userActor(user),
      target: { type: 'session', id: result.session.id },
      request,
    });
    const pair = this.opener.pair(user.id, result.session, result.refreshToken);
    return result.session.restriction === 'mfa_enrollment' ? { ...pair, mfaEnrollmentRequired: true } : pair;
  }

  async logout(principal: Principal, request: HttpRequestLike): Promise<void> {
    const sessionId = principal.sessionId;
    if (!sessionId) return;
    await this.transactions.run(async (tx) => {
      await this.sessions.revoke(sessionId, 'logout', tx);
      await this.audit.recordIn(tx, { action: 'logout', outcome: 'success', actor: principal, target: { type: 'session', id: sessionId }, request });
    });
  }
}
