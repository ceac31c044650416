import { Inject, Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { RolesService } from '../../access/accounts/roles.service.js';
import { OrganizationAccess } from '../../core/ports/organization-access.js';
import type { FabricTransaction } from '../../data/transactions.js';
import { RoleEntity } from '../../schema/entities/role.entity.js';
import { ScimGroupMemberEntity } from '../../schema/entities/scim-group-member.entity.js';
import { ScimGroupEntity } from '../../schema/entities/scim-group.entity.js';
import { ScimUserEntity } from '../../schema/entities/scim-user.entity.js';
import type { ScimRealm } from './scim-realm.js';

/**
 * The roles SCIM groups give their members: the union of their groups' roles, kept on each
 * resource (`granted_roles`) so that leaving a group takes away what the groups gave and nothing
 * granted otherwise. In an organization they are org roles (through `OrganizationAccess`; a role
 * the organization does not define, and `owner`, are never given); single-tenant, platform roles
 * that exist.
 */
@Injectable()
export class ScimRoleGrants {
  constructor(
    private readonly roles: RolesService,
    @Inject(OrganizationAccess) private readonly organizations: OrganizationAccess,
  ) {}

  /** Brings each resource's roles in line with its groups, in the change's transaction. */
  async reconcile(tx: FabricTransaction, realm: ScimRealm, scimUserIds: readonly string[]): Promise<void> {
    for (const id of [...new Set(scimUserIds)]) {
      const resource = await tx.manager.findOneBy(ScimUserEntity, { id, realm: realm.key });
      if (!resource) continue;
      const groups = await tx.manager
        .createQueryBuilder(ScimGroupEntity, 'g')
        .innerJoin(ScimGroupMemberEntity, 'm', 'm.groupId = g.id')
        .where('m.scimUserId = :id', { id })
        .select(['g.id', 'g.mappedRoles'])
        .getMany();
      // A deprovisioned member holds nothing in the organization: what it gets back is given on reactivation.
      const desired = realm.organizationId !== null && !resource.active ? [] : [...new Set(groups.flatMap((g) => g.mappedRoles))].sort();
      const granted = resource.grantedRoles ?? [];
      const grant = desired.filter((r) => !granted.includes(r));
      const revoke = granted.filter((r) => !desired.includes(r));
      if (grant.length === 0 && revoke.length === 0) continue;
      if (realm.organizationId !== null) {
        if (resource.active) await this.organizations.changeProvisionedRoles(tx, realm.organizationId, resource.userId, grant, revoke);
      } else {
        const existing = grant.length ? (await tx.manager.findBy(RoleEntity, { name: In(grant) })).map((r) => r.name) : [];
        const held = (await this.roles.grantsOf({ userId: resource.userId }, tx)).roles;
        const next = [...new Set([...held.filter((r) => !revoke.includes(r)), ...existing])];
        if (next.length !== held.length || next.some((r) => !held.includes(r))) await this.roles.assignToUser(resource.userId, next, tx);
      }
      await tx.manager.update(ScimUserEntity, { id }, { grantedRoles: desired });
    }
  }
}
