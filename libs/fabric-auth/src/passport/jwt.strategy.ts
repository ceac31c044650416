import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy as PassportJwtStrategy, type StrategyOptionsWithoutRequest } from 'passport-jwt';
import { FABRIC_JWT_STRATEGY } from '../core/fabric-auth.constants.js';
import { AccessTokenVerifier } from '../access/principal/access-token-verifier.js';
import { TokenService } from '../access/tokens/token.service.js';
import { settlePassport } from './passport-settle.js';

/** The request Passport hands a strategy (Express's type, named through passport-jwt so our declarations need no @types/express). */
type Request = Parameters<PassportJwtStrategy['authenticate']>[0];

/**
 * `Authorization: Bearer <jwt>`. Registered with Passport as `fabric-jwt` for apps that
 * compose `AuthGuard('fabric-jwt')`: a wrapper over `AccessTokenVerifier`, which FabricGuard
 * calls directly, without Passport's per-request machinery (see NOTES: it costs ~13% of
 * throughput). `authenticate` is overridden so that both verify the same way.
 */
@Injectable()
export class FabricJwtStrategy extends PassportStrategy(PassportJwtStrategy, FABRIC_JWT_STRATEGY) {
  private static readonly fromHeader = ExtractJwt.fromAuthHeaderAsBearerToken();

  constructor(
    tokens: TokenService,
    private readonly verifier: AccessTokenVerifier,
  ) {
    super({ jwtFromRequest: FabricJwtStrategy.fromHeader, secretOrKey: tokens.jwtKey as unknown as string } satisfies StrategyOptionsWithoutRequest);
  }

  override authenticate(request: Request): void {
    const token = FabricJwtStrategy.fromHeader(request);
    if (!token) return this.fail('Bearer', 401);
    settlePassport(this, () => this.verifier.bearer(token));
  }

  /** Passport-jwt's verify callback; unused, since `authenticate` verifies the token itself. */
  validate(): false {
    return false;
  }
}
