import { applyDecorators, Body, Delete, Get, HttpCode, HttpStatus, Param, Post, Query, Req } from '@nestjs/common';
import type { ApiOperationOptions } from '@nestjs/swagger';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '../core/open-api.js';
import { RequirePermission } from '../access/guard/require-permission.decorator.js';
import { ListQueryDto } from '../data/pagination/list-query.js';
import { NoStore } from './no-store.decorator.js';
import type { HttpRequestLike } from '../core/request-info.js';
import { CurrentPrincipal } from '../access/principal/current-principal.decorator.js';
import type { Principal } from '../core/principal.js';
import type { ApiKeyEntity } from '../schema/entities/api-key.entity.js';
import { ApiKeysService, type KeyOwner } from '../access/api-keys/api-keys.service.js';
import { ApiKeyListDto, CreateApiKeyDto, CreatedApiKeyDto } from '../access/api-keys/dto/api-key.dto.js';
import { fabricError } from '../core/fabric-error.js';

export type ApiKeyRoute = 'list' | 'create' | 'reroll' | 'revoke';

/** What differs between the owner kinds: names in the path and the docs, and who may call. */
export interface ApiKeyRoutesSpec {
  /** Path parameters: the owner (`:<ownerParam>/api-keys`) and the key (`…/:<keyParam>`). */
  readonly ownerParam: string;
  readonly keyParam: string;
  /** Handler names; Swagger's operationIds (`<Controller>_<method>`) come from them, so generated clients keep theirs. */
  readonly methods: { readonly [route in ApiKeyRoute]: string };
  /** A permission the route requires before anything runs; absent: `keyOwner` decides (the owner acting on their own keys). */
  readonly requires: { readonly [route in ApiKeyRoute]?: string };
  /** The scope a key needs to create or reroll keys (`ApiKeysService.create`). */
  readonly mintScope: string;
  readonly docs: { readonly [route in ApiKeyRoute]: ApiOperationOptions };
}

/** Rerolling reads the same for every owner kind. */
export const API_KEY_REROLL_DOCS: ApiOperationOptions = {
  summary: 'A new secret for the same key; the old one works for auth.api_key_reroll_grace seconds',
  description: 'Same id, name and scopes with a new secret, shown once; lets clients rotate without downtime.',
};

/**
 * A controller for one owner kind extends `apiKeyRoutes(spec)` and says, in `keyOwner`, how
 * the path names an owner and whether the actor may reach it; the routes themselves (paths,
 * status codes, bodies, 404 for a key of another owner, audit through `ApiKeysService`) are
 * the same for users and service accounts.
 */
export abstract class OwnedApiKeyRoutes {
  constructor(protected readonly apiKeys: ApiKeysService) {}

  /** The owner the path names, once the actor may act on its keys for `route` (403/404 otherwise). */
  protected abstract keyOwner(ownerParam: string, actor: Principal, route: ApiKeyRoute): Promise<KeyOwner>;

  protected async ownedKey(ownerParam: string, keyId: string, actor: Principal, route: ApiKeyRoute): Promise<ApiKeyEntity> {
    const key = await this.apiKeys.findOwned(await this.keyOwner(ownerParam, actor, route), keyId);
    if (!key) throw fabricError('api_key_not_found', 'API key not found');
    return key;
  }
}

export function apiKeyRoutes(spec: ApiKeyRoutesSpec): typeof OwnedApiKeyRoutes {
  const { ownerParam, keyParam, methods, requires, docs } = spec;
  const requirement = (route: ApiKeyRoute) => (requires[route] ? RequirePermission(requires[route]) : applyDecorators());

  abstract class ApiKeyRoutes extends OwnedApiKeyRoutes {
    @Get(`:${ownerParam}/api-keys`)
    @requirement('list')
    @ApiOperation(docs.list)
    @ApiOkResponse({ type: ApiKeyListDto })
    async [methods.list](@Param(ownerParam) owner: string, @Query() query: ListQueryDto, @CurrentPrincipal() actor: Principal): Promise<ApiKeyListDto> {
      return this.apiKeys.list(await this.keyOwner(owner, actor, 'list'), query);
    }

    @Post(`:${ownerParam}/api-keys`)
    @requirement('create')
    @ApiOperation(docs.create)
    @ApiCreatedResponse({ type: CreatedApiKeyDto })
    @NoStore()
    async [methods.create](
      @Param(ownerParam) owner: string,
      @Body() dto: CreateApiKeyDto,
      @CurrentPrincipal() actor: Principal,
      @Req() request: HttpRequestLike,
    ): Promise<CreatedApiKeyDto> {
      return this.apiKeys.create(actor, await this.keyOwner(owner, actor, 'create'), dto, spec.mintScope, request);
    }

    @Post(`:${ownerParam}/api-keys/:${keyParam}/reroll`)
    @HttpCode(HttpStatus.OK)
    @requirement('reroll')
    @ApiOperation(docs.reroll)
    @ApiOkResponse({ type: CreatedApiKeyDto })
    @NoStore()
    async [methods.reroll](
      @Param(ownerParam) owner: string,
      @Param(keyParam) keyId: string,
      @CurrentPrincipal() actor: Principal,
      @Req() request: HttpRequestLike,
    ): Promise<CreatedApiKeyDto> {
      return this.apiKeys.reroll(actor, await this.ownedKey(owner, keyId, actor, 'reroll'), spec.mintScope, request);
    }

    @Delete(`:${ownerParam}/api-keys/:${keyParam}`)
    @HttpCode(HttpStatus.NO_CONTENT)
    @requirement('revoke')
    @ApiOperation(docs.revoke)
    @ApiNoContentResponse()
    async [methods.revoke](@Param(ownerParam) owner: string, @Param(keyParam) keyId: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
      await this.apiKeys.revoke(actor, await this.ownedKey(owner, keyId, actor, 'revoke'), request);
    }
  }
  return ApiKeyRoutes;
}
