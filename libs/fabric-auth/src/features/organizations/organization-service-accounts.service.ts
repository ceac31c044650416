import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ApiKeyMinter } from '../../access/api-keys/api-key-minter.js';
import { ApiKeysService } from '../../access/api-keys/api-keys.service.js';
import type { ApiKeyListDto, CreateApiKeyDto, CreatedApiKeyDto } from '../../access/api-keys/dto/api-key.dto.js';
import { Revocations } from '../../access/sessions/revocations.js';
import { FabricClock } from '../../core/clock.js';
import { fabricError } from '../../core/fabric-error.js';
import { isUuid } from '../../core/ids.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { AuditService } from '../../data/audit.service.js';
import { ListPager } from '../../data/pagination/list-pager.js';
import type { ListQueryDto } from '../../data/pagination/list-query.js';
import { PrincipalNames } from '../../data/principal-names.js';
import { FabricTransactions } from '../../data/transactions.js';
import { MEMBER_ROLE, OWNER_ROLE } from '../../options/organizations.options.js';
import { OrganizationEntity } from '../../schema/entities/organization.entity.js';
import { ServiceAccountEntity } from '../../schema/entities/service-account.entity.js';
import type { CreateOrgServiceAccountDto, OrgServiceAccountDto, OrgServiceAccountListDto } from './dto/org-service-account.dto.js';
import { orgAudit } from './organization-audit.js';
import type { OrgStanding } from './organization-standings.js';
import { OrganizationStandings } from './organization-standings.js';

/**
 * Service accounts share one namespace with users (SEC-84); an organization's are stored under
 * its id (`<org id>/<name>`), so each organization names its own freely and a name taken in
 * another organization tells nothing about it.
 */
const storedName = (organizationId: string, name: string) => `${organizationId}/${name}`;

function toDto(account: ServiceAccountEntity): OrgServiceAccountDto {
  return {
    id: account.id,
    name: account.name.slice(account.name.indexOf('/') + 1),
    description: account.description,
    roles: account.orgRoles ?? [],
    created_at: account.createdAt.toISOString(),
  };
}

/**
 * An organization's own service accounts and their API keys (SPEC §15 "org-owned
 * credentials"). Such an account holds nothing globally: its key's principal always carries
 * its organization, with the org roles the account holds there (resolved by the core's
 * `OrganizationAccess` port), so it can act on `@OrgScoped()` routes of that organization and
 * nowhere else, and cannot switch (`grant_type=organization` takes user sessions only). The
 * accounts go with their organization (the foreign key cascades; the deletion revokes every
 * cached principal).
 */
@Injectable()
export class OrganizationServiceAccountsService {
  constructor(
    @InjectRepository(ServiceAccountEntity) private readonly accounts: Repository<ServiceAccountEntity>,
    private readonly standings: OrganizationStandings,
    private readonly apiKeys: ApiKeysService,
    private readonly minter: ApiKeyMinter,
    private readonly names: PrincipalNames,
    private readonly audit: AuditService,
    private readonly transactions: FabricTransactions,
    private readonly revocations: Revocations,
    private readonly pager: ListPager,
    private readonly clock: FabricClock,
  ) {}

  list(standing: OrgStanding, query: ListQueryDto): Promise<OrgServiceAccountListDto> {
    const organizationId = standing.organization.id;
    const base = this.accounts.createQueryBuilder('a').where('a.organizationId = :organizationId', { organizationId });
    return this.pager.page(
      base,
      {
        list: 'org_service_accounts',
        sortName: 'created_at',
        sort: { property: 'createdAt', descending: false },
        filters: { organization: organizationId },
        query,
        pagedByParameters: true,
      },
      (rows) => rows.map(toDto),
    );
  }

  async get(standing: OrgStanding, id: string): Promise<OrgServiceAccountDto> {
    return toDto(await this.find(standing, id));
  }

  /** Its org roles within the creator's ceiling there; `owner` stays with people. */
  async create(standing: OrgStanding, dto: CreateOrgServiceAccountDto, request?: HttpRequestLike): Promise<OrgServiceAccountDto> {
    const organizationId = standing.organization.id;
    const named = dto.roles ?? [MEMBER_ROLE];
    if (named.includes(OWNER_ROLE)) throw fabricError('invalid_request', 'A service account cannot hold the owner role: owners are people');
    const roles = await this.standings.existingRoles(organizationId, named);
    this.standings.assertMayGrant(standing, roles, 'grant these roles');
    const now = new Date(this.clock.now());
    const account: ServiceAccountEntity = {
      id: randomUUID(),
      name: storedName(organizationId, dto.name),
      description: dto.description ?? null,
      isActive: true,
      organizationId,
      orgRoles: roles.map((r) => r.name).sort(),
      createdAt: now,
      updatedAt: now,
    };
    await this.transactions.run(async (tx) => {
      // A concurrent deletion of the organization wins: nothing is left behind it.
      if (!(await this.transactions.lock(tx, OrganizationEntity, organizationId))) throw fabricError('organization_not_found', 'Organization not found');
      // The organization's own role may be deleted meanwhile; the check above is repeated in the transaction.
      await this.standings.existingRoles(organizationId, named, tx);
      await this.names.claim(tx, account.name);
      await tx.manager.insert(ServiceAccountEntity, account);
      await this.audit.recordIn(
        tx,
        orgAudit(standing, 'organization.service_account.create', { type: 'service_account', id: account.id }, request, {
          name: dto.name,
          roles: account.orgRoles!.join(','),
        }),
      );
    });
    return toDto(account);
  }

  /** Its keys go with it; every instance refuses them on their next request. */
  async remove(standing: OrgStanding, id: string, request?: HttpRequestLike): Promise<void> {
    const account = await this.find(standing, id);
    await this.transactions.run(async (tx) => {
      const deleted = await tx.manager.delete(ServiceAccountEntity, { id: account.id, organizationId: standing.organization.id });
      if (!deleted.affected) throw fabricError('service_account_not_found', 'Service account not found');
      await this.revocations.revoke(tx, { type: 'principal', principalId: account.id });
      await this.audit.recordIn(tx, orgAudit(standing, 'organization.service_account.delete', { type: 'service_account', id: account.id }, request, { name: toDto(account).name }));
    });
  }

  /**
   * A key acts with the account's org roles in its organization, nothing more: no scopes of its
   * own (the roles already bound it; a narrower key is a narrower account).
   */
  async createKey(standing: OrgStanding, id: string, dto: CreateApiKeyDto, request?: HttpRequestLike): Promise<CreatedApiKeyDto> {
    const account = await this.find(standing, id);
    if (dto.scopes !== undefined) throw fabricError('invalid_request', "An organization's service account key takes no scopes: it acts with the account's org roles");
    return this.minter.mint(
      standing.actor,
      { kind: 'service_account', id: account.id },
      { name: dto.name, expires_in_days: dto.expires_in_days, scopes: null, scopesPinned: false, action: 'organization.api_key.create' },
      request,
      {
        // Under the account's row lock: a key is never written for an account being deleted.
        before: async (tx) => {
          if (!(await this.transactions.lock(tx, ServiceAccountEntity, account.id))) throw fabricError('service_account_not_found', 'Service account not found');
        },
        record: (key) => orgAudit(standing, 'organization.api_key.create', { type: 'api_key', id: key.id }, request, { owner: account.id, prefix: key.prefix }),
      },
    );
  }

  async listKeys(standing: OrgStanding, id: string, query: ListQueryDto): Promise<ApiKeyListDto> {
    const account = await this.find(standing, id);
    return this.apiKeys.list({ kind: 'service_account', id: account.id }, query);
  }

  async revokeKey(standing: OrgStanding, id: string, keyId: string, request?: HttpRequestLike): Promise<void> {
    const account = await this.find(standing, id);
    const key = await this.apiKeys.findOwned({ kind: 'service_account', id: account.id }, keyId);
    if (!key) throw fabricError('api_key_not_found', 'API key not found');
    await this.minter.revoke(standing.actor, key, 'organization.api_key.revoke', request, {
      record: () => orgAudit(standing, 'organization.api_key.revoke', { type: 'api_key', id: key.id }, request, { owner: account.id }),
    });
  }

  /** The organization's account of a path id: another organization's, a platform one, a malformed id are all 404. */
  private async find(standing: OrgStanding, id: string): Promise<ServiceAccountEntity> {
    const account = isUuid(id) ? await this.accounts.findOneBy({ id, organizationId: standing.organization.id }) : null;
    if (!account) throw fabricError('service_account_not_found', 'Service account not found');
    return account;
  }
}
