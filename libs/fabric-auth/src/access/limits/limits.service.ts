import { Inject, Injectable } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { type HttpRequestLike, setResponseHeader } from '../../core/request-info.js';
import { FABRIC_LOCKOUT_STORE, FABRIC_THROTTLER_STORAGE } from '../../core/fabric-auth.constants.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { TrustedProxies } from '../../core/client-ip.js';
import type { FabricLockoutStore, FailurePolicy } from '../../core/ports/lockout-store.js';
import { FabricError, fabricError } from '../../core/fabric-error.js';

/** A request limit: `limit` requests per `ttl` ms, then blocked for `block` ms. */
interface Rule {
  limit: number;
  ttl: number;
  block: number;
}

const MINUTE = 60_000;

/**
 * The documented limits (README "Brute force and rate limits"). Per client address (IPv6
 * per /64) and, where a request names an account, per target too. Keys come from the
 * route, not the raw path, so `//`, a trailing `/` or another case count as the same.
 */
export const RATE_LIMITS = {
  token: { limit: 600, ttl: MINUTE, block: MINUTE },
  activate: { limit: 20, ttl: MINUTE, block: MINUTE },
  password_reset: { limit: 10, ttl: MINUTE, block: MINUTE },
  password_reset_target: { limit: 5, ttl: 15 * MINUTE, block: 15 * MINUTE },
  password_reset_confirm: { limit: 20, ttl: MINUTE, block: MINUTE },
  email_verify: { limit: 20, ttl: MINUTE, block: MINUTE },
  email_verify_target: { limit: 5, ttl: 15 * MINUTE, block: 15 * MINUTE },
  email_verify_confirm: { limit: 20, ttl: MINUTE, block: MINUTE },
  sso_discover: { limit: 30, ttl: MINUTE, block: MINUTE },
} satisfies Record<string, Rule>;

/** Failed password logins from one address (any accounts) before its logins get 429s. */
export const LOGIN_FAILURES_PER_ADDRESS: FailurePolicy = { threshold: 50, windowMs: 10 * MINUTE, lockMs: MINUTE, maxLockMs: 15 * MINUTE };

/** Failed API keys from one address before it gets 429s instead of 401s. */
export const API_KEY_FAILURE_POLICY: FailurePolicy = { threshold: 30, windowMs: MINUTE, lockMs: MINUTE, maxLockMs: 15 * MINUTE };

/** A counter store that cannot answer: refuse the request (fail closed) with a clear 503. */
export function unavailable(error: unknown): never {
  throw fabricError('rate_limiting_unavailable', 'Rate limiting is temporarily unavailable', { cause: error });
}

/** 429 `rate_limited`; the caller sets `Retry-After`. */
export class TooManyRequestsException extends FabricError {
  constructor(readonly retryAfterSeconds: number) {
    super('rate_limited', `Too many requests; retry after ${retryAfterSeconds} seconds`);
  }
}

/**
 * Brute-force protection and rate limits, over two ports so that one process counts in
 * memory and many instances count in Redis: `@nestjs/throttler`'s storage for request
 * rates and a lockout store for failure counters. A store that fails makes the caller
 * fail (closed): nothing is granted that would not be granted with it up.
 */
@Injectable()
export class LimitsService {
  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    @Inject(FABRIC_THROTTLER_STORAGE) private readonly throttler: ThrottlerStorage,
    @Inject(FABRIC_LOCKOUT_STORE) private readonly lockouts: FabricLockoutStore,
    readonly proxies: TrustedProxies,
  ) {}

  /** Counts one request against a rule, per client address (and per target when given); 429 + Retry-After beyond it. */
  async throttle(request: HttpRequestLike, response: unknown, rule: keyof typeof RATE_LIMITS, target?: string): Promise<void> {
    if (!this.options.rateLimits) return;
    const counted: Array<[string, Rule]> = [[`${rule}:${this.proxies.clientKey(request)}`, RATE_LIMITS[rule]]];
    const targetRule = `${rule}_target` as keyof typeof RATE_LIMITS;
    if (target !== undefined && targetRule in RATE_LIMITS) counted.push([`${targetRule}:${target}`, RATE_LIMITS[targetRule]]);
    for (const [key, spec] of counted) {
      const record = await this.throttler.increment(key, spec.ttl, spec.limit, spec.block, 'fabric').catch(unavailable);
      if (record.isBlocked) {
        const retryAfter = Math.max(1, record.timeToBlockExpire);
        setResponseHeader(response, 'Retry-After', String(retryAfter));
        throw new TooManyRequestsException(retryAfter);
      }
    }
  }

  /** 429 + Retry-After when this address has failed too many password logins lately (password spraying). */
  async requireLoginAllowedFrom(request: HttpRequestLike, response: unknown): Promise<void> {
    if (!this.options.rateLimits) return;
    const lockedFor = await this.lockouts.lockedFor(`login-ip:${this.proxies.clientKey(request)}`).catch(unavailable);
    if (lockedFor > 0) {
      const retryAfter = Math.ceil(lockedFor / 1000);
      setResponseHeader(response, 'Retry-After', String(retryAfter));
      throw new TooManyRequestsException(retryAfter);
    }
  }

  async registerLoginFailureFrom(request: HttpRequestLike): Promise<void> {
    if (!this.options.rateLimits) return;
    await this.lockouts.registerFailure(`login-ip:${this.proxies.clientKey(request)}`, LOGIN_FAILURES_PER_ADDRESS).catch(unavailable);
  }

  /** One refused API key from this address; the seconds to wait when the address is now locked. */
  async registerApiKeyFailure(request: HttpRequestLike): Promise<number> {
    if (!this.options.rateLimits) return 0;
    const result = await this.lockouts.registerFailure(`api-key:${this.proxies.clientKey(request)}`, API_KEY_FAILURE_POLICY);
    return Math.ceil(result.lockedForMs / 1000);
  }
}
