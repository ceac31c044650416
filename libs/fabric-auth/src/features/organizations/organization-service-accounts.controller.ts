import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query, Req, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '../../core/open-api.js';
import { ApiKeyListDto, CreateApiKeyDto, CreatedApiKeyDto } from '../../access/api-keys/dto/api-key.dto.js';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import type { Principal } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { ListQueryDto } from '../../data/pagination/list-query.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import { NoStore } from '../../http/no-store.decorator.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';
import { fabricValidationPipe } from '../../http/validation.js';
import { CreateOrgServiceAccountDto, OrgServiceAccountDto, OrgServiceAccountListDto } from './dto/org-service-account.dto.js';
import { OrganizationServiceAccountsService } from './organization-service-accounts.service.js';
import { OrganizationStandings } from './organization-standings.js';

const MANAGE = 'org:service-accounts:manage';

/** Every route needs `org:service-accounts:manage` in the organization (or a platform admin's `orgs:manage`, audited as such). */
@ApiTags('organizations')
@ApiFabricAuth()
@Controller('orgs')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class OrganizationServiceAccountsController {
  constructor(
    private readonly accounts: OrganizationServiceAccountsService,
    private readonly standings: OrganizationStandings,
  ) {}

  @Post(':org/service-accounts')
  @ApiOperation({
    summary: "Create one of the organization's service accounts (org:service-accounts:manage)",
    description: 'It holds the org roles named (within what you hold here; never owner), acts only in this organization and holds nothing globally.',
  })
  @ApiCreatedResponse({ type: OrgServiceAccountDto })
  async create(
    @Param('org') org: string,
    @Body() dto: CreateOrgServiceAccountDto,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<OrgServiceAccountDto> {
    return this.accounts.create(await this.standings.standing(actor, org, MANAGE), dto, request);
  }

  @Get(':org/service-accounts')
  @ApiOperation({ summary: "List the organization's service accounts (org:service-accounts:manage)", description: 'Cursor-paged, oldest first.' })
  @ApiOkResponse({ type: OrgServiceAccountListDto })
  async list(@Param('org') org: string, @Query() query: ListQueryDto, @CurrentPrincipal() actor: Principal): Promise<OrgServiceAccountListDto> {
    return this.accounts.list(await this.standings.standing(actor, org, MANAGE), query);
  }

  @Get(':org/service-accounts/:id')
  @ApiOperation({ summary: "Read one of the organization's service accounts (org:service-accounts:manage)" })
  @ApiOkResponse({ type: OrgServiceAccountDto })
  async get(@Param('org') org: string, @Param('id') id: string, @CurrentPrincipal() actor: Principal): Promise<OrgServiceAccountDto> {
    return this.accounts.get(await this.standings.standing(actor, org, MANAGE), id);
  }

  @Delete(':org/service-accounts/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: "Delete one of the organization's service accounts (org:service-accounts:manage)", description: 'Its keys stop working on the next request.' })
  @ApiNoContentResponse()
  async remove(@Param('org') org: string, @Param('id') id: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    await this.accounts.remove(await this.standings.standing(actor, org, MANAGE), id, request);
  }

  @Post(':org/service-accounts/:id/api-keys')
  @NoStore()
  @ApiOperation({
    summary: "Create an API key for one of the organization's service accounts (org:service-accounts:manage)",
    description: "The raw key is in this answer only. It acts with the account's org roles in this organization; it takes no scopes.",
  })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  async createKey(
    @Param('org') org: string,
    @Param('id') id: string,
    @Body() dto: CreateApiKeyDto,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<CreatedApiKeyDto> {
    return this.accounts.createKey(await this.standings.standing(actor, org, MANAGE), id, dto, request);
  }

  @Get(':org/service-accounts/:id/api-keys')
  @ApiOperation({ summary: "List the keys of one of the organization's service accounts (org:service-accounts:manage)" })
  @ApiOkResponse({ type: ApiKeyListDto })
  async listKeys(@Param('org') org: string, @Param('id') id: string, @Query() query: ListQueryDto, @CurrentPrincipal() actor: Principal): Promise<ApiKeyListDto> {
    return this.accounts.listKeys(await this.standings.standing(actor, org, MANAGE), id, query);
  }

  @Delete(':org/service-accounts/:id/api-keys/:keyId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: "Revoke a key of one of the organization's service accounts (org:service-accounts:manage)",
    description: 'Refused on the next request, on every instance.',
  })
  @ApiNoContentResponse()
  async revokeKey(
    @Param('org') org: string,
    @Param('id') id: string,
    @Param('keyId') keyId: string,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<void> {
    await this.accounts.revokeKey(await this.standings.standing(actor, org, MANAGE), id, keyId, request);
  }
}
