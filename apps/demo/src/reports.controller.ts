import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, FabricGuard, type Principal, Public, RequireMfa, RequirePermission } from 'nestjs-fabric-auth';

/** A route with no guard at all: the baseline of `npm run bench`. */
@ApiTags('demo')
@Controller('api/v1/demo')
export class PingController {
  @Get('ping')
  @ApiOperation({ summary: 'Unguarded' })
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
  @ApiOperation({ summary: 'Open to anyone, though the controller is guarded' })
  open(): { ok: true } {
    return { ok: true };
  }

  @Get('protected')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Any authenticated principal' })
  whoami(@CurrentPrincipal() principal: Principal): { ok: true; username: string } {
    return { ok: true, username: principal.username };
  }

  @Get('reports')
  @RequirePermission('reports:read')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Needs reports:read' })
  reports(): { items: string[] } {
    return { items: ['q3-revenue', 'q3-churn'] };
  }

  @Get('sensitive')
  @RequireMfa()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Needs a session signed in with a second factor (@RequireMfa)' })
  sensitive(@CurrentPrincipal() principal: Principal): { ok: true; amr: readonly string[] } {
    return { ok: true, amr: principal.amr ?? [] };
  }
}
