import { Injectable } from '@nestjs/common';
import { type FirstFactor, type SecondFactor, type SecondFactorStep, SecondFactorUnavailable, type SignInUser } from '../../core/ports/second-factor.js';
import type { TokenPair } from '../../core/token-pair.js';
import { MfaPolicy } from './mfa-policy.js';

/**
 * The `SecondFactor` port when the MFA feature is not mounted. It offers no second factor,
 * and so must not let anyone in on a first factor alone whom MFA would have asked for one:
 * a user holding a factor (when a local factor is due) or whom `auth.mfa.required_for`
 * names is refused (`unavailable`); everyone else signs in as before.
 */
@Injectable()
export class NoSecondFactor implements SecondFactor {
  constructor(private readonly policy: MfaPolicy) {}

  async afterFirstFactor(user: SignInUser, first: FirstFactor): Promise<SecondFactorStep> {
    if (first.localFactorDue && (await this.policy.loginFactors(user.id)).length > 0) return { step: 'unavailable' };
    if (!first.multiFactor && (await this.policy.requires(user))) return { step: 'unavailable' };
    return { step: 'none' };
  }

  completeWithCode(): Promise<TokenPair> {
    return Promise.reject(new SecondFactorUnavailable());
  }

  passkeyOptions(): Promise<unknown> {
    return Promise.reject(new SecondFactorUnavailable());
  }

  passkeySignIn(): Promise<TokenPair> {
    return Promise.reject(new SecondFactorUnavailable());
  }
}
