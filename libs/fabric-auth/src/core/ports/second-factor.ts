import type { HttpRequestLike } from '../request-info.js';
import type { TokenPair } from '../token-pair.js';
import { FabricError } from '../fabric-error.js';

/** Who finished a first factor: enough to look up their factors and the policy. */
export interface SignInUser {
  id: string;
  username: string;
  isSystemAdmin: boolean;
}

/** What the first step of a login proved, and what decides whether a local second factor is due. */
export interface FirstFactor {
  /** `pwd` for a password, `fed` for an identity provider (RFC 8176; kept on the `mfa_token`). */
  method: 'pwd' | 'fed';
  /** A local factor completes this login whenever the user has one (always after a password; a provider with `mfa: local`). */
  localFactorDue: boolean;
  /** The provider vouched for a multi-factor login: the policy (`auth.mfa.required_for`) is already met. */
  multiFactor: boolean;
  /** Added to the `login.mfa_required` event (`known_device`, `provider`). */
  details: Record<string, string | number | boolean | null>;
}

/**
 * What follows a first factor:
 * - `none`: open the session;
 * - `enrol`: the policy demands a factor the user has none of: an enrolment-only session;
 * - `challenge`: a second step is due, completed at the token endpoint with `mfaToken`;
 * - `locked`: a password sign-in whose second step is locked by guessed codes (refused like a wrong password);
 * - `unavailable`: a second factor is due but this server offers none (MFA not mounted): refused, never let in on the first factor alone.
 */
export type SecondFactorStep =
  { step: 'none' } | { step: 'enrol' } | { step: 'challenge'; mfaToken: string; factors: string[]; expiresIn: number } | { step: 'locked' } | { step: 'unavailable' };

/**
 * Thrown by a second-factor completion (an `mfa_otp` grant, a passkey ceremony) when this
 * server offers no second factors; the token endpoint answers `mfa_unavailable`.
 */
export class SecondFactorUnavailable extends FabricError {
  constructor() {
    super('mfa_unavailable', 'Second factors are not enabled on this server');
  }
}

/**
 * Port through which sign-in reaches second factors without knowing who provides them (the
 * MFA feature, `MfaSecondFactor`; without it the core's `NoSecondFactor`, which refuses
 * anyone a second factor would have been asked of). Login asks `afterFirstFactor`; the
 * token endpoint's MFA grants and the passkey routes hand their input to the completions,
 * which end in a session (`SessionOpener`) or throw the endpoint's own `OAuthError`.
 */
export interface SecondFactor {
  afterFirstFactor(user: SignInUser, first: FirstFactor, request: HttpRequestLike): Promise<SecondFactorStep>;
  /** `grant_type=mfa_otp` (`totp`) and `mfa_recovery_code`. */
  completeWithCode(factor: 'totp' | 'recovery_code', mfaToken: string, code: string, request: HttpRequestLike): Promise<TokenPair>;
  /** Options for a passkey assertion: the second step behind `mfaToken`, or (without one) a passwordless sign-in. */
  passkeyOptions(mfaToken: string | undefined): Promise<unknown>;
  /** A passkey assertion: the second step of a login, or a passwordless sign-in. */
  passkeySignIn(credential: unknown, request: HttpRequestLike): Promise<TokenPair>;
}

export const SecondFactor = Symbol('SecondFactor');
