import { Injectable } from '@nestjs/common';
import { cookieValue, headerValue, type HttpRequestLike, isCrossSiteRequest } from '../../core/request-info.js';
import { CSRF_HEADER, CSRF_TOKEN_COOKIE } from '../../core/fabric-auth.constants.js';
import type { Principal } from '../../core/principal.js';
import { FabricAuthError } from '../../core/fabric-auth.error.js';
import { type AccessClaims, TokenService } from '../tokens/token.service.js';
import { AccessTokenPrincipals } from './access-token-principals.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Our access token as a request presents it, verified through `TokenService` (one copy of the
 * rules, HS256 and the asymmetric algorithms alike) and resolved to its principal.
 * FabricAuthenticator calls it on every request, and the `fabric-jwt` and `fabric-cookie`
 * Passport strategies wrap it. Synchronous when the token and its principal are cached.
 */
@Injectable()
export class AccessTokenVerifier {
  constructor(
    private readonly tokens: TokenService,
    private readonly principals: AccessTokenPrincipals,
  ) {}

  /**
   * `Authorization: Bearer <jwt>`. `now`: the request's clock reading, used by both checks unless
   * the verification had to wait (then each reads afresh); without it (Passport) each reads the clock.
   */
  bearer(token: string, now?: number): Principal | Promise<Principal> {
    const claims = this.tokens.verifyAccessToken(token, now);
    return claims instanceof Promise ? claims.then((c) => this.principals.forClaims(c, 'jwt')) : this.principals.forClaims(claims, 'jwt', now);
  }

  /**
   * Cookie `access_token=<jwt>` for browser sessions. Unsafe methods also need `X-CSRF-Token`
   * equal to the `csrf_token` cookie and to the token derived from the session (signed double
   * submit), and must not come from another site. `now` as for `bearer`.
   */
  cookie(request: HttpRequestLike, token: string, now?: number): Principal | Promise<Principal> {
    const claims = this.tokens.verifyAccessToken(token, now);
    return claims instanceof Promise ? claims.then((c) => this.fromCookie(request, c)) : this.fromCookie(request, claims, now);
  }

  private fromCookie(request: HttpRequestLike, claims: AccessClaims, now?: number): Principal | Promise<Principal> {
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
