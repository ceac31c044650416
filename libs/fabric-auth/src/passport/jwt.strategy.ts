import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import { FABRIC_JWT_STRATEGY } from '../core/fabric-auth.constants.js';
import type { HttpRequestLike } from '../core/request-info.js';
import { AccessTokenVerifier } from '../access/principal/access-token-verifier.js';
import { settlePassport } from './passport-settle.js';

/**
 * The token of `Authorization` as passport-jwt's `fromAuthHeaderAsBearerToken` read it, which this
 * strategy used before: the first two runs of non-space, the first one `bearer` in any case.
 */
function bearerFromHeader(request: HttpRequestLike): string | null {
  const authorization = request.headers.authorization;
  if (typeof authorization !== 'string' || authorization === '') return null;
  const parts = /(\S+)\s+(\S+)/.exec(authorization);
  return parts !== null && parts[1].toLowerCase() === 'bearer' ? parts[2] : null;
}

/**
 * `Authorization: Bearer <jwt>`. Registered with Passport as `fabric-jwt` for apps that
 * compose `AuthGuard('fabric-jwt')`: a wrapper over `AccessTokenVerifier`, which FabricGuard
 * calls directly, without Passport's per-request machinery (see NOTES: it costs ~13% of
 * throughput), so both verify the same way.
 */
@Injectable()
export class FabricJwtStrategy extends PassportStrategy(passport.Strategy, FABRIC_JWT_STRATEGY) {
  constructor(private readonly verifier: AccessTokenVerifier) {
    super();
  }

  override authenticate(request: HttpRequestLike): void {
    const token = bearerFromHeader(request);
    if (!token) return this.fail('Bearer', 401);
    settlePassport(this, () => this.verifier.bearer(token));
  }

  /** Passport's verify callback; unused, since `authenticate` verifies the token itself. */
  validate(): false {
    return false;
  }
}
