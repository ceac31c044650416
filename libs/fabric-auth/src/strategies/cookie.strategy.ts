import { ForbiddenException, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy as PassportJwtStrategy, type StrategyOptionsWithRequest } from 'passport-jwt';
import { cookieValue, headerValue, type HttpRequestLike, isCrossSiteRequest } from '../common/request-info.js';
import { ACCESS_TOKEN_COOKIE, CSRF_HEADER, CSRF_TOKEN_COOKIE, FABRIC_COOKIE_STRATEGY } from '../fabric-auth.constants.js';
import type { Principal } from '../principal/principal.js';
import { PrincipalService } from '../principal/principal.service.js';
import { FabricAuthError } from '../tokens/fabric-auth.error.js';
import { type AccessClaims, TokenService } from '../tokens/token.service.js';

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
    private readonly principals: PrincipalService,
  ) {
    const verify = tokens.jwtVerifyOptions();
    super({
      jwtFromRequest: (request: Request) => cookieValue(request as HttpRequestLike, ACCESS_TOKEN_COOKIE) ?? null,
      secretOrKey: tokens.jwtKey as unknown as string,
      algorithms: verify.algorithms,
      issuer: verify.issuer as string,
      audience: verify.audience as string,
      jsonWebTokenOptions: { clockTolerance: verify.clockTolerance },
      passReqToCallback: true,
    } satisfies StrategyOptionsWithRequest);
  }

  async validate(request: HttpRequestLike, payload: unknown): Promise<Principal | false> {
    try {
      return await this.resolve(request, this.verifiedClaims(payload));
    } catch (error) {
      if (error instanceof FabricAuthError) {
        if (error.failure === 'csrf') throw new ForbiddenException('Missing or invalid CSRF token');
        return false;
      }
      throw error;
    }
  }

  authenticateCookie(request: HttpRequestLike, token: string): Principal | Promise<Principal> {
    return this.resolve(request, this.tokens.verifyAccessToken(token));
  }

  private resolve(request: HttpRequestLike, claims: AccessClaims): Principal | Promise<Principal> {
    if (!SAFE_METHODS.has((request.method ?? 'GET').toUpperCase())) {
      const header = headerValue(request, CSRF_HEADER);
      const cookie = cookieValue(request, CSRF_TOKEN_COOKIE);
      if (isCrossSiteRequest(request) || !this.tokens.csrfMatches(claims.sid, header, cookie)) {
        throw new FabricAuthError('csrf');
      }
    }
    return this.principals.forAccessClaims(claims, 'cookie');
  }

  /** What passport-jwt leaves unchecked: our claim rules and the injectable clock. */
  private verifiedClaims(payload: unknown) {
    const claims = this.tokens.accessClaimsFrom(payload);
    this.tokens.checkTimes(claims);
    return claims;
  }
}
