import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import { AuditService } from '../../data/audit.service.js';
import { requireHoldsAll } from '../permissions/access-rules.js';
import { AccountCeiling } from '../accounts/account-ceiling.service.js';
import { PermissionRegistry } from '../permissions/permission-registry.js';
import { FabricClock } from '../../core/clock.js';
import { BoundedCache } from '../../core/bounded-cache.js';
import { ListPager } from '../../data/pagination/list-pager.js';
import type { ListEnvelope, ListQueryDto } from '../../data/pagination/list-query.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { FabricTransactions } from '../../data/transactions.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { type ApiKeyGrantRecord, CredentialReads } from '../../data/credential-reads.js';
import type { Principal } from '../../core/principal.js';
import { RolesService } from '../accounts/roles.service.js';
import type { RevocationEvent } from '../../core/ports/revocation-bus.js';
import { Revocations } from '../sessions/revocations.js';
import { FabricAuthError } from '../../core/fabric-auth.error.js';
import { UserEntity } from '../../schema/entities/user.entity.js';
import { API_KEY_LENGTH, generateApiKey, hashApiKey, isWellFormedApiKey } from './api-key-format.js';
import { ApiKeyUsage } from './api-key-usage.js';
import { ApiKeyMinter, createdKeyDto } from './api-key-minter.js';
import { ApiKeyEntity } from '../../schema/entities/api-key.entity.js';
import type { ApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto.js';
import { isUuid } from '../../core/ids.js';
import { fabricError } from '../../core/fabric-error.js';
import { OrganizationAccess } from '../../core/ports/organization-access.js';

export type KeyOwner = { kind: 'user'; id: string } | { kind: 'service_account'; id: string };

interface CachedKey {
  readonly principal: Principal;
  readonly keyId: string;
  readonly ownerId: string;
}

/** Keys whose principal is kept in memory; the least recently used go first. */
export const MAX_CACHED_KEYS = 100_000;

export function toApiKeyDto(key: ApiKeyEntity): ApiKeyDto {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    expires_at: key.expiresAt?.toISOString() ?? null,
    created_at: key.createdAt.toISOString(),
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
    use_count: Number(key.useCount),
    revoked_at: key.revokedAt?.toISOString() ?? null,
  };
}

function ownerOf(key: ApiKeyEntity): KeyOwner {
  return key.userId ? { kind: 'user', id: key.userId } : { kind: 'service_account', id: key.serviceAccountId! };
}

function ownerWhere(owner: KeyOwner) {
  return owner.kind === 'user' ? { userId: owner.id } : { serviceAccountId: owner.id };
}

/**
 * API keys of users and service accounts: issuing (scopes within what the owner holds),
 * listing, revoking, rerolling, and authenticating `X-API-Key` with a cache that the
 * revocation bus empties on every change, so a revoked key or a deactivated owner fails
 * on the very next request without a database read per request.
 *
 * @publicApi
 */
@Injectable()
export class ApiKeysService implements OnModuleDestroy {
  /** Keyed by key hash (a rerolled key has two) or client token, indexed by key id and owner. */
  private readonly cache: BoundedCache<CachedKey, 'keyId' | 'ownerId'>;
  private readonly unsubscribe: () => void;

  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly roles: RolesService,
    private readonly registry: PermissionRegistry,
    private readonly usage: ApiKeyUsage,
    private readonly clock: FabricClock,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly revocations: Revocations,
    private readonly transactions: FabricTransactions,
    private readonly audit: AuditService,
    private readonly pager: ListPager,
    private readonly minter: ApiKeyMinter,
    private readonly reads: CredentialReads,
    private readonly ceiling: AccountCeiling,
    @Inject(OrganizationAccess) private readonly organizations: OrganizationAccess,
  ) {
    this.cache = new BoundedCache<CachedKey, 'keyId' | 'ownerId'>({
      max: MAX_CACHED_KEYS,
      ttl: options.principalCacheTtl * 1000,
      now: () => clock.now(),
      indexBy: { keyId: (entry) => entry.keyId, ownerId: (entry) => entry.ownerId },
    });
    this.unsubscribe = revocations.subscribe((event) => this.invalidate(event));
  }

  /** Cached keys, and the key ids and owners they index: all bounded by `MAX_CACHED_KEYS`. */
  get cachedCounts(): { keys: number; keyIds: number; owners: number } {
    const counts = this.cache.counts();
    return { keys: counts.entries, keyIds: counts.indexed.keyId, owners: counts.indexed.ownerId };
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  /**
   * Synchronous on a cache hit; a malformed key is refused before any database read. The shape
   * and checksum are checked on a miss only: a hit means the key hashes to one that passed them
   * when it was loaded, and a key of another length is refused before it is hashed.
   */
  authenticate(rawKey: string): Principal | Promise<Principal> {
    if (rawKey.length !== API_KEY_LENGTH) throw new FabricAuthError('malformed', 'API key shape or checksum');
    const hash = hashApiKey(rawKey);
    const now = this.clock.now();
    const cached = this.cache.get(hash, now);
    if (cached !== undefined && this.revocations.cachesTrusted()) {
      this.usage.record(cached.keyId, now);
      return cached.principal;
    }
    if (!isWellFormedApiKey(rawKey)) throw new FabricAuthError('malformed', 'API key shape or checksum');
    return this.load(hash);
  }

  /**
   * The principal behind a client-credentials token: the key's principal now (so a revoked
   * key, an expired one or a deactivated account fails at once, through the same cache and
   * invalidations as `X-API-Key`), narrowed to the token's scope.
   */
  forClientToken(apiKeyId: string, serviceAccountId: string, scope: string, organizationId: string | undefined, now = this.clock.now()): Principal | Promise<Principal> {
    const cacheKey = `token:${apiKeyId}`;
    const cached = this.cache.get(cacheKey, now);
    const narrow = (keyPrincipal: Principal): Principal => {
      if (keyPrincipal.kind !== 'service_account' || keyPrincipal.id !== serviceAccountId) throw new FabricAuthError('revoked', 'key of another owner');
      // The token names the organization its key acted in when minted; the key's account acts in no other.
      if (organizationId !== (keyPrincipal.org?.id ?? undefined)) throw new FabricAuthError('revoked', 'token of another organization');
      const granted = new Set(scope.split(' ').filter(Boolean));
      return { ...keyPrincipal, permissions: new Set([...keyPrincipal.permissions].filter((p) => granted.has(p))), authMethod: 'jwt' };
    };
    if (cached !== undefined && this.revocations.cachesTrusted()) return narrow(cached.principal);
    return this.loadById(apiKeyId, cacheKey).then(narrow);
  }

  private async loadById(apiKeyId: string, cacheKey: string): Promise<Principal> {
    const epoch = this.cache.currentEpoch;
    const mark = this.transactions.committedReadMark();
    const now = this.clock.now();
    // The token names the key by id; its grant is then read as for X-API-Key (current hash).
    const entity = await this.keys.findOne({ where: { id: apiKeyId }, select: { id: true, keyHash: true } });
    const key = entity ? await this.reads.apiKey(entity.keyHash, new Date(now)) : null;
    if (!key || key.revokedAt !== null || (key.expiresAt !== null && key.expiresAt.getTime() <= now)) {
      throw new FabricAuthError('revoked', 'API key unknown, revoked or expired');
    }
    const principal = await this.principalFor(key);
    const limits = [now + this.options.principalCacheTtl * 1000];
    if (key.expiresAt) limits.push(key.expiresAt.getTime());
    const ttl = Math.min(...limits) - now;
    if (ttl > 0 && this.transactions.readWasCommitted(mark)) this.cache.set(cacheKey, { principal, keyId: key.keyId, ownerId: principal.id }, epoch, ttl);
    return principal;
  }

  private async load(hash: string): Promise<Principal> {
    const epoch = this.cache.currentEpoch;
    const mark = this.transactions.committedReadMark();
    const now = this.clock.now();
    const nowDate = new Date(now);
    const key = await this.reads.apiKey(hash, nowDate);
    if (!key || key.revokedAt !== null || (key.expiresAt !== null && key.expiresAt.getTime() <= now)) {
      throw new FabricAuthError('revoked', 'API key unknown, revoked or expired');
    }
    const principal = await this.principalFor(key);
    const limits = [now + this.options.principalCacheTtl * 1000];
    if (key.expiresAt) limits.push(key.expiresAt.getTime());
    if (!key.current && key.previousKeyExpiresAt) limits.push(key.previousKeyExpiresAt.getTime());
    const ttl = Math.min(...limits) - now;
    if (ttl > 0 && this.transactions.readWasCommitted(mark)) this.cache.set(hash, { principal, keyId: key.keyId, ownerId: principal.id }, epoch, ttl);
    this.usage.record(key.keyId, now);
    return principal;
  }

  /**
   * Effective permissions: the key's scopes ∩ the owner's current permissions (none: the owner's).
   * An organization's account holds nothing globally: what it may do is its org roles there, read
   * through the `OrganizationAccess` port on this cold path only (the key cache keeps the result,
   * and org-role, membership and organization changes revoke it).
   */
  private async principalFor(key: ApiKeyGrantRecord): Promise<Principal> {
    const owner = key.owner;
    if (owner?.kind === 'scim') {
      // Holds no permission: FabricGuard admits it on the SCIM routes only, which check its realm.
      return {
        kind: 'scim_token',
        id: key.keyId,
        username: owner.name,
        email: null,
        isSystemAdmin: false,
        sessionId: null,
        apiKeyId: key.keyId,
        scopes: null,
        authMethod: 'api_key',
        roles: [],
        permissions: new Set<string>(),
        scim: Object.freeze({ organizationId: owner.organizationId }),
      };
    }
    if (!owner || !owner.isActive) throw new FabricAuthError('inactive');
    if (owner.kind === 'service_account' && owner.organizationId !== null) {
      const membership = await this.organizations.serviceAccountMembership(owner.id, owner.organizationId);
      return {
        kind: 'service_account',
        id: owner.id,
        username: owner.name,
        email: null,
        isSystemAdmin: false,
        sessionId: null,
        apiKeyId: key.keyId,
        scopes: null,
        authMethod: 'api_key',
        roles: [],
        permissions: new Set<string>(),
        org:
          membership === null
            ? null
            : Object.freeze({ id: membership.organizationId, slug: membership.slug, roles: Object.freeze([...membership.roles]), permissions: membership.permissions }),
      };
    }
    const scopes = key.scopes ? new Set(key.scopes) : null;
    const held = owner.kind === 'user' && owner.isSystemAdmin ? this.registry.allAsSet() : key.permissions;
    const base = {
      sessionId: null,
      apiKeyId: key.keyId,
      scopes: key.scopesPinned ? null : scopes,
      authMethod: 'api_key' as const,
      roles: key.roles,
      permissions: scopes ? new Set([...scopes].filter((p) => held.has(p))) : held,
    };
    if (owner.kind === 'user') {
      return { ...base, kind: 'user', id: owner.id, username: owner.username, email: owner.email, isSystemAdmin: owner.isSystemAdmin && scopes === null };
    }
    return { ...base, kind: 'service_account', id: owner.id, username: owner.name, email: null, isSystemAdmin: false };
  }

  /** What an owner holds now; the system admin holds every registered permission. */
  async permissionsOf(owner: KeyOwner, user?: UserEntity): Promise<{ roles: string[]; permissions: Set<string> }> {
    const grant = await this.roles.grantsOf(owner.kind === 'user' ? { userId: owner.id } : { serviceAccountId: owner.id });
    const isSystemAdmin = owner.kind === 'user' && (user ?? (await this.users.findOneBy({ id: owner.id })))?.isSystemAdmin === true;
    return { roles: grant.roles, permissions: isSystemAdmin ? new Set(this.registry.all()) : grant.permissions };
  }

  private invalidate(event: RevocationEvent): void {
    switch (event.type) {
      case 'session':
        return this.cache.invalidateLoads();
      case 'all':
        return this.cache.clear();
      case 'api_key':
        return this.cache.deleteIndexed('keyId', event.apiKeyId);
      case 'principal':
        return this.cache.deleteIndexed('ownerId', event.principalId);
    }
  }

  /**
   * Keys cannot mint keys unless one of their own scopes says so explicitly; scopes must be
   * registered, held by the owner, and within what the creator holds (the system admin aside).
   */
  async create(
    actor: Principal,
    owner: KeyOwner,
    input: { name: string; scopes?: string[]; expires_in_days?: number },
    mintScope: string,
    request?: HttpRequestLike,
  ): Promise<CreatedApiKeyDto> {
    this.requireMayMint(actor, mintScope);
    await this.ceiling.assertMayActOn(actor, owner);
    const held = await this.permissionsOf(owner);
    let scopes: string[] | null = null;
    if (input.scopes !== undefined) {
      scopes = [...new Set(input.scopes)].sort();
      const unknown = this.registry.unknown(scopes);
      if (unknown.length > 0) throw fabricError('invalid_request', `Unknown permissions: ${unknown.join(', ')}`);
      const missing = scopes.filter((s) => !held.permissions.has(s));
      if (missing.length > 0) throw fabricError('permission_denied', `The key's owner does not hold ${missing.join(', ')}`);
    }
    requireHoldsAll(actor, scopes ?? held.permissions, 'issue a key with these permissions');
    // A key made for someone else is pinned to what its owner holds now: it must not grow
    // with its owner beyond what its creator could grant.
    const byOwner = owner.kind === 'user' && actor.kind === 'user' && actor.id === owner.id;
    const scopesPinned = scopes === null && !byOwner;
    if (scopesPinned) scopes = [...held.permissions].sort();
    return this.minter.mint(actor, owner, { ...input, scopes, scopesPinned, action: 'api_key.create', details: { owner: owner.id, scopes: scopes?.join(',') ?? null } }, request);
  }

  /** A new secret under the same id, scopes and owner; the old one works for the grace period. */
  async reroll(actor: Principal, key: ApiKeyEntity, mintScope: string, request?: HttpRequestLike): Promise<CreatedApiKeyDto> {
    this.requireMayMint(actor, mintScope);
    const owner = ownerOf(key);
    await this.ceiling.assertMayActOn(actor, owner);
    requireHoldsAll(actor, key.scopes ?? (await this.permissionsOf(owner)).permissions, 'reroll a key with these permissions');
    const now = this.clock.now();
    if (key.revokedAt !== null || (key.expiresAt !== null && key.expiresAt.getTime() <= now)) {
      throw fabricError('api_key_inactive', 'A revoked or expired key cannot be rerolled');
    }
    const generated = generateApiKey();
    const grace = this.options.apiKeyRerollGrace;
    const changes = {
      keyHash: generated.hash,
      prefix: generated.prefix,
      previousKeyHash: grace > 0 ? key.keyHash : null,
      previousKeyExpiresAt: grace > 0 ? new Date(now + grace * 1000) : null,
    };
    await this.transactions.run(async (tx) => {
      // Compare-and-set on the hash: of two concurrent rerolls one wins, the other is a 409.
      const result = await tx.manager.update(ApiKeyEntity, { id: key.id, keyHash: key.keyHash, revokedAt: IsNull() }, changes);
      if (result.affected !== 1) throw fabricError('concurrent_change', 'The key changed meanwhile; list it again');
      await this.revocations.revoke(tx, { type: 'api_key', apiKeyId: key.id });
      await this.audit.recordIn(tx, { action: 'api_key.reroll', outcome: 'success', actor, target: { type: 'api_key', id: key.id }, request });
    });
    return createdKeyDto(Object.assign(key, changes), generated.key);
  }

  async revoke(actor: Principal, key: ApiKeyEntity, request?: HttpRequestLike): Promise<void> {
    await this.ceiling.assertMayActOn(actor, ownerOf(key));
    await this.minter.revoke(actor, key, 'api_key.revoke', request);
  }

  /** One page of an owner's keys, newest first, with this instance's uses not yet written counted in (no wait for a flush). */
  async list(owner: KeyOwner, query: ListQueryDto): Promise<ListEnvelope<ApiKeyDto>> {
    // Only what an entry shows: no key hash, owner id or rotation state read and parsed on every row.
    const base = this.keys
      .createQueryBuilder('k')
      .select(['k.id', 'k.name', 'k.prefix', 'k.scopes', 'k.expiresAt', 'k.createdAt', 'k.lastUsedAt', 'k.useCount', 'k.revokedAt'])
      .where(owner.kind === 'user' ? 'k.userId = :owner' : 'k.serviceAccountId = :owner', { owner: owner.id });
    return this.pager.page(
      base,
      // An owner may hold one key or 200,000: see ListRequest.pagedByParameters.
      { list: 'api_keys', sortName: '-created_at', sort: { property: 'createdAt', descending: true }, filters: { [owner.kind]: owner.id }, query, pagedByParameters: true },
      (rows) => rows.map((row) => toApiKeyDto(this.usage.withPending(row))),
    );
  }

  /** The owner's key of a path id; a malformed id is simply not found. */
  async findOwned(owner: KeyOwner, id: string): Promise<ApiKeyEntity | null> {
    if (!isUuid(id)) return null;
    return this.keys.findOneBy({ id, ...ownerWhere(owner) });
  }

  private requireMayMint(actor: Principal, mintScope: string): void {
    if (actor.authMethod === 'api_key' && !actor.scopes?.has(mintScope)) {
      throw fabricError('permission_denied', `An API key cannot create keys unless its scopes include ${mintScope}`);
    }
  }
}
