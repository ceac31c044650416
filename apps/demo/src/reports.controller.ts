import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiFabricAuth,
  CurrentOrg,
  CurrentPrincipal,
  FabricGuard,
  OrgScoped,
  type Principal,
  type PrincipalOrganization,
  Public,
  RequireMfa,
  RequirePermission,
} from 'nestjs-fabric-auth';

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

  @Get('org')
  @OrgScoped()
  @ApiFabricAuth()
  @ApiOperation({
    summary: 'Acts in the active organization (@OrgScoped)',
    description:
      'Shows `@OrgScoped()` and `@CurrentOrg()`: answers differently per organization; a token without an active organization (choose one with `grant_type=organization`) gets 403 `{"error": "organization_required"}`.',
  })
  organization(@CurrentOrg() org: PrincipalOrganization): { organization: string; roles: readonly string[]; message: string } {
    return { organization: org.slug, roles: org.roles, message: `Reports of ${org.slug}` };
  }

  @Get('org/reports')
  @OrgScoped()
  @RequirePermission('reports:read')
  @ApiFabricAuth()
  @ApiOperation({
    summary: 'Needs reports:read in the active organization',
    description: "Shows `@RequirePermission('reports:read')` under `@OrgScoped()`: checked against the caller's org roles, not their global roles.",
  })
  organizationReports(@CurrentOrg() org: PrincipalOrganization): { organization: string; items: string[] } {
    return { organization: org.slug, items: [`${org.slug}-q3-revenue`] };
  }
}
