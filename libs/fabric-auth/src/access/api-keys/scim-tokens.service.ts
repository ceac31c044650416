import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import { FabricClock } from '../../core/clock.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import { fabricError } from '../../core/fabric-error.js';
import { isUuid } from '../../core/ids.js';
import type { Principal } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { AuditService } from '../../data/audit.service.js';
import { ListPager } from '../../data/pagination/list-pager.js';
import type { ListEnvelope, ListQueryDto } from '../../data/pagination/list-query.js';
import { FabricTransactions } from '../../data/transactions.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { ApiKeyEntity } from '../../schema/entities/api-key.entity.js';
import { Revocations } from '../sessions/revocations.js';
import { generateApiKey } from './api-key-format.js';
import { toApiKeyDto } from './api-keys.service.js';
import { ApiKeyUsage } from './api-key-usage.js';
import type { ApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto.js';

const DAY_MS = 86_400_000;

/**
 * SCIM tokens (SPEC §17) on the API-key machinery: the same table, format, hashing, expiry,
 * cache and revocation as `X-API-Key`, marked `scim` and bound to one organization (`null`: the
 * platform). The caller decides who may manage them; this service only keeps them.
 */
@Injectable()
export class ScimTokensService {
  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
    private readonly clock: FabricClock,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly revocations: Revocations,
    private readonly transactions: FabricTransactions,
    private readonly audit: AuditService,
    private readonly pager: ListPager,
    private readonly usage: ApiKeyUsage,
  ) {}

  async create(actor: Principal, organizationId: string | null, input: { name: string; expires_in_days?: number }, request?: HttpRequestLike): Promise<CreatedApiKeyDto> {
    // A key minting a provisioning credential would outlive whatever bounded the key.
    if (actor.authMethod === 'api_key') throw fabricError('permission_denied', 'SCIM tokens are created from a session, not with an API key');
    const days = input.expires_in_days ?? this.options.apiKeyDefaultDays;
    if (days > this.options.apiKeyMaxDays) throw fabricError('invalid_request', `expires_in_days must not exceed ${this.options.apiKeyMaxDays}`);
    const now = this.clock.now();
    const generated = generateApiKey();
    const key = this.keys.create({
      name: input.name,
      prefix: generated.prefix,
      keyHash: generated.hash,
      previousKeyHash: null,
      previousKeyExpiresAt: null,
      userId: null,
      serviceAccountId: null,
      scim: true,
      organizationId,
      scopes: null,
      scopesPinned: false,
      expiresAt: new Date(now + days * DAY_MS),
      createdAt: new Date(now),
      lastUsedAt: null,
      useCount: 0,
      revokedAt: null,
    });
    await this.transactions.run(async (tx) => {
      await tx.manager.insert(ApiKeyEntity, key);
      await this.audit.recordIn(tx, {
        action: 'scim_token.create',
        outcome: 'success',
        actor,
        target: { type: 'api_key', id: key.id },
        request,
        organizationId,
        details: { prefix: key.prefix },
      });
    });
    return {
      id: key.id,
      name: key.name,
      key: generated.key,
      prefix: key.prefix,
      scopes: null,
      expires_at: key.expiresAt!.toISOString(),
      created_at: key.createdAt.toISOString(),
    };
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
  async revoke(actor: Principal, key: ApiKeyEntity, request?: HttpRequestLike): Promise<void> {
    await this.transactions.run(async (tx) => {
      await tx.manager.update(ApiKeyEntity, { id: key.id, revokedAt: IsNull() }, { revokedAt: new Date(this.clock.now()) });
      await this.revocations.revoke(tx, { type: 'api_key', apiKeyId: key.id });
      await this.audit.recordIn(tx, {
        action: 'scim_token.revoke',
        outcome: 'success',
        actor,
        target: { type: 'api_key', id: key.id },
        request,
        organizationId: key.organizationId,
      });
    });
  }
}
