import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Patch,
  Post,
  Query,
  Req,
  UseGuards,
  UsePipes,
  UseInterceptors,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiFabricAuth } from '../common/api-docs.js';
import { ApiKeysService } from '../api-keys/api-keys.service.js';
import type { ApiKeyEntity } from '../api-keys/api-key.entity.js';
import { ApiKeyListDto, CreateApiKeyDto, CreatedApiKeyDto } from '../api-keys/dto/api-key.dto.js';
import { FabricGuard } from '../authz/fabric.guard.js';
import { RequirePermission } from '../authz/require-permission.decorator.js';
import { ListQueryDto } from '../common/list-query.js';
import type { HttpRequestLike } from '../common/request-info.js';
import { NoStore } from '../common/no-store.decorator.js';
import { fabricValidationPipe } from '../common/validation.js';
import { CurrentPrincipal } from '../principal/current-principal.decorator.js';
import type { Principal } from '../principal/principal.js';
import {
  CreateServiceAccountDto,
  ListServiceAccountsQueryDto,
  ServiceAccountDto,
  ServiceAccountListDto,
  UpdateServiceAccountDto,
} from './dto/service-account.dto.js';
import { ServiceAccountsService } from './service-accounts.service.js';
import { StorageErrorsInterceptor } from '../common/storage-errors.interceptor.js';

@ApiTags('service-accounts')
@ApiFabricAuth()
@Controller('service-accounts')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class ServiceAccountsController {
  constructor(
    private readonly accounts: ServiceAccountsService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  @Get()
  @RequirePermission('service_accounts:read')
  @ApiOperation({ summary: 'List service accounts (service_accounts:read)', description: 'One page of service accounts (non-human principals that authenticate with API keys).' })
  @ApiOkResponse({ type: ServiceAccountListDto })
  async list(@Query() query: ListServiceAccountsQueryDto): Promise<ServiceAccountListDto> {
    return this.accounts.list(query);
  }

  @Post()
  @RequirePermission('service_accounts:create')
  @ApiOperation({ summary: 'Create a service account (service_accounts:create)', description: 'Roles are checked against the grant ceiling: only roles whose permissions you hold.' })
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
  update(
    @Param('id') id: string,
    @Body() dto: UpdateServiceAccountDto,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<ServiceAccountDto> {
    return this.accounts.update(actor, id, dto, request);
  }

  @Post(':id/deactivate')
  @HttpCode(HttpStatus.OK)
  @RequirePermission('service_accounts:modify')
  @ApiOperation({ summary: 'Deactivate: every key of the account fails from the next request (service_accounts:modify)', description: 'The account and its keys stay on record and can be reactivated.' })
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

  @Get(':id/api-keys')
  @RequirePermission('service_accounts:read')
  @ApiOperation({ summary: "List a service account's keys (service_accounts:read)", description: 'Prefix, name, scopes, expiry and last use of each key; never the key itself.' })
  @ApiOkResponse({ type: ApiKeyListDto })
  async listKeys(@Param('id') id: string, @Query() query: ListQueryDto): Promise<ApiKeyListDto> {
    const account = await this.accounts.find(id);
    return this.apiKeys.list({ kind: 'service_account', id: account.id }, query);
  }

  @Post(':id/api-keys')
  @RequirePermission('service_accounts:create')
  @ApiOperation({ summary: 'Issue a key for a service account (service_accounts:create); the raw key is in this answer only', description: 'The key (`fab_…`) is shown once and stored only as a SHA-256 digest; scopes must be held by the account and by you.' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @NoStore()
  async createKey(
    @Param('id') id: string,
    @Body() dto: CreateApiKeyDto,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<CreatedApiKeyDto> {
    const account = await this.accounts.find(id);
    return this.apiKeys.create(actor, { kind: 'service_account', id: account.id }, dto, 'service_accounts:create', request);
  }

  @Post(':id/api-keys/:keyId/reroll')
  @HttpCode(HttpStatus.OK)
  @RequirePermission('service_accounts:create')
  @ApiOperation({ summary: 'A new secret for the same key; the old one works for auth.api_key_reroll_grace seconds', description: 'Same id, name and scopes with a new secret, shown once; lets clients rotate without downtime.' })
  @ApiOkResponse({ type: CreatedApiKeyDto })
  @NoStore()
  async rerollKey(
    @Param('id') id: string,
    @Param('keyId') keyId: string,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<CreatedApiKeyDto> {
    const key = await this.key(id, keyId);
    return this.apiKeys.reroll(actor, key, 'service_accounts:create', request);
  }

  @Delete(':id/api-keys/:keyId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequirePermission('service_accounts:modify')
  @ApiOperation({ summary: 'Revoke a key of a service account (service_accounts:modify)', description: 'The key is refused on every instance from its next use.' })
  @ApiNoContentResponse()
  async revokeKey(
    @Param('id') id: string,
    @Param('keyId') keyId: string,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<void> {
    await this.apiKeys.revoke(actor, await this.key(id, keyId), request);
  }

  private async key(accountId: string, keyId: string): Promise<ApiKeyEntity> {
    const account = await this.accounts.find(accountId);
    const key = await this.apiKeys.findOwned({ kind: 'service_account', id: account.id }, keyId);
    if (!key) throw new NotFoundException('API key not found');
    return key;
  }
}
