import { type CanActivate, Controller, type ExecutionContext, Get, Injectable, UnauthorizedException, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FabricGuard, TokenService } from 'nestjs-fabric-auth';

/**
 * FOR THE BENCHMARK ONLY — never protect a real route like this. It checks the JWT's
 * signature and claims and nothing else: a logged-out session or a deactivated user still
 * gets through until the token expires. `npm run bench` compares FabricGuard (which does
 * check, from its cache) against it, to price immediate revocation (SPEC §10).
 */
@Injectable()
class SignatureOnlyGuard implements CanActivate {
  constructor(private readonly tokens: TokenService) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const header = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers.authorization;
    const refuse = (): never => {
      throw new UnauthorizedException();
    };
    try {
      const claims = this.tokens.verifyAccessToken(header?.startsWith('Bearer ') ? header.slice(7) : '');
      return claims instanceof Promise ? claims.then(() => true, refuse) : true;
    } catch {
      return refuse();
    }
  }
}

/**
 * FOR THE BENCHMARK ONLY: lets every request through. What Nest's guard stage costs a route
 * whatever the guard does (the execution context, the awaits around `canActivate`), the
 * floor under the two guards above.
 */
@Injectable()
class PassThroughGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/** One handler body, four guards: what `npm run bench` compares is the guard alone. */
@ApiExcludeController()
@Controller('api/v1/demo/bench')
export class BenchController {
  @Get('unguarded')
  unguarded(): { ok: true } {
    return { ok: true };
  }

  @Get('guarded')
  @UseGuards(FabricGuard)
  guarded(): { ok: true } {
    return { ok: true };
  }

  @Get('pass-through')
  @UseGuards(PassThroughGuard)
  passThrough(): { ok: true } {
    return { ok: true };
  }

  @Get('signature-only')
  @UseGuards(SignatureOnlyGuard)
  signatureOnly(): { ok: true } {
    return { ok: true };
  }
}
