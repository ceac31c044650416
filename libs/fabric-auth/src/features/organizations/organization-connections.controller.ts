import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Req, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '../../core/open-api.js';
import type { Principal } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';
import { fabricValidationPipe } from '../../http/validation.js';
import { ConnectionDto, ConnectionListDto, ConnectionTestDto, CreateConnectionDto, UpdateConnectionDto } from './dto/organization-connection.dto.js';
import { OrganizationConnectionsService } from './organization-connections.service.js';
import { OrganizationStandings, type OrgStanding } from './organization-standings.js';

const ID_PARAM = { name: 'id', description: 'Connection id (UUID)' } as const;

/**
 * An organization's own OIDC and SAML connections (SPEC §16), with `auth.organizations.sso_connections`:
 * `org:manage` — the organization's own settings, held by owners in the default template — or a
 * platform admin's `orgs:manage` (audited as such). Another organization's connection is 404.
 */
@ApiTags('organizations')
@ApiFabricAuth()
@Controller('orgs')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class OrganizationConnectionsController {
  constructor(
    private readonly connections: OrganizationConnectionsService,
    private readonly standings: OrganizationStandings,
  ) {}

  private standing(actor: Principal, org: string): Promise<OrgStanding> {
    this.connections.assertEnabled();
    return this.standings.standing(actor, org, 'org:manage');
  }

  @Get(':org/connections')
  @ApiOperation({ summary: "List an organization's SSO connections (org:manage)", description: 'Never a client secret.' })
  @ApiOkResponse({ type: ConnectionListDto })
  async list(@Param('org') org: string, @CurrentPrincipal() actor: Principal): Promise<ConnectionListDto> {
    return this.connections.list(await this.standing(actor, org));
  }

  @Post(':org/connections')
  @ApiOperation({
    summary: 'Create an SSO connection (org:manage)',
    description:
      'OIDC: `oidc {issuer, client_id, client_secret}` (the secret is stored encrypted, never answered). SAML: `saml {idp_metadata | idp_metadata_url}`; give the IdP the answered `saml.acs_url` and `saml.sp_entity_id`. `role_mapping` maps claim values to this organization’s roles (never owner, within what you hold here).',
  })
  @ApiCreatedResponse({ type: ConnectionDto })
  @ApiBadRequestResponse({ description: 'Settings missing or wrong for the protocol (the message says which), an unknown role, a URL that is not https' })
  async create(@Param('org') org: string, @Body() dto: CreateConnectionDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<ConnectionDto> {
    return this.connections.create(await this.standing(actor, org), dto, request);
  }

  @Get(':org/connections/:id')
  @ApiOperation({ summary: 'Read an SSO connection (org:manage)' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: ConnectionDto })
  @ApiNotFoundResponse({ description: 'No such connection in this organization' })
  async get(@Param('org') org: string, @Param('id') id: string, @CurrentPrincipal() actor: Principal): Promise<ConnectionDto> {
    return this.connections.get(await this.standing(actor, org), id);
  }

  @Patch(':org/connections/:id')
  @ApiOperation({ summary: 'Change an SSO connection (org:manage)', description: 'Its protocol stays; an absent `oidc.client_secret` keeps the stored one.' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: ConnectionDto })
  async update(
    @Param('org') org: string,
    @Param('id') id: string,
    @Body() dto: UpdateConnectionDto,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<ConnectionDto> {
    return this.connections.update(await this.standing(actor, org), id, dto, request);
  }

  @Post(':org/connections/:id/test')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Test an SSO connection (org:manage)',
    description: 'Reads the OIDC discovery document or the SAML metadata now (10 s, size-capped, https only, no redirect) and answers what is wrong. Changes nothing.',
  })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: ConnectionTestDto })
  async test(@Param('org') org: string, @Param('id') id: string, @CurrentPrincipal() actor: Principal): Promise<ConnectionTestDto> {
    return this.connections.test(await this.standing(actor, org), id);
  }

  @Delete(':org/connections/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete an SSO connection (org:manage)' })
  @ApiParam(ID_PARAM)
  @ApiNoContentResponse()
  async remove(@Param('org') org: string, @Param('id') id: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    await this.connections.remove(await this.standing(actor, org), id, request);
  }
}
