import { Injectable } from '@nestjs/common';
import type { AuditDetails } from '../audit/audit-event.entity.js';
import { AuditService } from '../audit/audit.service.js';
import { FabricClock } from '../common/clock.js';
import type { HttpRequestLike } from '../common/request-info.js';
import { FabricTransactions } from '../common/transactions.js';
import { DeviceTokens } from '../limits/device-tokens.js';
import { PasswordAttempts } from '../limits/password-attempts.service.js';
import { PasswordHasher } from '../passwords/password-hasher.js';
import type { Principal } from '../principal/principal.js';
import { type ProviderSessionLink, SessionsService } from '../sessions/sessions.service.js';
import { TokenService } from '../tokens/token.service.js';
import type { UserEntity } from '../users/user.entity.js';
import { normalizeEmail, normalizeUsername } from '../users/identity-normalization.js';
import { UsersService } from '../users/users.service.js';
import { OAuthError } from './oauth-error.js';

export interface TokenPair {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  sessionId: string;
  /** Issued after a password login: lets this client past the locks an attack on the account sets. */
  deviceToken?: string;
}

const INVALID_LOGIN = 'Invalid username or password';
const INVALID_REFRESH = 'Invalid or expired refresh token';

/** The token endpoint's grants and logout. */
@Injectable()
export class LocalAuthService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly tokens: TokenService,
    private readonly audit: AuditService,
    private readonly clock: FabricClock,
    private readonly attempts: PasswordAttempts,
    private readonly devices: DeviceTokens,
    private readonly transactions: FabricTransactions,
  ) {}

  /**
   * One answer whether the account is unknown, inactive, not yet activated, locked or the
   * password wrong: the body never tells them apart. The check itself, with its lockout and
   * limits, is `PasswordAttempts`'; a success also issues a device token (SEC-87).
   */
  async passwordGrant(login: string, password: string, request: HttpRequestLike, response: unknown, deviceToken?: string): Promise<TokenPair> {
    const user = await this.users.findForLogin(login);
    // Unknown names are counted too, so a lock says nothing about whether an account exists.
    const accountKey = user?.id ?? `name:${login.includes('@') ? normalizeEmail(login) : normalizeUsername(login)}`;
    const check = await this.attempts.check({
      user: user ? { id: user.id, username: user.username, passwordHash: user.passwordHash } : null,
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
    await this.passwords.upgradeIfNeeded(password, user.passwordHash!, (hash) => this.users.storePasswordHash(user.id, hash));
    const pair = await this.openSession(user, 'password', request, { known_device: check.knownDevice });
    return { ...pair, deviceToken: this.devices.issue(user.id) };
  }

  /**
   * Where every successful login ends, whatever proved the user's identity: a new session,
   * `last_login_at`, a `login.success` audit event and the token pair. The caller has
   * checked that the user is active.
   */
  async openSession(
    user: Pick<UserEntity, 'id' | 'username'>,
    method: 'password' | 'oidc',
    request: HttpRequestLike,
    details: AuditDetails = {},
    provider?: ProviderSessionLink,
  ): Promise<TokenPair> {
    const { session, refreshToken } = await this.transactions.run(async (tx) => {
      const opened = await this.sessions.create(user.id, method, request, tx, provider);
      await this.users.recordLogin(user.id, tx);
      await this.audit.recordIn(tx, {
        action: 'login.success',
        outcome: 'success',
        actor: { kind: 'user', id: user.id, username: user.username },
        target: { type: 'session', id: opened.session.id },
        request,
        details: { method, ...details },
      });
      return opened;
    });
    return this.pair(user.id, session.id, refreshToken, session.expiresAt);
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
      actor: { kind: 'user', id: user.id, username: user.username },
      target: { type: 'session', id: result.session.id },
      request,
    });
    return this.pair(user.id, result.session.id, result.refreshToken, result.session.expiresAt);
  }

  async logout(principal: Principal, request: HttpRequestLike): Promise<void> {
    const sessionId = principal.sessionId;
    if (!sessionId) return;
    await this.transactions.run(async (tx) => {
      await this.sessions.revoke(sessionId, 'logout', tx);
      await this.audit.recordIn(tx, { action: 'logout', outcome: 'success', actor: principal, target: { type: 'session', id: sessionId }, request });
    });
  }

  private pair(userId: string, sessionId: string, refreshToken: string, refreshExpiresAt: Date): TokenPair {
    const access = this.tokens.issueAccessToken(userId, sessionId);
    return {
      accessToken: access.token,
      expiresIn: access.expiresIn,
      refreshToken,
      refreshExpiresIn: Math.max(0, Math.floor((refreshExpiresAt.getTime() - this.clock.now()) / 1000)),
      sessionId,
    };
  }
}
