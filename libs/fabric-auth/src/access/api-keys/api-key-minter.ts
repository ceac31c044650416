import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import { FabricClock } from '../../core/clock.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import { fabricError } from '../../core/fabric-error.js';
import type { Principal } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { type AuditRecord, AuditService } from '../../data/audit.service.js';
import { type FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { ApiKeyEntity } from '../../schema/entities/api-key.entity.js';
import { Revocations } from '../sessions/revocations.js';
import { generateApiKey } from './api-key-format.js';
import type { CreatedApiKeyDto } from './dto/api-key.dto.js';

const DAY_MS = 86_400_000;

/** Whom a key belongs to: a user, a service account, or (a SCIM token) an organization's identity provider (`null`: the platform's). */
export type MintedKeyOwner = { kind: 'user'; id: string } | { kind: 'service_account'; id: string } | { kind: 'scim'; organizationId: string | null };

export interface MintRequest {
  name: string;
  expires_in_days?: number;
  /** The permissions it is narrowed to (`null`: its owner's, as they change), and whether they are fixed. */
  scopes: string[] | null;
  scopesPinned: boolean;
  /** The audit event written with it (`api_key.create`, `scim_token.create`) and its details beside the prefix. */
  action: string;
  details?: Record<string, string | null>;
}

/** What a caller adds inside the key's transaction: a lock on its owner first, its own audit record (an organization's, say). */
export interface KeyWriteHooks {
  before?: (tx: FabricTransaction) => Promise<void>;
  record?: (key: ApiKeyEntity) => AuditRecord;
}

/**
 * Writes every kind of key the `api_keys` table holds — X-API-Key keys of users and service
 * accounts, SCIM tokens — one way: expiry within `api_key_max_days`, the secret generated and
 * only its hash stored, the row and its audit event in one transaction, the raw key in the answer
 * only; and revokes them one way (refused on every instance from the next request). Who may do
 * either is its callers' to decide.
 */
@Injectable()
export class ApiKeyMinter {
  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
    private readonly clock: FabricClock,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly revocations: Revocations,
    private readonly transactions: FabricTransactions,
    private readonly audit: AuditService,
  ) {}

  async mint(actor: Principal, owner: MintedKeyOwner, request: MintRequest, http?: HttpRequestLike, hooks: KeyWriteHooks = {}): Promise<CreatedApiKeyDto> {
    const days = request.expires_in_days ?? this.options.apiKeyDefaultDays;
    if (days > this.options.apiKeyMaxDays) throw fabricError('invalid_request', `expires_in_days must not exceed ${this.options.apiKeyMaxDays}`);
    const now = this.clock.now();
    const generated = generateApiKey();
    const organizationId = owner.kind === 'scim' ? owner.organizationId : null;
    const key = this.keys.create({
      name: request.name,
      prefix: generated.prefix,
      keyHash: generated.hash,
      previousKeyHash: null,
      previousKeyExpiresAt: null,
      userId: owner.kind === 'user' ? owner.id : null,
      serviceAccountId: owner.kind === 'service_account' ? owner.id : null,
      scim: owner.kind === 'scim',
      organizationId,
      scopes: request.scopes,
      scopesPinned: request.scopesPinned,
      expiresAt: new Date(now + days * DAY_MS),
      createdAt: new Date(now),
      lastUsedAt: null,
      useCount: 0,
      revokedAt: null,
    });
    await this.transactions.run(async (tx) => {
      await hooks.before?.(tx);
      await tx.manager.insert(ApiKeyEntity, key);
      await this.audit.recordIn(
        tx,
        hooks.record?.(key) ?? {
          action: request.action,
          outcome: 'success',
          actor,
          target: { type: 'api_key', id: key.id },
          request: http,
          organizationId,
          details: { ...request.details, prefix: key.prefix },
        },
      );
    });
    return createdKeyDto(key, generated.key);
  }

  /** Refused on every instance from the next request (the key cache hears the revocation). */
  async revoke(actor: Principal, key: ApiKeyEntity, action: string, http?: HttpRequestLike, hooks: Pick<KeyWriteHooks, 'record'> = {}): Promise<void> {
    await this.transactions.run(async (tx) => {
      await tx.manager.update(ApiKeyEntity, { id: key.id, revokedAt: IsNull() }, { revokedAt: new Date(this.clock.now()) });
      await this.revocations.revoke(tx, { type: 'api_key', apiKeyId: key.id });
      await this.audit.recordIn(
        tx,
        hooks.record?.(key) ?? { action, outcome: 'success', actor, target: { type: 'api_key', id: key.id }, request: http, organizationId: key.organizationId },
      );
    });
  }
}

/** The answer to a creation or reroll: the one time the raw key is shown. */
export function createdKeyDto(key: ApiKeyEntity, raw: string): CreatedApiKeyDto {
  return {
    id: key.id,
    name: key.name,
    key: raw,
    prefix: key.prefix,
    scopes: key.scopes,
    expires_at: key.expiresAt?.toISOString() ?? null,
    created_at: key.createdAt.toISOString(),
  };
}
