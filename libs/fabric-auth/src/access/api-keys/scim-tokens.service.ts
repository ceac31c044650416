import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import { fabricError } from '../../core/fabric-error.js';
import { isUuid } from '../../core/ids.js';
import type { Principal } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { ListPager } from '../../data/pagination/list-pager.js';
import type { ListEnvelope, ListQueryDto } from '../../data/pagination/list-query.js';
import { ApiKeyEntity } from '../../schema/entities/api-key.entity.js';
import { ApiKeyMinter } from './api-key-minter.js';
import { toApiKeyDto } from './api-keys.service.js';
import { ApiKeyUsage } from './api-key-usage.js';
import type { ApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto.js';

/**
 * SCIM tokens (SPEC §17) on the API-key machinery: the same table, format, hashing, expiry,
 * cache and revocation as `X-API-Key`, marked `scim` and bound to one organization (`null`: the
 * platform). The caller decides who may manage them; this service only keeps them.
 */
@Injectable()
export class ScimTokensService {
  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
    private readonly minter: ApiKeyMinter,
    private readonly pager: ListPager,
    private readonly usage: ApiKeyUsage,
  ) {}

  create(actor: Principal, organizationId: string | null, input: { name: string; expires_in_days?: number }, request?: HttpRequestLike): Promise<CreatedApiKeyDto> {
    // A key minting a provisioning credential would outlive whatever bounded the key.
    if (actor.authMethod === 'api_key') throw fabricError('permission_denied', 'SCIM tokens are created from a session, not with an API key');
    return this.minter.mint(actor, { kind: 'scim', organizationId }, { ...input, scopes: null, scopesPinned: false, action: 'scim_token.create' }, request);
  }

  /** The realm's tokens, newest first (revoked ones too, marked). */
  list(organizationId: string | null, query: ListQueryDto): Promise<ListEnvelope<ApiKeyDto>> {
    const base = this.keys.createQueryBuilder('k').where('k.scim = :scim', { scim: true });
    if (organizationId === null) base.andWhere('k.organizationId IS NULL');
    else base.andWhere('k.organizationId = :organizationId', { organizationId });
    return this.pager.page(
      base,
      { list: 'scim_tokens', sortName: '-created_at', sort: { property: 'createdAt', descending: true }, filters: { organization: organizationId ?? 'platform' }, query },
      (rows) => rows.map((row) => toApiKeyDto(this.usage.withPending(row))),
    );
  }

  /** One of the realm's tokens; a malformed id, another realm's token or an ordinary key is simply not found. */
  async find(organizationId: string | null, id: string): Promise<ApiKeyEntity> {
    const key = isUuid(id) ? await this.keys.findOneBy({ id, scim: true, organizationId: organizationId ?? IsNull() }) : null;
    if (!key) throw fabricError('api_key_not_found', 'SCIM token not found');
    return key;
  }

  /** Refused on every instance from the next request (the key cache hears the revocation). */
  revoke(actor: Principal, key: ApiKeyEntity, request?: HttpRequestLike): Promise<void> {
    return this.minter.revoke(actor, key, 'scim_token.revoke', request);
  }
}
