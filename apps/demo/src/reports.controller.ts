import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Public, RequirePermission } from 'nestjs-fabric-auth';

/** Routes of the host app itself, protected by the global FabricGuard. */
@ApiTags('demo')
@Controller('api/v1/demo')
export class ReportsController {
  @Get('public')
  @Public()
  @ApiOperation({ summary: 'Open to anyone' })
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
}
