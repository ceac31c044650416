import { ForbiddenException, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy as PassportJwtStrategy, type StrategyOptionsWithoutRequest } from 'passport-jwt';
import { FABRIC_JWT_STRATEGY } from '../fabric-auth.constants.js';
import type { Principal } from '../principal/principal.js';
import { PrincipalService } from '../principal/principal.service.js';
import { FabricAuthError } from '../tokens/fabric-auth.error.js';
import { TokenService } from '../tokens/token.service.js';

/**
 * `Authorization: Bearer <jwt>`. Registered with Passport as `fabric-jwt` for apps that
 * compose `AuthGuard('fabric-jwt')`; FabricGuard calls `authenticateBearer` directly,
 * which skips Passport's per-request machinery (see NOTES: it costs ~13% of throughput)
 * and verifies through the same options and the same `validate` checks.
 */
@Injectable()
export class FabricJwtStrategy extends PassportStrategy(PassportJwtStrategy, FABRIC_JWT_STRATEGY) {
  constructor(
    private readonly tokens: TokenService,
    private readonly principals: PrincipalService,
  ) {
    const verify = tokens.jwtVerifyOptions();
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: tokens.jwtKey as unknown as string,
      algorithms: verify.algorithms,
      issuer: verify.issuer as string,
      audience: verify.audience as string,
      jsonWebTokenOptions: { clockTolerance: verify.clockTolerance },
    } satisfies StrategyOptionsWithoutRequest);
  }

  /** Passport's verify callback: false (→ 401) for any refused credential. */
  async validate(payload: unknown): Promise<Principal | false> {
    try {
      return await this.principals.forAccessClaims(this.verifiedClaims(payload), 'jwt');
    } catch (error) {
      if (error instanceof FabricAuthError) {
        if (error.failure === 'csrf') throw new ForbiddenException('Missing or invalid CSRF token');
        return false;
      }
      throw error;
    }
  }

  authenticateBearer(token: string): Principal | Promise<Principal> {
    return this.principals.forAccessClaims(this.tokens.verifyAccessToken(token), 'jwt');
  }

  /** What passport-jwt leaves unchecked: our claim rules and the injectable clock. */
  private verifiedClaims(payload: unknown) {
    const claims = this.tokens.accessClaimsFrom(payload);
    this.tokens.checkTimes(claims);
    return claims;
  }
}
