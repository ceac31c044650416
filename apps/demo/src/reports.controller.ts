import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiFabricAuth, CurrentPrincipal, FabricGuard, type Principal, Public, RequireMfa, RequirePermission } from 'nestjs-fabric-auth';

/**
 * The permissions this app's code checks. They are registered in code (`appPermissions`), so
 * the demo starts with any config file; the config's roles grant them.
 */
export const DEMO_PERMISSIONS = ['reports:read'] as const;

/** A route with no guard at all: the baseline of `npm run bench`. */
@ApiTags('demo')
@Controller('api/v1/demo')
export class PingController {
  @Get('ping')
  @ApiOperation({ summary: 'Unguarded', description: 'Demo route with no guard at all: the baseline of `npm run bench`.' })
  ping(): { ok: true } {
    return { ok: true };
  }
}

/** Routes of the host app itself, protected by FabricGuard at controller level. */
@ApiTags('demo')
@Controller('api/v1/demo')
@UseGuards(FabricGuard)
export class ReportsController {
  @Get('public')
  @Public()
  @ApiOperation({ summary: 'Open to anyone, though the controller is guarded', description: 'Shows `@Public()` opting one route out of a controller guarded by FabricGuard.' })
  open(): { ok: true } {
    return { ok: true };
  }

  @Get('protected')
  @ApiFabricAuth()
  @ApiOperation({ summary: 'Any authenticated principal', description: "Any valid credential passes; answers the principal's username." })
  whoami(@CurrentPrincipal() principal: Principal): { ok: true; username: string } {
    return { ok: true, username: principal.username };
  }

  @Get('reports')
  @RequirePermission('reports:read')
  @ApiFabricAuth()
  @ApiOperation({ summary: 'Needs reports:read', description: "Shows `@RequirePermission('reports:read')` with a permission declared by the host app." })
  reports(): { items: string[] } {
    return { items: ['q3-revenue', 'q3-churn'] };
  }

  @Get('sensitive')
  @RequireMfa()
  @ApiFabricAuth()
  @ApiOperation({
    summary: 'Needs a session signed in with a second factor (@RequireMfa)',
    description: 'Shows `@RequireMfa()`: any other session gets 403 `{"error": "mfa_required"}`; the answer lists the session\'s `amr`.',
  })
  sensitive(@CurrentPrincipal() principal: Principal): { ok: true; amr: readonly string[] } {
    return { ok: true, amr: principal.amr ?? [] };
  }
}
