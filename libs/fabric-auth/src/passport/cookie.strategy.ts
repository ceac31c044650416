import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy as PassportJwtStrategy, type StrategyOptionsWithRequest } from 'passport-jwt';
import { cookieValue, headerValue, type HttpRequestLike, isCrossSiteRequest } from '../core/request-info.js';
import { ACCESS_TOKEN_COOKIE, CSRF_HEADER, CSRF_TOKEN_COOKIE, FABRIC_COOKIE_STRATEGY } from '../core/fabric-auth.constants.js';
import type { Principal } from '../core/principal.js';
import { AccessTokenPrincipals } from '../access/principal/access-token-principals.js';
import { FabricAuthError } from '../core/fabric-auth.error.js';
import { type AccessClaims, TokenService } from '../access/tokens/token.service.js';
import { settlePassport } from './passport-settle.js';

/** The request Passport hands a strategy (Express's type, named through passport-jwt so our declarations need no @types/express). */
type Request = Parameters<PassportJwtStrategy['authenticate']>[0];

const cookieToken = (request: Request) => cookieValue(request as HttpRequestLike, ACCESS_TOKEN_COOKIE) ?? null;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cookie `access_token=<jwt>` for browser sessions. Unsafe methods also need
 * `X-CSRF-Token` equal to the `csrf_token` cookie and to the token derived from the
 * session (signed double submit), and must not come from another site.
 */
@Injectable()
export class FabricCookieStrategy extends PassportStrategy(PassportJwtStrategy, FABRIC_COOKIE_STRATEGY) {
  constructor(
    private readonly tokens: TokenService,
    private readonly principals: AccessTokenPrincipals,
  ) {
    super({ jwtFromRequest: cookieToken, secretOrKey: tokens.jwtKey as unknown as string, passReqToCallback: true } satisfies StrategyOptionsWithRequest);
  }

  /** Verifies through `TokenService`, as FabricGuard does (see FabricJwtStrategy). */
  override authenticate(request: Request): void {
    const token = cookieToken(request);
    if (!token) return this.fail('Bearer', 401);
    settlePassport(this, () => this.authenticateCookie(request as HttpRequestLike, token));
  }

  /** Passport-jwt's verify callback; unused, since `authenticate` verifies the token itself. */
  validate(): false {
    return false;
  }

  /** `now`: the request's clock reading, used by both checks unless the verification had to wait (then each reads afresh). */
  authenticateCookie(request: HttpRequestLike, token: string, now?: number): Principal | Promise<Principal> {
    const claims = this.tokens.verifyAccessToken(token, now);
    return claims instanceof Promise ? claims.then((c) => this.resolve(request, c)) : this.resolve(request, claims, now);
  }

  private resolve(request: HttpRequestLike, claims: AccessClaims, now?: number): Principal | Promise<Principal> {
    const method = request.method ?? 'GET';
    // Methods arrive in capitals: the case-folded copy is made only for one that is not a safe method as sent.
    if (!SAFE_METHODS.has(method) && !SAFE_METHODS.has(method.toUpperCase())) {
      const header = headerValue(request, CSRF_HEADER);
      const cookie = cookieValue(request, CSRF_TOKEN_COOKIE);
      if (isCrossSiteRequest(request) || !this.tokens.csrfMatches(claims.sid, header, cookie)) {
        throw new FabricAuthError('csrf');
      }
    }
    return this.principals.forClaims(claims, 'cookie', now);
  }
}
