import { Inject, Injectable } from '@nestjs/common';
import { SignInHooks } from '../../core/ports/sign-in-hook.js';
import type { AuditDetails } from '../../schema/entities/audit-event.entity.js';
import { AuditService, userActor } from '../../data/audit.service.js';
import { FabricClock } from '../../core/clock.js';
import { FabricError } from '../../core/fabric-error.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { type FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import { DeviceTokens } from '../limits/device-tokens.js';
import { type ProviderSessionLink, sessionAmr, SessionsService } from '../sessions/sessions.service.js';
import type { SessionEntity } from '../../schema/entities/session.entity.js';
import { TokenService } from '../tokens/token.service.js';
import type { UserEntity } from '../../schema/entities/user.entity.js';
import type { TokenPair } from '../../core/token-pair.js';
import { UsersService } from '../accounts/users.service.js';

/** How the first factor of a login was proved; the session's `login_method`. */
export type SignInMethod = 'password' | 'oidc' | 'saml' | 'passkey';

/** What a login proved (`amr`, an enrolment-only restriction) and, for SSO, the provider's session. */
export interface SignInProof {
  amr?: readonly string[];
  restriction?: string | null;
  provider?: ProviderSessionLink;
}

/**
 * Where every successful login ends, whichever feature proved the identity (the password
 * grant, the second step of MFA, a passkey, an identity provider): no feature owns it, so
 * none has to import another to finish a login. It lives in `access/sign-in/` rather than
 * `access/sessions/` because it also writes the user's last login, and `accounts/` already
 * depends on `sessions/` (the folders would form a cycle).
 */
@Injectable()
export class SessionOpener {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly tokens: TokenService,
    private readonly audit: AuditService,
    private readonly clock: FabricClock,
    private readonly devices: DeviceTokens,
    private readonly transactions: FabricTransactions,
    @Inject(SignInHooks) private readonly hooks: SignInHooks,
  ) {}

  /**
   * A new session, `last_login_at`, a `login.success` audit event, what the features' sign-in
   * hooks add, and the token pair. The caller has checked that the user is active.
   */
  async open(
    user: Pick<UserEntity, 'id' | 'username' | 'passwordChangedAt'>,
    method: SignInMethod,
    request: HttpRequestLike,
    details: AuditDetails = {},
    proof: SignInProof = {},
    outer?: FabricTransaction,
  ): Promise<TokenPair> {
    const { session, refreshToken } = await this.transactions
      .run(async (tx) => {
        const opened = await this.sessions.create(user.id, method, request, tx, proof);
        await this.users.recordLogin(user.id, tx);
        await this.audit.recordIn(tx, {
          action: 'login.success',
          outcome: 'success',
          actor: userActor(user),
          target: { type: 'session', id: opened.session.id },
          request,
          details: { method, ...(proof.amr && { amr: proof.amr.join(' ') }), ...details },
        });
        for (const hook of this.hooks) await hook.afterSignIn(tx, { user: { id: user.id, username: user.username }, method, request });
        return opened;
      }, outer)
      .catch(async (error: unknown) => {
        // Within a caller's transaction the audit row would queue behind it (SQLite): that caller records the refusal once it rolled back.
        if (outer === undefined) await this.recordRefusal(error, user, method, request);
        throw error;
      });
    const pair = this.pair(user.id, session, refreshToken);
    // Every login the password took part in (alone, or before a second factor) earns a device
    // token (SEC-87); a second step that follows SSO or starts with a passkey does not.
    const deviceToken = method === 'password' ? this.devices.issue(user) : undefined;
    return proof.restriction === 'mfa_enrollment' ? { ...pair, mfaEnrollmentRequired: true, deviceToken } : { ...pair, deviceToken };
  }

  /**
   * A login the app's before-hook refused (`action_refused`) is a `login.failure` with the reason
   * the person was shown: its session and `login.success` rolled back, the refusal stays on record.
   * Any other error is left to its caller.
   */
  async recordRefusal(error: unknown, user: Pick<UserEntity, 'id' | 'username'>, method: SignInMethod, request: HttpRequestLike): Promise<void> {
    if (!(error instanceof FabricError) || error.code !== 'action_refused') return;
    await this.audit.record({
      action: 'login.failure',
      outcome: 'failure',
      actor: userActor(user),
      target: { type: 'user', id: user.id },
      request,
      details: { method, reason: 'refused_by_app', message: error.message.slice(0, 200) },
    });
  }

  /** The tokens of a session; its `amr` rides on every access token minted from it, refreshes included. */
  pair(userId: string, session: Pick<SessionEntity, 'id' | 'expiresAt' | 'amr' | 'loginMethod' | 'activeOrgId'>, refreshToken: string): TokenPair {
    const access = this.tokens.issueAccessToken(userId, session.id, sessionAmr(session), session.activeOrgId);
    return {
      accessToken: access.token,
      expiresIn: access.expiresIn,
      refreshToken,
      // Rounded, not floored: a session opened a millisecond ago still has its whole configured lifetime
      // to the second, so two logins a moment apart carry the same Max-Age.
      refreshExpiresIn: Math.max(0, Math.round((session.expiresAt.getTime() - this.clock.now()) / 1000)),
      sessionId: session.id,
    };
  }
}
