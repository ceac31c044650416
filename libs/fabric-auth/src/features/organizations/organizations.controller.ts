import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query, Req, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '../../core/open-api.js';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import type { Principal } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';
import { fabricValidationPipe } from '../../http/validation.js';
import { CreateOrganizationDto, ListOrganizationsQueryDto, OrganizationDto, OrganizationListDto, UpdateOrganizationDto } from './dto/organization.dto.js';
import { OrganizationStandings } from './organization-standings.js';
import { OrganizationsService } from './organizations.service.js';

/** `{org}` in every path is the organization's slug or id; for a caller who is not a member, an existing one is 404 like an unknown one. */
@ApiTags('organizations')
@ApiFabricAuth()
@Controller('orgs')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class OrganizationsController {
  constructor(
    private readonly organizations: OrganizationsService,
    private readonly standings: OrganizationStandings,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create an organization (orgs:create, or anyone signed in with auth.organizations.self_service); you become its owner',
    description: 'The slug is stored lower case and refused when it is taken or differs from an existing one only by look-alike characters.',
  })
  @ApiCreatedResponse({ type: OrganizationDto })
  create(@Body() dto: CreateOrganizationDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<OrganizationDto> {
    return this.organizations.create(actor, dto, request);
  }

  @Get()
  @ApiOperation({ summary: 'List organizations: yours, or every one with orgs:list', description: 'Cursor-paged like every list; your own come with your roles there.' })
  @ApiOkResponse({ type: OrganizationListDto })
  list(@Query() query: ListOrganizationsQueryDto, @CurrentPrincipal() actor: Principal): Promise<OrganizationListDto> {
    return this.organizations.list(actor, query);
  }

  @Get(':org')
  @ApiOperation({ summary: 'Read an organization (members; orgs:list)', description: 'Its slug, name, domains and settings.' })
  @ApiOkResponse({ type: OrganizationDto })
  async get(@Param('org') org: string, @CurrentPrincipal() actor: Principal): Promise<OrganizationDto> {
    return this.organizations.view((await this.standings.standingWithRow(actor, org, 'view')).organization);
  }

  @Patch(':org')
  @ApiOperation({
    summary: 'Change an organization (org:manage)',
    description: 'Slug, name, MFA requirement, domains; only a platform admin (orgs:manage) marks a domain verified.',
  })
  @ApiOkResponse({ type: OrganizationDto })
  async update(@Param('org') org: string, @Body() dto: UpdateOrganizationDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<OrganizationDto> {
    return this.organizations.update(await this.standings.standingWithRow(actor, org, 'org:manage'), dto, request);
  }

  @Delete(':org')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete an organization (owners)', description: 'Its members, roles, invitations and domains go with it.' })
  @ApiNoContentResponse()
  async remove(@Param('org') org: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    await this.organizations.remove(await this.standings.standing(actor, org, 'owner'), request);
  }
}
