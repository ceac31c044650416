import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  UseGuards,
  UsePipes,
  UseInterceptors,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiFabricAuth } from '../common/api-docs.js';
import { FabricGuard } from '../authz/fabric.guard.js';
import { RequirePermission } from '../authz/require-permission.decorator.js';
import { ListQueryDto } from '../common/list-query.js';
import type { HttpRequestLike } from '../common/request-info.js';
import { NoStore } from '../common/no-store.decorator.js';
import { fabricValidationPipe } from '../common/validation.js';
import { CurrentPrincipal } from '../principal/current-principal.decorator.js';
import type { Principal } from '../principal/principal.js';
import { UserManagementService } from '../users/user-management.service.js';
import type { ApiKeyEntity } from './api-key.entity.js';
import { ApiKeysService, type KeyOwner } from './api-keys.service.js';
import { ApiKeyListDto, CreateApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto.js';
import { StorageErrorsInterceptor } from '../common/storage-errors.interceptor.js';

@ApiTags('api-keys')
@ApiFabricAuth()
@Controller('users')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class UserApiKeysController {
  constructor(
    private readonly apiKeys: ApiKeysService,
    private readonly userAccounts: UserManagementService,
  ) {}

  @Get(':username/api-keys')
  @ApiOperation({ summary: "List a user's API keys (api_keys:list, or the owner)", description: 'Prefix, name, scopes, expiry and last use of each key; never the key itself.' })
  @ApiOkResponse({ type: ApiKeyListDto })
  async list(@Param('username') username: string, @Query() query: ListQueryDto, @CurrentPrincipal() actor: Principal): Promise<ApiKeyListDto> {
    const owner = await this.userAccounts.target(username, actor, 'api_keys:list');
    return this.apiKeys.list({ kind: 'user', id: owner.id }, query);
  }

  @Post(':username/api-keys')
  @RequirePermission('api_keys:create')
  @ApiOperation({ summary: 'Create a scoped API key for a user (api_keys:create); the raw key is in this answer only', description: 'Scopes must be registered permissions held by the owner and by you. The key (`fab_…`) is shown once and stored only as a SHA-256 digest.' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @NoStore()
  async create(
    @Param('username') username: string,
    @Body() dto: CreateApiKeyDto,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<CreatedApiKeyDto> {
    const owner = await this.userAccounts.target(username);
    return this.apiKeys.create(actor, { kind: 'user', id: owner.id }, dto, 'api_keys:create', request);
  }

  @Post(':username/api-keys/:id/reroll')
  @HttpCode(HttpStatus.OK)
  @RequirePermission('api_keys:create')
  @ApiOperation({ summary: 'A new secret for the same key; the old one works for auth.api_key_reroll_grace seconds', description: 'Same id, name and scopes with a new secret, shown once; lets clients rotate without downtime.' })
  @ApiOkResponse({ type: CreatedApiKeyDto })
  @NoStore()
  async reroll(
    @Param('username') username: string,
    @Param('id') id: string,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<CreatedApiKeyDto> {
    const owner = await this.userAccounts.target(username);
    const key = await this.key({ kind: 'user', id: owner.id }, id);
    return this.apiKeys.reroll(actor, key, 'api_keys:create', request);
  }

  @Delete(':username/api-keys/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke an API key (api_keys:revoke, or the owner); effective on the next request', description: 'The key is refused on every instance from its next use.' })
  @ApiNoContentResponse()
  async revoke(
    @Param('username') username: string,
    @Param('id') id: string,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<void> {
    const owner = await this.userAccounts.target(username, actor, 'api_keys:revoke');
    const key = await this.key({ kind: 'user', id: owner.id }, id);
    await this.apiKeys.revoke(actor, key, request);
  }

  private async key(owner: KeyOwner, id: string): Promise<ApiKeyEntity> {
    const key = await this.apiKeys.findOwned(owner, id);
    if (!key) throw new NotFoundException('API key not found');
    return key;
  }
}
