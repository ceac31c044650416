import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy as PassportJwtStrategy, type StrategyOptionsWithRequest } from 'passport-jwt';
import { cookieValue, type HttpRequestLike } from '../core/request-info.js';
import { ACCESS_TOKEN_COOKIE, FABRIC_COOKIE_STRATEGY } from '../core/fabric-auth.constants.js';
import { AccessTokenVerifier } from '../access/principal/access-token-verifier.js';
import { TokenService } from '../access/tokens/token.service.js';
import { settlePassport } from './passport-settle.js';

/** The request Passport hands a strategy (Express's type, named through passport-jwt so our declarations need no @types/express). */
type Request = Parameters<PassportJwtStrategy['authenticate']>[0];

const cookieToken = (request: Request) => cookieValue(request as HttpRequestLike, ACCESS_TOKEN_COOKIE) ?? null;

/**
 * Cookie `access_token=<jwt>` for browser sessions, registered as `fabric-cookie`: a wrapper
 * over `AccessTokenVerifier.cookie` (CSRF on unsafe methods included), as FabricGuard verifies it.
 */
@Injectable()
export class FabricCookieStrategy extends PassportStrategy(PassportJwtStrategy, FABRIC_COOKIE_STRATEGY) {
  constructor(
    tokens: TokenService,
    private readonly verifier: AccessTokenVerifier,
  ) {
    super({ jwtFromRequest: cookieToken, secretOrKey: tokens.jwtKey as unknown as string, passReqToCallback: true } satisfies StrategyOptionsWithRequest);
  }

  override authenticate(request: Request): void {
    const token = cookieToken(request);
    if (!token) return this.fail('Bearer', 401);
    settlePassport(this, () => this.verifier.cookie(request as HttpRequestLike, token));
  }

  /** Passport-jwt's verify callback; unused, since `authenticate` verifies the token itself. */
  validate(): false {
    return false;
  }
}
