import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Req, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '../../core/open-api.js';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import type { Principal } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';
import { fabricValidationPipe } from '../../http/validation.js';
import { CreateOrgRoleDto, OrgRoleDto, OrgRoleListDto, UpdateOrgRoleDto } from './dto/org-role.dto.js';
import { OrganizationStandings } from './organization-standings.js';
import { OrganizationRolesService } from './organization-roles.service.js';

@ApiTags('organizations')
@ApiFabricAuth()
@Controller('orgs')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class OrganizationRolesController {
  constructor(
    private readonly roles: OrganizationRolesService,
    private readonly standings: OrganizationStandings,
  ) {}

  @Get(':org/roles')
  @ApiOperation({ summary: "List an organization's roles (org:roles:manage)", description: 'The configured template roles, then its own.' })
  @ApiOkResponse({ type: OrgRoleListDto })
  async list(@Param('org') org: string, @CurrentPrincipal() actor: Principal): Promise<OrgRoleListDto> {
    return this.roles.list(await this.standings.standing(actor, org, 'org:roles:manage'));
  }

  @Get(':org/roles/:name')
  @ApiOperation({ summary: 'Read an org role (org:roles:manage)', description: 'Its permissions, and whether it comes from the template.' })
  @ApiOkResponse({ type: OrgRoleDto })
  async get(@Param('org') org: string, @Param('name') name: string, @CurrentPrincipal() actor: Principal): Promise<OrgRoleDto> {
    return this.roles.get(await this.standings.standing(actor, org, 'org:roles:manage'), name);
  }

  @Post(':org/roles')
  @ApiOperation({ summary: 'Define an org role (org:roles:manage)', description: '`org:*` permissions and the app’s own, each held by you here.' })
  @ApiCreatedResponse({ type: OrgRoleDto })
  async create(@Param('org') org: string, @Body() dto: CreateOrgRoleDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<OrgRoleDto> {
    return this.roles.create(await this.standings.standing(actor, org, 'org:roles:manage'), dto, request);
  }

  @Patch(':org/roles/:name')
  @ApiOperation({
    summary: 'Change an org role (org:roles:manage)',
    description: 'Its holders get the new permissions on their next request; template roles change in the configuration (409).',
  })
  @ApiOkResponse({ type: OrgRoleDto })
  async update(
    @Param('org') org: string,
    @Param('name') name: string,
    @Body() dto: UpdateOrgRoleDto,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<OrgRoleDto> {
    return this.roles.update(await this.standings.standing(actor, org, 'org:roles:manage'), name, dto, request);
  }

  @Delete(':org/roles/:name')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete an org role (org:roles:manage)', description: 'Taken from every member holding it, at once.' })
  @ApiNoContentResponse()
  async remove(@Param('org') org: string, @Param('name') name: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    await this.roles.remove(await this.standings.standing(actor, org, 'org:roles:manage'), name, request);
  }
}
