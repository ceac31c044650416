import { Body, Controller, Get, HttpCode, HttpStatus, Param, Patch, Post, Query, Req, UseGuards, UsePipes, UseInterceptors } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '../../core/open-api.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import { ApiKeysService, type KeyOwner } from '../../access/api-keys/api-keys.service.js';
import { API_KEY_REROLL_DOCS, apiKeyRoutes } from '../../http/owned-api-keys.routes.js';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { RequirePermission } from '../../access/guard/require-permission.decorator.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { fabricValidationPipe } from '../../http/validation.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import type { Principal } from '../../core/principal.js';
import { CreateServiceAccountDto, ListServiceAccountsQueryDto, ServiceAccountDto, ServiceAccountListDto, UpdateServiceAccountDto } from './dto/service-account.dto.js';
import { ServiceAccountsService } from './service-accounts.service.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';

@ApiTags('service-accounts')
@ApiFabricAuth()
@Controller('service-accounts')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class ServiceAccountsController extends apiKeyRoutes({
  ownerParam: 'id',
  keyParam: 'keyId',
  methods: { list: 'listKeys', create: 'createKey', reroll: 'rerollKey', revoke: 'revokeKey' },
  requires: { list: 'service_accounts:read', create: 'service_accounts:create', reroll: 'service_accounts:create', revoke: 'service_accounts:modify' },
  mintScope: 'service_accounts:create',
  docs: {
    list: { summary: "List a service account's keys (service_accounts:read)", description: 'Prefix, name, scopes, expiry and last use of each key; never the key itself.' },
    create: {
      summary: 'Issue a key for a service account (service_accounts:create); the raw key is in this answer only',
      description: 'The key (`fab_…`) is shown once and stored only as a SHA-256 digest; scopes must be held by the account and by you.',
    },
    reroll: API_KEY_REROLL_DOCS,
    revoke: { summary: 'Revoke a key of a service account (service_accounts:modify)', description: 'The key is refused on every instance from its next use.' },
  },
}) {
  constructor(
    private readonly accounts: ServiceAccountsService,
    apiKeys: ApiKeysService,
  ) {
    super(apiKeys);
  }

  @Get()
  @RequirePermission('service_accounts:read')
  @ApiOperation({ summary: 'List service accounts (service_accounts:read)', description: 'One page of service accounts (non-human principals that authenticate with API keys).' })
  @ApiOkResponse({ type: ServiceAccountListDto })
  async list(@Query() query: ListServiceAccountsQueryDto): Promise<ServiceAccountListDto> {
    return this.accounts.list(query);
  }

  @Post()
  @RequirePermission('service_accounts:create')
  @ApiOperation({
    summary: 'Create a service account (service_accounts:create)',
    description: 'Roles are checked against the grant ceiling: only roles whose permissions you hold.',
  })
  @ApiCreatedResponse({ type: ServiceAccountDto })
  create(@Body() dto: CreateServiceAccountDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<ServiceAccountDto> {
    return this.accounts.create(actor, dto, request);
  }

  @Get(':id')
  @RequirePermission('service_accounts:read')
  @ApiOperation({ summary: 'Read a service account (service_accounts:read)', description: 'The account, its roles and whether it is active.' })
  @ApiOkResponse({ type: ServiceAccountDto })
  async get(@Param('id') id: string): Promise<ServiceAccountDto> {
    return this.accounts.view(await this.accounts.find(id));
  }

  @Patch(':id')
  @RequirePermission('service_accounts:modify')
  @ApiOperation({ summary: 'Update a service account, its roles included (service_accounts:modify)', description: 'Role changes take effect on the next request of its keys.' })
  @ApiOkResponse({ type: ServiceAccountDto })
  update(@Param('id') id: string, @Body() dto: UpdateServiceAccountDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<ServiceAccountDto> {
    return this.accounts.update(actor, id, dto, request);
  }

  @Post(':id/deactivate')
  @HttpCode(HttpStatus.OK)
  @RequirePermission('service_accounts:modify')
  @ApiOperation({
    summary: 'Deactivate: every key of the account fails from the next request (service_accounts:modify)',
    description: 'The account and its keys stay on record and can be reactivated.',
  })
  @ApiOkResponse({ type: ServiceAccountDto })
  deactivate(@Param('id') id: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<ServiceAccountDto> {
    return this.accounts.setActive(actor, id, false, request);
  }

  @Post(':id/reactivate')
  @HttpCode(HttpStatus.OK)
  @RequirePermission('service_accounts:modify')
  @ApiOperation({ summary: 'Reactivate (service_accounts:modify)', description: 'Its keys that are not revoked or expired work again.' })
  @ApiOkResponse({ type: ServiceAccountDto })
  reactivate(@Param('id') id: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<ServiceAccountDto> {
    return this.accounts.setActive(actor, id, true, request);
  }

  protected async keyOwner(id: string): Promise<KeyOwner> {
    const account = await this.accounts.find(id);
    return { kind: 'service_account', id: account.id };
  }
}
