import { Injectable } from '@nestjs/common';
import type { HttpRequestLike } from '../../core/request-info.js';
import type { FirstFactor, SecondFactor, SecondFactorStep, SignInUser } from '../../core/ports/second-factor.js';
import type { TokenPair } from '../../core/token-pair.js';
import { PasswordAttempts } from '../../access/limits/password-attempts.service.js';
import { type LoginFactor, MfaPolicy } from '../../access/sign-in/mfa-policy.js';
import { MfaLoginService } from './mfa-login.service.js';
import { MFA_TOKEN_TTL_SECONDS } from './mfa-tokens.service.js';
import { MfaService } from './mfa.service.js';

/** The MFA feature behind the `SecondFactor` port: TOTP, recovery codes and passkeys complete a login. */
@Injectable()
export class MfaSecondFactor implements SecondFactor {
  constructor(
    private readonly mfa: MfaService,
    private readonly policy: MfaPolicy,
    private readonly attempts: PasswordAttempts,
    private readonly logins: MfaLoginService,
  ) {}

  /**
   * A local factor completes the login when one is due and the user has one. Otherwise a
   * login the provider did not vouch for as multi-factor is a single factor: when the policy
   * demands a second factor of this user, their factor completes it, and a `required_for`
   * holder without one gets the enrolment-only session (SEC-113).
   */
  async afterFirstFactor(user: SignInUser, first: FirstFactor, request: HttpRequestLike): Promise<SecondFactorStep> {
    if (first.localFactorDue) {
      const factors = await this.policy.loginFactors(user.id);
      if (factors.length > 0) return this.challenge(user, first, factors, request);
    }
    const required = !first.multiFactor && (await this.policy.requires(user));
    if (required && !first.localFactorDue) {
      const factors = await this.policy.loginFactors(user.id);
      if (factors.length > 0) return this.challenge(user, first, factors, request);
    }
    return required ? { step: 'enrol' } : { step: 'none' };
  }

  /**
   * The second step has its own counter per account (`LimitsService.registerFactorAttempt`),
   * cleared only once a login completes, so re-entering a known password never buys more
   * guesses at the code: a locked second step refuses the password sign-in outright.
   */
  private async challenge(user: SignInUser, first: FirstFactor, factors: LoginFactor[], request: HttpRequestLike): Promise<SecondFactorStep> {
    if (first.method === 'pwd' && (await this.attempts.factorLocked(user.id))) return { step: 'locked' };
    const mfaToken = await this.mfa.beginSecondStep(user, first.method, factors, request, first.details);
    return { step: 'challenge', mfaToken, factors, expiresIn: MFA_TOKEN_TTL_SECONDS };
  }

  completeWithCode(factor: 'totp' | 'recovery_code', mfaToken: string, code: string, request: HttpRequestLike): Promise<TokenPair> {
    return this.logins.codeGrant(factor, mfaToken, code, request);
  }

  passkeyOptions(mfaToken: string | undefined): Promise<unknown> {
    return this.logins.passkeyBegin(mfaToken);
  }

  passkeySignIn(credential: unknown, request: HttpRequestLike): Promise<TokenPair> {
    return this.logins.passkeyFinish(credential, request);
  }
}
