import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy as PassportJwtStrategy, type StrategyOptionsWithoutRequest } from 'passport-jwt';
import { FABRIC_JWT_STRATEGY } from '../core/fabric-auth.constants.js';
import type { Principal } from '../core/principal.js';
import { AccessTokenPrincipals } from '../access/principal/access-token-principals.js';
import { TokenService } from '../access/tokens/token.service.js';
import { settlePassport } from './passport-settle.js';

/** The request Passport hands a strategy (Express's type, named through passport-jwt so our declarations need no @types/express). */
type Request = Parameters<PassportJwtStrategy['authenticate']>[0];

/**
 * `Authorization: Bearer <jwt>`. Registered with Passport as `fabric-jwt` for apps that
 * compose `AuthGuard('fabric-jwt')`; FabricGuard calls `authenticateBearer` directly,
 * which skips Passport's per-request machinery (see NOTES: it costs ~13% of throughput).
 * Both verify through `TokenService` (passport-jwt's jsonwebtoken call knows no EdDSA and
 * would be a second copy of the rules), so `authenticate` is overridden.
 */
@Injectable()
export class FabricJwtStrategy extends PassportStrategy(PassportJwtStrategy, FABRIC_JWT_STRATEGY) {
  private static readonly fromHeader = ExtractJwt.fromAuthHeaderAsBearerToken();

  constructor(
    private readonly tokens: TokenService,
    private readonly principals: AccessTokenPrincipals,
  ) {
    super({ jwtFromRequest: FabricJwtStrategy.fromHeader, secretOrKey: tokens.jwtKey as unknown as string } satisfies StrategyOptionsWithoutRequest);
  }

  override authenticate(request: Request): void {
    const token = FabricJwtStrategy.fromHeader(request);
    if (!token) return this.fail('Bearer', 401);
    settlePassport(this, () => this.authenticateBearer(token));
  }

  /** Passport-jwt's verify callback; unused, since `authenticate` verifies the token itself. */
  validate(): false {
    return false;
  }

  /** `now`: the request's clock reading, used by both checks unless the verification had to wait (then each reads afresh). */
  authenticateBearer(token: string, now?: number): Principal | Promise<Principal> {
    const claims = this.tokens.verifyAccessToken(token, now);
    return claims instanceof Promise ? claims.then((c) => this.principals.forClaims(c, 'jwt')) : this.principals.forClaims(claims, 'jwt', now);
  }
}
