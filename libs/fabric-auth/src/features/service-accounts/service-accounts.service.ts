import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import { AuditService } from '../../data/audit.service.js';
import { requireHoldsAll } from '../../access/permissions/access-rules.js';
import { AccountCeiling } from '../../access/accounts/account-ceiling.service.js';
import { FabricClock } from '../../core/clock.js';
import { isUniqueViolation } from '../../data/db-errors.js';
import { ListPager } from '../../data/pagination/list-pager.js';
import type { ListEnvelope } from '../../data/pagination/list-query.js';
import { columnOf } from '../../data/pagination/list-request.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { FabricTransactions } from '../../data/transactions.js';
import type { Principal } from '../../core/principal.js';
import type { RoleEntity } from '../../schema/entities/role.entity.js';
import { changedRoles, roleRemovedMeanwhile, rolesNamedInRequest } from '../../access/accounts/role-changes.js';
import { RolesService } from '../../access/accounts/roles.service.js';
import { Revocations } from '../../access/sessions/revocations.js';
import type { CreateServiceAccountDto, ListServiceAccountsQueryDto, ServiceAccountDto, UpdateServiceAccountDto } from './dto/service-account.dto.js';
import { PrincipalNames } from '../../data/principal-names.js';
import { ServiceAccountEntity } from '../../schema/entities/service-account.entity.js';
import { isUuid } from '../../core/ids.js';
import { fabricError } from '../../core/fabric-error.js';

function toDto(account: ServiceAccountEntity, roles: string[]): ServiceAccountDto {
  return {
    id: account.id,
    name: account.name,
    description: account.description,
    is_active: account.isActive,
    roles,
    created_at: account.createdAt.toISOString(),
  };
}

/**
 * Machine principals: key-only, with roles bounded by what their creator holds.
 *
 * @publicApi
 */
@Injectable()
export class ServiceAccountsService {
  constructor(
    @InjectRepository(ServiceAccountEntity) private readonly accounts: Repository<ServiceAccountEntity>,
    private readonly roles: RolesService,
    private readonly audit: AuditService,
    private readonly clock: FabricClock,
    private readonly pager: ListPager,
    private readonly transactions: FabricTransactions,
    private readonly revocations: Revocations,
    private readonly ceiling: AccountCeiling,
    private readonly names: PrincipalNames,
  ) {}

  async list(query: ListServiceAccountsQueryDto): Promise<ListEnvelope<ServiceAccountDto>> {
    // An organization's own accounts are its business (`/orgs/{org}/service-accounts`): never listed nor reached here.
    const base = this.accounts.createQueryBuilder('a').where('a.organizationId IS NULL');
    if (query.is_active !== undefined) base.andWhere('a.isActive = :isActive', { isActive: query.is_active === 'true' });
    return this.pager.page(
      base,
      {
        list: 'service_accounts',
        sortName: 'created_at',
        sort: { property: 'createdAt', descending: false },
        filters: { is_active: query.is_active },
        query,
        attach: this.roles.roleNamesColumn('serviceAccount', columnOf(base, 'id')),
      },
      async (rows, attached) => {
        if (attached) return rows.map((a, n) => toDto(a, attached[n].sort()));
        const roles = await this.roles.roleNamesOfServiceAccounts(rows.map((a) => a.id));
        return rows.map((a) => toDto(a, roles.get(a.id) ?? []));
      },
    );
  }

  /** The platform account of a path id; malformed and unknown ids, and an organization's accounts, are all 404. */
  async find(id: string): Promise<ServiceAccountEntity> {
    const account = isUuid(id) ? await this.accounts.findOneBy({ id, organizationId: IsNull() }) : null;
    if (!account) throw fabricError('service_account_not_found', 'Service account not found');
    return account;
  }

  async view(account: ServiceAccountEntity): Promise<ServiceAccountDto> {
    return toDto(account, (await this.roles.roleNamesOfServiceAccounts([account.id])).get(account.id) ?? []);
  }

  async create(actor: Principal, dto: CreateServiceAccountDto, request?: HttpRequestLike): Promise<ServiceAccountDto> {
    const roles = await rolesNamedInRequest(this.roles, dto.roles ?? []);
    requireHoldsAll(
      actor,
      roles.flatMap((r) => r.permissions),
      'grant these roles',
    );
    const now = new Date(this.clock.now());
    const account = this.accounts.create({ name: dto.name, description: dto.description ?? null, isActive: true, createdAt: now, updatedAt: now });
    try {
      await this.transactions.run(async (tx) => {
        await this.names.claim(tx, account.name);
        await tx.manager.insert(ServiceAccountEntity, account);
        if (roles.length > 0)
          await this.roles.assign(
            { serviceAccountId: account.id },
            roles.map((r) => r.name),
            tx,
          );
        await this.audit.recordIn(tx, {
          action: 'service_account.create',
          outcome: 'success',
          actor,
          target: { type: 'service_account', id: account.id },
          request,
          details: { name: account.name, roles: roles.map((r) => r.name).join(',') },
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw fabricError('already_exists', 'Service account name already exists');
      throw roleRemovedMeanwhile(error) ?? error;
    }
    return toDto(account, roles.map((r) => r.name).sort());
  }

  async update(actor: Principal, id: string, dto: UpdateServiceAccountDto, request?: HttpRequestLike): Promise<ServiceAccountDto> {
    const account = await this.find(id);
    await this.ceiling.assertMayActOn(actor, { kind: 'service_account', id: account.id });
    const changes: Partial<ServiceAccountEntity> = {};
    if (dto.name !== undefined && dto.name !== account.name) changes.name = dto.name;
    if (dto.description !== undefined) changes.description = dto.description;
    let newRoles: RoleEntity[] | undefined;
    if (dto.roles !== undefined) {
      newRoles = await rolesNamedInRequest(this.roles, dto.roles, { change: true });
      const current = await this.roles.heldBy({ serviceAccountId: account.id });
      const changed = changedRoles(newRoles, current);
      requireHoldsAll(
        actor,
        changed.flatMap((r) => r.permissions),
        'change these roles',
      );
    }
    try {
      await this.transactions.run(async (tx) => {
        if (Object.keys(changes).length > 0) {
          if (changes.name !== undefined) await this.names.claim(tx, changes.name, { kind: 'service_account', id: account.id });
          await tx.manager.update(ServiceAccountEntity, { id: account.id }, { ...changes, updatedAt: new Date(this.clock.now()) });
          await this.revocations.revoke(tx, { type: 'principal', principalId: account.id });
        }
        if (newRoles)
          await this.roles.assign(
            { serviceAccountId: account.id },
            newRoles.map((r) => r.name),
            tx,
          );
        await this.audit.recordIn(tx, {
          action: 'service_account.modify',
          outcome: 'success',
          actor,
          target: { type: 'service_account', id: account.id },
          request,
          details: { fields: [...Object.keys(changes), ...(newRoles ? ['roles'] : [])].join(',') },
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw fabricError('already_exists', 'Service account name already exists');
      throw roleRemovedMeanwhile(error) ?? error;
    }
    return this.view(await this.find(account.id));
  }

  /** Deactivation blocks every key of the account on the next request, on every instance. */
  async setActive(actor: Principal, id: string, active: boolean, request?: HttpRequestLike): Promise<ServiceAccountDto> {
    const account = await this.find(id);
    await this.ceiling.assertMayActOn(actor, { kind: 'service_account', id: account.id });
    await this.transactions.run(async (tx) => {
      await tx.manager.update(ServiceAccountEntity, { id: account.id }, { isActive: active, updatedAt: new Date(this.clock.now()) });
      await this.revocations.revoke(tx, { type: 'principal', principalId: account.id });
      await this.audit.recordIn(tx, {
        action: active ? 'service_account.reactivate' : 'service_account.deactivate',
        outcome: 'success',
        actor,
        target: { type: 'service_account', id: account.id },
        request,
      });
    });
    return this.view(await this.find(account.id));
  }
}
