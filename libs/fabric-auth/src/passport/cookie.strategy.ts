import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import { cookieValue, type HttpRequestLike } from '../core/request-info.js';
import { ACCESS_TOKEN_COOKIE, FABRIC_COOKIE_STRATEGY } from '../core/fabric-auth.constants.js';
import { AccessTokenVerifier } from '../access/principal/access-token-verifier.js';
import { settlePassport } from './passport-settle.js';

/**
 * Cookie `access_token=<jwt>` for browser sessions, registered as `fabric-cookie`: a wrapper
 * over `AccessTokenVerifier.cookie` (CSRF on unsafe methods included), as FabricGuard verifies it.
 */
@Injectable()
export class FabricCookieStrategy extends PassportStrategy(passport.Strategy, FABRIC_COOKIE_STRATEGY) {
  constructor(private readonly verifier: AccessTokenVerifier) {
    super();
  }

  override authenticate(request: HttpRequestLike): void {
    const token = cookieValue(request, ACCESS_TOKEN_COOKIE);
    if (!token) return this.fail('Bearer', 401);
    settlePassport(this, () => this.verifier.cookie(request, token));
  }

  /** Passport's verify callback; unused, since `authenticate` verifies the token itself. */
  validate(): false {
    return false;
  }
}
