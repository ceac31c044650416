import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Revocations } from '../../access/sessions/revocations.js';
import { FabricClock } from '../../core/clock.js';
import { fabricError } from '../../core/fabric-error.js';
import { FabricTransactions } from '../../data/transactions.js';
import { MEMBER_ROLE, OWNER_ROLE } from '../../options/organizations.options.js';
import { OrganizationMemberRoleEntity } from '../../schema/entities/organization-member-role.entity.js';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { OrganizationMemberEntity } from '../../schema/entities/organization-member.entity.js';
import { OrganizationEntity } from '../../schema/entities/organization.entity.js';
import { ServiceAccountEntity } from '../../schema/entities/service-account.entity.js';
import type { Principal } from '../../core/principal.js';
import type { ConnectionJoin, OrganizationAccess, OrganizationMembership, PortTransaction } from '../../core/ports/organization-access.js';
import { AuditService, userActor } from '../../data/audit.service.js';
import { OrganizationStandings } from './organization-standings.js';

/**
 * The organizations feature's side of the core's `OrganizationAccess` port: a user's membership
 * as it is now, for `grant_type=organization` and for an access token's `org`; an organization's
 * service account's org roles, for its keys.
 */
@Injectable()
export class OrganizationMemberships implements OrganizationAccess {
  readonly available = true;

  constructor(
    private readonly standings: OrganizationStandings,
    @InjectRepository(ServiceAccountEntity) private readonly accounts: Repository<ServiceAccountEntity>,
    @InjectRepository(OrganizationMemberEntity) private readonly members: Repository<OrganizationMemberEntity>,
    private readonly transactions: FabricTransactions,
    private readonly revocations: Revocations,
    private readonly clock: FabricClock,
    private readonly audit: AuditService,
  ) {}

  /** One statement (OrganizationStandings.membership): the cold path of a principal acting in an organization. */
  async membershipOf(userId: string, organization: string): Promise<OrganizationMembership | null> {
    const found = await this.standings.membership(organization, userId);
    if (!found?.member) return null;
    const { organization: org, member } = found;
    return { organizationId: org.id, slug: org.slug, roles: member.roles, permissions: member.permissions, mfaRequired: org.mfaRequired };
  }

  /** One indexed probe (members by user, joined to their organizations): a login pays it only with organizations on. */
  async requiresSecondFactor(userId: string): Promise<boolean> {
    const found = await this.members
      .createQueryBuilder('m')
      .innerJoin(OrganizationEntity, 'o', 'o.id = m.organizationId')
      .where('m.userId = :userId', { userId })
      .andWhere('o.mfaRequired = :required', { required: true })
      .select('1')
      .limit(1)
      .getRawOne();
    return found !== undefined;
  }

  async managedOrganization(actor: Principal, organization: string): Promise<{ id: string; slug: string }> {
    const standing = await this.standings.standing(actor, organization, 'org:manage');
    return { id: standing.organization.id, slug: standing.organization.slug };
  }

  async provisionMember(tx: PortTransaction, organizationId: string, userId: string): Promise<void> {
    if (!(await this.transactions.lock(tx, OrganizationEntity, organizationId))) throw fabricError('organization_not_found', 'Organization not found');
    if (await tx.manager.existsBy(OrganizationMemberEntity, { organizationId, userId })) return;
    const member: OrganizationMemberEntity = { id: randomUUID(), organizationId, userId, createdAt: new Date(this.clock.now()) };
    await tx.manager.insert(OrganizationMemberEntity, member);
    await tx.manager.insert(OrganizationMemberRoleEntity, { memberId: member.id, organizationId, role: MEMBER_ROLE });
    // A token naming this organization may have been resolved (to no membership) and cached.
    await this.revocations.revoke(tx, { type: 'principal', principalId: userId });
  }

  async deprovisionMember(tx: PortTransaction, organizationId: string, userId: string): Promise<void> {
    if (!(await this.transactions.lock(tx, OrganizationEntity, organizationId))) throw fabricError('organization_not_found', 'Organization not found');
    const member = await tx.manager.findOneBy(OrganizationMemberEntity, { organizationId, userId });
    if (!member) return;
    if (await tx.manager.existsBy(OrganizationMemberRoleEntity, { memberId: member.id, role: OWNER_ROLE })) {
      if ((await this.standings.holders(tx, organizationId, OWNER_ROLE)) <= 1) {
        throw fabricError('last_owner', 'An organization keeps at least one owner: make someone else owner first');
      }
    }
    await tx.manager.delete(OrganizationMemberEntity, { id: member.id });
    await this.revocations.revoke(tx, { type: 'principal', principalId: userId });
  }

  async changeProvisionedRoles(tx: PortTransaction, organizationId: string, userId: string, grant: readonly string[], revoke: readonly string[]): Promise<void> {
    if (!(await this.transactions.lock(tx, OrganizationEntity, organizationId))) throw fabricError('organization_not_found', 'Organization not found');
    const member = await tx.manager.findOneBy(OrganizationMemberEntity, { organizationId, userId });
    if (!member) return;
    const defined = new Set((await this.standings.roles(organizationId, grant, tx)).map((r) => r.name));
    const held = new Set((await tx.manager.findBy(OrganizationMemberRoleEntity, { memberId: member.id })).map((r) => r.role));
    const added = grant.filter((role) => role !== OWNER_ROLE && defined.has(role) && !held.has(role));
    const removed = revoke.filter((role) => role !== OWNER_ROLE && held.has(role) && !grant.includes(role));
    if (added.length > 0)
      await tx.manager.insert(
        OrganizationMemberRoleEntity,
        added.map((role) => ({ memberId: member.id, organizationId, role })),
      );
    for (const role of removed) await tx.manager.delete(OrganizationMemberRoleEntity, { memberId: member.id, role });
    if (added.length > 0 || removed.length > 0) await this.revocations.revoke(tx, { type: 'principal', principalId: userId });
  }

  async joinThroughConnection(tx: PortTransaction, join: ConnectionJoin): Promise<void> {
    const { organizationId, user } = join;
    if (!(await this.transactions.lock(tx, OrganizationEntity, organizationId))) throw fabricError('organization_not_found', 'Organization not found');
    // A role deleted from the organization since the mapping named it is not granted.
    const defined = new Set((await this.standings.roles(organizationId, join.mappedRoles, tx)).map((r) => r.name));
    const mapped = join.mappedRoles.filter((role) => role !== OWNER_ROLE && defined.has(role));
    const member = await tx.manager.findOneBy(OrganizationMemberEntity, { organizationId, userId: user.id });
    const audited = { actor: userActor(user), target: { type: 'user', id: user.id }, request: join.request, organizationId, outcome: 'success' as const };
    if (!member) {
      const joined: OrganizationMemberEntity = { id: randomUUID(), organizationId, userId: user.id, createdAt: new Date(this.clock.now()) };
      const roles = [MEMBER_ROLE, ...mapped.filter((role) => role !== MEMBER_ROLE)];
      await tx.manager.insert(OrganizationMemberEntity, joined);
      await tx.manager.insert(
        OrganizationMemberRoleEntity,
        roles.map((role) => ({ memberId: joined.id, organizationId, role })),
      );
      await this.revocations.revoke(tx, { type: 'principal', principalId: user.id });
      await this.audit.recordIn(tx, {
        ...audited,
        action: 'organization.member.connection_join',
        details: { username: user.username, connection: join.connectionId, roles: roles.join(',') },
      });
      return;
    }
    const held = (await tx.manager.findBy(OrganizationMemberRoleEntity, { memberId: member.id })).map((r) => r.role);
    const added = mapped.filter((role) => !held.includes(role));
    const removed = held.filter((role) => role !== OWNER_ROLE && role !== MEMBER_ROLE && join.managedRoles.includes(role) && !mapped.includes(role));
    if (added.length === 0 && removed.length === 0) return;
    if (added.length > 0)
      await tx.manager.insert(
        OrganizationMemberRoleEntity,
        added.map((role) => ({ memberId: member.id, organizationId, role })),
      );
    for (const role of removed) await tx.manager.delete(OrganizationMemberRoleEntity, { memberId: member.id, role });
    await this.revocations.revoke(tx, { type: 'principal', principalId: user.id });
    const after = [...held.filter((role) => !removed.includes(role)), ...added];
    await this.audit.recordIn(tx, {
      ...audited,
      action: 'organization.member.roles',
      details: { username: user.username, connection: join.connectionId, roles_before: held.join(','), roles_after: after.join(',') },
    });
  }

  async serviceAccountMembership(serviceAccountId: string, organizationId: string): Promise<OrganizationMembership | null> {
    const account = await this.accounts.findOne({ where: { id: serviceAccountId, organizationId }, select: { id: true, orgRoles: true } });
    const organization = account ? await this.standings.find(organizationId) : null;
    if (!account || !organization) return null;
    const roles = account.orgRoles ?? [];
    // mfa_required binds people's sessions; a machine credential has no login to hold a factor.
    return { organizationId, slug: organization.slug, roles, permissions: await this.standings.permissionsOf(organizationId, roles), mfaRequired: organization.mfaRequired };
  }
}
