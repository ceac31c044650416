import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, Req, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '../../core/open-api.js';
import { ApiKeyListDto, CreatedApiKeyDto } from '../../access/api-keys/dto/api-key.dto.js';
import { ScimTokensService } from '../../access/api-keys/scim-tokens.service.js';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { RequirePermission } from '../../access/guard/require-permission.decorator.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import { fabricError } from '../../core/fabric-error.js';
import { OrganizationAccess } from '../../core/ports/organization-access.js';
import type { Principal } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { ListQueryDto } from '../../data/pagination/list-query.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import { NoStore } from '../../http/no-store.decorator.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';
import { fabricValidationPipe } from '../../http/validation.js';
import { CreateScimTokenDto } from './dto/scim-token.dto.js';

const TOKEN_DOCS =
  'The raw token is in this answer only. An identity provider sends it as `Authorization: Bearer <token>` to `<public_base_url><prefix>/scim/v2`; it works there and nowhere else.';

/**
 * The platform's SCIM tokens (`scim:manage`), for a single-tenant app: with organizations on, a
 * token belongs to one organization (`/orgs/{org}/scim-tokens`) and these routes answer 404.
 */
@ApiTags('scim')
@ApiFabricAuth()
@Controller('scim-tokens')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
@RequirePermission('scim:manage')
export class PlatformScimTokensController {
  constructor(
    private readonly tokens: ScimTokensService,
    @Inject(OrganizationAccess) private readonly organizations: OrganizationAccess,
  ) {}

  private platformOnly(): void {
    if (this.organizations.available) throw fabricError('api_key_not_found', 'With organizations on, SCIM tokens belong to an organization: /orgs/{org}/scim-tokens');
  }

  @Post()
  @NoStore()
  @ApiOperation({ summary: 'Create a SCIM token for the platform (scim:manage)', description: TOKEN_DOCS })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  create(@Body() dto: CreateScimTokenDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<CreatedApiKeyDto> {
    this.platformOnly();
    return this.tokens.create(actor, null, dto, request);
  }

  @Get()
  @ApiOperation({ summary: "List the platform's SCIM tokens (scim:manage)" })
  @ApiOkResponse({ type: ApiKeyListDto })
  list(@Query() query: ListQueryDto): Promise<ApiKeyListDto> {
    this.platformOnly();
    return this.tokens.list(null, query);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke a SCIM token (scim:manage)', description: 'Refused on every instance from the next request.' })
  @ApiNoContentResponse()
  async revoke(@Param('id') id: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    this.platformOnly();
    await this.tokens.revoke(actor, await this.tokens.find(null, id), request);
  }
}

/** An organization's SCIM tokens: `org:manage` there (by default its owners), or a platform admin's `orgs:manage`. */
@ApiTags('scim')
@ApiFabricAuth()
@Controller('orgs')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class OrganizationScimTokensController {
  constructor(
    private readonly tokens: ScimTokensService,
    @Inject(OrganizationAccess) private readonly organizations: OrganizationAccess,
  ) {}

  @Post(':org/scim-tokens')
  @NoStore()
  @ApiOperation({ summary: 'Create a SCIM token for the organization (org:manage)', description: `${TOKEN_DOCS} It provisions this organization's members and groups only.` })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  async create(@Param('org') org: string, @Body() dto: CreateScimTokenDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<CreatedApiKeyDto> {
    const { id } = await this.organizations.managedOrganization(actor, org);
    return this.tokens.create(actor, id, dto, request);
  }

  @Get(':org/scim-tokens')
  @ApiOperation({ summary: "List the organization's SCIM tokens (org:manage)" })
  @ApiOkResponse({ type: ApiKeyListDto })
  async list(@Param('org') org: string, @Query() query: ListQueryDto, @CurrentPrincipal() actor: Principal): Promise<ApiKeyListDto> {
    const { id } = await this.organizations.managedOrganization(actor, org);
    return this.tokens.list(id, query);
  }

  @Delete(':org/scim-tokens/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: "Revoke one of the organization's SCIM tokens (org:manage)", description: 'Refused on every instance from the next request.' })
  @ApiNoContentResponse()
  async revoke(@Param('org') org: string, @Param('id') id: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    const { id: organizationId } = await this.organizations.managedOrganization(actor, org);
    await this.tokens.revoke(actor, await this.tokens.find(organizationId, id), request);
  }
}
