import { Controller, UseGuards, UsePipes, UseInterceptors } from '@nestjs/common';
import { ApiTags } from '../../core/open-api.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { fabricValidationPipe } from '../../http/validation.js';
import type { Principal } from '../../core/principal.js';
import { UserLookup } from '../../access/accounts/user-lookup.js';
import { ApiKeysService, type KeyOwner } from '../../access/api-keys/api-keys.service.js';
import { API_KEY_REROLL_DOCS, type ApiKeyRoute, apiKeyRoutes } from '../../http/owned-api-keys.routes.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';

/** Listing and revoking are the owner's own right too; creating and rerolling always need `api_keys:create`. */
const OWNER_MAY: { readonly [route in ApiKeyRoute]?: string } = { list: 'api_keys:list', revoke: 'api_keys:revoke' };

@ApiTags('api-keys')
@ApiFabricAuth()
@Controller('users')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class UserApiKeysController extends apiKeyRoutes({
  ownerParam: 'username',
  keyParam: 'id',
  methods: { list: 'list', create: 'create', reroll: 'reroll', revoke: 'revoke' },
  requires: { create: 'api_keys:create', reroll: 'api_keys:create' },
  mintScope: 'api_keys:create',
  docs: {
    list: { summary: "List a user's API keys (api_keys:list, or the owner)", description: 'Prefix, name, scopes, expiry and last use of each key; never the key itself.' },
    create: {
      summary: 'Create a scoped API key for a user (api_keys:create); the raw key is in this answer only',
      description: 'Scopes must be registered permissions held by the owner and by you. The key (`fab_…`) is shown once and stored only as a SHA-256 digest.',
    },
    reroll: API_KEY_REROLL_DOCS,
    revoke: { summary: 'Revoke an API key (api_keys:revoke, or the owner); effective on the next request', description: 'The key is refused on every instance from its next use.' },
  },
}) {
  constructor(
    apiKeys: ApiKeysService,
    private readonly userAccounts: UserLookup,
  ) {
    super(apiKeys);
  }

  protected async keyOwner(username: string, actor: Principal, route: ApiKeyRoute): Promise<KeyOwner> {
    const permission = OWNER_MAY[route];
    return { kind: 'user', id: await this.userAccounts.targetId(username, actor, permission) };
  }
}
