import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Revocations } from '../../access/sessions/revocations.js';
import { FabricClock } from '../../core/clock.js';
import { fabricError } from '../../core/fabric-error.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { AuditService } from '../../data/audit.service.js';
import { isUniqueViolation } from '../../data/db-errors.js';
import { FabricTransactions } from '../../data/transactions.js';
import { OrganizationMemberRoleEntity } from '../../schema/entities/organization-member-role.entity.js';
import { OrganizationRoleEntity } from '../../schema/entities/organization-role.entity.js';
import { ServiceAccountEntity } from '../../schema/entities/service-account.entity.js';
import { OrganizationEntity } from '../../schema/entities/organization.entity.js';
import type { CreateOrgRoleDto, OrgRoleDto, UpdateOrgRoleDto } from './dto/org-role.dto.js';
import { OrganizationStandings, type OrgRole, type OrgStanding } from './organization-standings.js';
import { orgAudit } from './organization-audit.js';

/** An organization's own roles at most: the whole list is one answer, and every member's permissions are read from it. */
export const MAX_ORGANIZATION_ROLES = 100;

function toDto(role: OrgRole): OrgRoleDto {
  return { name: role.name, description: role.description, permissions: role.permissions, from_template: role.fromTemplate };
}

/**
 * The roles an organization defines for itself, beside the configured template (which is
 * read-only here). Each holds `org:*` permissions and the app's own, within what the caller
 * holds there.
 */
@Injectable()
export class OrganizationRolesService {
  constructor(
    @InjectRepository(OrganizationRoleEntity) private readonly roles: Repository<OrganizationRoleEntity>,
    private readonly standings: OrganizationStandings,
    private readonly audit: AuditService,
    private readonly transactions: FabricTransactions,
    private readonly clock: FabricClock,
    private readonly revocations: Revocations,
  ) {}

  /** The template roles, then the organization's own by name: at most 100 of those, so one answer. */
  async list(standing: OrgStanding): Promise<{ items: OrgRoleDto[] }> {
    const own = await this.roles.find({ where: { organizationId: standing.organization.id }, order: { name: 'ASC' } });
    return {
      items: [...this.standings.templateRoles(), ...own.map((r) => ({ name: r.name, description: r.description, permissions: r.permissions, fromTemplate: false }))].map(toDto),
    };
  }

  async get(standing: OrgStanding, name: string): Promise<OrgRoleDto> {
    return toDto(await this.find(standing, name));
  }

  async create(standing: OrgStanding, dto: CreateOrgRoleDto, request?: HttpRequestLike): Promise<OrgRoleDto> {
    const organizationId = standing.organization.id;
    if (this.standings.isTemplateRole(dto.name)) throw fabricError('already_exists', 'A template role has this name');
    const permissions = this.checkedPermissions(standing, dto.permissions, 'grant these permissions');
    const now = new Date(this.clock.now());
    const role: OrganizationRoleEntity = { id: randomUUID(), organizationId, name: dto.name, description: dto.description ?? null, permissions, createdAt: now, updatedAt: now };
    try {
      await this.transactions.run(async (tx) => {
        if (!(await this.transactions.lock(tx, OrganizationEntity, organizationId))) throw fabricError('organization_not_found', 'Organization not found');
        if ((await tx.manager.countBy(OrganizationRoleEntity, { organizationId })) >= MAX_ORGANIZATION_ROLES) {
          throw fabricError('invalid_request', `An organization defines at most ${MAX_ORGANIZATION_ROLES} roles of its own`);
        }
        await tx.manager.insert(OrganizationRoleEntity, role);
        await this.audit.recordIn(
          tx,
          orgAudit(standing, 'organization.role.create', { type: 'organization_role', id: role.name }, request, { permissions: permissions.join(',') }),
        );
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw fabricError('already_exists', 'Role already exists');
      throw error;
    }
    return toDto({ name: role.name, description: role.description, permissions, fromTemplate: false });
  }

  /** Holders of the role get its new permissions on their next request. */
  async update(standing: OrgStanding, name: string, dto: UpdateOrgRoleDto, request?: HttpRequestLike): Promise<OrgRoleDto> {
    const role = await this.ownRole(standing, name);
    const patch: Partial<OrganizationRoleEntity> = { updatedAt: new Date(this.clock.now()) };
    if (dto.description !== undefined) patch.description = dto.description;
    if (dto.permissions !== undefined) {
      patch.permissions = this.checkedPermissions(standing, dto.permissions, 'grant these permissions');
      this.standings.assertMayGrant(standing, [{ ...role, fromTemplate: false }], 'change this role');
    }
    await this.transactions.run(async (tx) => {
      const updated = await tx.manager.update(OrganizationRoleEntity, { id: role.id }, patch);
      if (!updated.affected) throw fabricError('organization_role_not_found', 'Organization role not found');
      // Its holders' cached principals (one per token's organization) are not indexed by role: all go, as for a global role.
      if (patch.permissions) await this.revocations.revoke(tx, { type: 'all' });
      await this.audit.recordIn(
        tx,
        orgAudit(standing, 'organization.role.modify', { type: 'organization_role', id: role.name }, request, {
          permissions_before: role.permissions.join(','),
          permissions_after: (patch.permissions ?? role.permissions).join(','),
        }),
      );
    });
    return toDto({ name: role.name, description: patch.description ?? role.description, permissions: patch.permissions ?? role.permissions, fromTemplate: false });
  }

  /** The role is taken from every member and service account holding it, in the same transaction. */
  async remove(standing: OrgStanding, name: string, request?: HttpRequestLike): Promise<void> {
    const role = await this.ownRole(standing, name);
    this.standings.assertMayGrant(standing, [{ ...role, fromTemplate: false }], 'delete this role');
    const organizationId = standing.organization.id;
    await this.transactions.run(async (tx) => {
      if (!(await this.transactions.lock(tx, OrganizationEntity, organizationId))) throw fabricError('organization_not_found', 'Organization not found');
      const deleted = await tx.manager.delete(OrganizationRoleEntity, { id: role.id });
      if (!deleted.affected) throw fabricError('organization_role_not_found', 'Organization role not found');
      const taken = await tx.manager.delete(OrganizationMemberRoleEntity, { organizationId, role: role.name });
      // The organization's service accounts lose it too: a role made later under the same name must not reach them.
      const accounts = (await tx.manager.find(ServiceAccountEntity, { where: { organizationId }, select: { id: true, orgRoles: true } })).filter((a) =>
        a.orgRoles?.includes(role.name),
      );
      for (const account of accounts) await tx.manager.update(ServiceAccountEntity, { id: account.id }, { orgRoles: account.orgRoles!.filter((r) => r !== role.name) });
      const holders = (taken.affected ?? 0) + accounts.length;
      if (holders > 0) await this.revocations.revoke(tx, { type: 'all' });
      await this.audit.recordIn(tx, orgAudit(standing, 'organization.role.delete', { type: 'organization_role', id: role.name }, request, { holders }));
    });
  }

  private async find(standing: OrgStanding, name: string): Promise<OrgRole> {
    const [role] = name.length <= 64 ? await this.standings.roles(standing.organization.id, [name]) : [];
    if (!role) throw fabricError('organization_role_not_found', 'Organization role not found');
    return role;
  }

  /** One of the organization's own roles; a template role is changed in the configuration. */
  private async ownRole(standing: OrgStanding, name: string): Promise<OrganizationRoleEntity> {
    if (this.standings.isTemplateRole(name)) throw fabricError('role_in_use', 'This role comes from the configuration (auth.organizations.roles); change it there');
    const role = name.length <= 64 ? await this.roles.findOneBy({ organizationId: standing.organization.id, name }) : null;
    if (!role) throw fabricError('organization_role_not_found', 'Organization role not found');
    return role;
  }

  private checkedPermissions(standing: OrgStanding, permissions: string[], what: string): string[] {
    const unknown = this.standings.ungrantable(permissions);
    if (unknown.length > 0) throw fabricError('invalid_request', `Not organization permissions: ${unknown.join(', ')}`);
    const wanted = [...new Set(permissions)].sort();
    this.standings.assertMayGrant(standing, [{ name: '', description: null, permissions: wanted, fromTemplate: false }], what);
    return wanted;
  }
}
