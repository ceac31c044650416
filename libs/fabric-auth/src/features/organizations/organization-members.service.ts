import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { UsersService } from '../../access/accounts/users.service.js';
import { Revocations } from '../../access/sessions/revocations.js';
import { FabricClock } from '../../core/clock.js';
import { fabricError } from '../../core/fabric-error.js';
import { normalizeUsername } from '../../core/identity-normalization.js';
import { principalHasPermission } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { AuditService } from '../../data/audit.service.js';
import { isUniqueViolation } from '../../data/db-errors.js';
import { ListPager } from '../../data/pagination/list-pager.js';
import type { ListEnvelope, ListQueryDto } from '../../data/pagination/list-query.js';
import { columnOf } from '../../data/pagination/list-request.js';
import { memberRoleNamesColumn } from './member-role-names.js';
import { type FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import { MEMBER_ROLE, OWNER_ROLE } from '../../options/organizations.options.js';
import { OrganizationMemberRoleEntity } from '../../schema/entities/organization-member-role.entity.js';
import { OrganizationMemberEntity } from '../../schema/entities/organization-member.entity.js';
import { OrganizationEntity } from '../../schema/entities/organization.entity.js';
import type { MemberDto } from './dto/member.dto.js';
import { OrganizationStandings, type OrgStanding } from './organization-standings.js';
import { orgAudit } from './organization-audit.js';

/**
 * Members and their org roles. Every change takes the organization's row lock first
 * (PostgreSQL; SQLite serialises writers), so two changes of one organization's owners run
 * one after the other and its last owner is never lost to a race; a deletion of the
 * organization waits for them too, and leaves no member behind.
 */
@Injectable()
export class OrganizationMembersService {
  constructor(
    @InjectRepository(OrganizationMemberEntity) private readonly members: Repository<OrganizationMemberEntity>,
    private readonly standings: OrganizationStandings,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly transactions: FabricTransactions,
    private readonly clock: FabricClock,
    private readonly pager: ListPager,
    private readonly revocations: Revocations,
  ) {}

  /** One page of the organization's members, in joining order (organization_id, created_at, id). */
  list(standing: OrgStanding, query: ListQueryDto): Promise<ListEnvelope<MemberDto>> {
    const organizationId = standing.organization.id;
    const members = () => this.members.createQueryBuilder('m').where('m.organizationId = :organizationId', { organizationId });
    // Only what an entry shows (and the id cursors carry): no flag, timestamp or repeated id read and parsed on every row.
    const base = members().select(['m.id', 'm.createdAt']).innerJoin('m.user', 'u').addSelect(['u.id', 'u.username', 'u.fullName', 'u.email']);
    const showEmail = standing.asPlatformAdmin || standing.permissions.has('org:members:manage');
    return this.pager.page(
      base,
      {
        list: 'organization_members',
        sortName: 'joined_at',
        sort: { property: 'createdAt', descending: false },
        filters: { organization: organizationId },
        query,
        // Every membership has its user (a foreign key): counted on (organization_id, created_at, id) alone.
        countFrom: members(),
        attach: memberRoleNamesColumn(this.members.manager.connection, columnOf(base, 'id')),
        pagedByParameters: true,
      },
      async (rows, attached) => {
        if (attached) return rows.map((m, n) => this.toDto(m, attached[n], showEmail));
        const roles = await this.rolesOf(rows.map((m) => m.id));
        return rows.map((m) => this.toDto(m, roles.get(m.id) ?? [], showEmail));
      },
    );
  }

  async get(standing: OrgStanding, username: string): Promise<MemberDto> {
    const member = await this.find(standing, username);
    const showEmail = standing.asPlatformAdmin || standing.permissions.has('org:members:manage') || member.userId === standing.actor.id;
    return this.toDto(member, (await this.rolesOf([member.id])).get(member.id) ?? [], showEmail);
  }

  /**
   * Adds an existing, active account, with org roles within what the caller holds there. Only
   * an account the caller may already know of: for a platform admin or a holder of `users:read`
   * any, for anyone else one that shares an organization with them. Any other username answers
   * as an unknown one, so that managing one organization never tells whether an account exists
   * (everyone else is invited by email).
   */
  async add(standing: OrgStanding, input: { username: string; roles?: string[] }, request?: HttpRequestLike): Promise<MemberDto> {
    const organizationId = standing.organization.id;
    const roles = await this.standings.existingRoles(organizationId, input.roles ?? [MEMBER_ROLE]);
    this.standings.assertMayGrant(standing, roles, 'grant these roles');
    const user = await this.users.findByUsername(input.username);
    if (!user || !user.isActive || !(await this.mayName(standing, user.id))) {
      throw fabricError('user_not_found', 'No such user among those you share an organization with: invite them by email');
    }
    const member: OrganizationMemberEntity = { id: randomUUID(), organizationId, userId: user.id, createdAt: new Date(this.clock.now()) };
    const names = roles.map((r) => r.name).sort();
    try {
      await this.transactions.run(async (tx) => {
        await this.lockOrganization(tx, organizationId);
        await tx.manager.insert(OrganizationMemberEntity, member);
        await this.writeRoles(tx, member, names);
        // A token naming this organization may have been resolved (to no membership) and cached.
        await this.revocations.revoke(tx, { type: 'principal', principalId: user.id });
        await this.audit.recordIn(tx, orgAudit(standing, 'organization.member.add', { type: 'user', id: user.id }, request, { username: user.username, roles: names.join(',') }));
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw fabricError('already_exists', 'Already a member of this organization');
      throw error;
    }
    return this.toDto({ ...member, user }, names, true);
  }

  /**
   * Replaces a member's org roles. What is added or taken away must be within what the caller
   * holds there (and `owner` only by an owner); the last owner keeps the role.
   */
  async changeRoles(standing: OrgStanding, username: string, roleNames: string[], request?: HttpRequestLike): Promise<MemberDto> {
    const organizationId = standing.organization.id;
    const member = await this.find(standing, username);
    const wanted = await this.standings.existingRoles(organizationId, roleNames);
    const names = wanted.map((r) => r.name).sort();
    const result = await this.transactions.run(async (tx) => {
      await this.lockOrganization(tx, organizationId);
      const current = (await this.rolesOf([member.id], tx)).get(member.id) ?? [];
      const changed = [...names.filter((n) => !current.includes(n)), ...current.filter((n) => !names.includes(n))];
      this.standings.assertMayGrant(standing, await this.standings.roles(organizationId, changed, tx), 'change these roles');
      if (current.includes(OWNER_ROLE) && !names.includes(OWNER_ROLE)) await this.assertNotLastOwner(tx, organizationId);
      await tx.manager.delete(OrganizationMemberRoleEntity, { memberId: member.id });
      await this.writeRoles(tx, member, names);
      // Their tokens acting in this organization get the new roles on the next request, on every instance.
      await this.revocations.revoke(tx, { type: 'principal', principalId: member.userId });
      await this.audit.recordIn(
        tx,
        orgAudit(standing, 'organization.member.roles', { type: 'user', id: member.userId }, request, {
          username: member.user!.username,
          roles_before: current.join(','),
          roles_after: names.join(','),
        }),
      );
      return names;
    });
    return this.toDto(member, result, true);
  }

  /**
   * Removes a member: the member themself (leaving), or a holder of `org:members:manage` acting
   * on someone holding nothing more than they do there. Never the last owner.
   */
  async remove(standing: OrgStanding, username: string, request?: HttpRequestLike): Promise<void> {
    const organizationId = standing.organization.id;
    const member = await this.find(standing, username);
    const leaving = standing.actor.kind === 'user' && member.userId === standing.actor.id;
    if (!leaving && !standing.asPlatformAdmin && !standing.permissions.has('org:members:manage')) {
      throw fabricError('permission_denied', 'Missing organization permission: org:members:manage');
    }
    await this.transactions.run(async (tx) => {
      await this.lockOrganization(tx, organizationId);
      const held = (await this.rolesOf([member.id], tx)).get(member.id) ?? [];
      if (!leaving) this.standings.assertMayGrant(standing, await this.standings.roles(organizationId, held, tx), 'remove a member holding more than you');
      if (held.includes(OWNER_ROLE)) await this.assertNotLastOwner(tx, organizationId);
      const deleted = await tx.manager.delete(OrganizationMemberEntity, { id: member.id });
      if (!deleted.affected) throw fabricError('organization_member_not_found', 'Member not found');
      await this.revocations.revoke(tx, { type: 'principal', principalId: member.userId });
      await this.audit.recordIn(
        tx,
        orgAudit(standing, leaving ? 'organization.member.leave' : 'organization.member.remove', { type: 'user', id: member.userId }, request, {
          username: member.user!.username,
          roles: held.join(','),
        }),
      );
    });
  }

  private async mayName(standing: OrgStanding, userId: string): Promise<boolean> {
    if (standing.asPlatformAdmin || principalHasPermission(standing.actor, 'users:read')) return true;
    if (standing.actor.kind !== 'user') return false;
    return this.members
      .createQueryBuilder('mine')
      .innerJoin(OrganizationMemberEntity, 'theirs', 'theirs.organizationId = mine.organizationId')
      .where('mine.userId = :actor AND theirs.userId = :user', { actor: standing.actor.id, user: userId })
      .getExists();
  }

  /** Inside a transaction that holds the organization's lock. */
  private async assertNotLastOwner(tx: FabricTransaction, organizationId: string): Promise<void> {
    if ((await this.standings.holders(tx, organizationId, OWNER_ROLE)) <= 1) {
      throw fabricError('last_owner', 'An organization keeps at least one owner: make someone else owner first');
    }
  }

  /** The organization's row, locked until the transaction ends; 404 when it was deleted meanwhile. */
  private async lockOrganization(tx: FabricTransaction, organizationId: string): Promise<void> {
    if (!(await this.transactions.lock(tx, OrganizationEntity, organizationId))) throw fabricError('organization_not_found', 'Organization not found');
  }

  private async writeRoles(tx: FabricTransaction, member: Pick<OrganizationMemberEntity, 'id' | 'organizationId'>, roles: readonly string[]): Promise<void> {
    if (roles.length === 0) return;
    await tx.manager.insert(
      OrganizationMemberRoleEntity,
      roles.map((role) => ({ memberId: member.id, organizationId: member.organizationId, role })),
    );
  }

  /** The membership a path's username names in this organization; 404 when there is none. */
  private async find(standing: OrgStanding, username: string): Promise<OrganizationMemberEntity> {
    const normalized = normalizeUsername(username);
    const member =
      normalized.length <= 150
        ? await this.members
            .createQueryBuilder('m')
            .innerJoinAndSelect('m.user', 'u')
            .where('m.organizationId = :organizationId AND u.username = :username', { organizationId: standing.organization.id, username: normalized })
            .getOne()
        : null;
    if (!member) throw fabricError('organization_member_not_found', 'Member not found');
    return member;
  }

  /** Org role names per membership, in one query. */
  private async rolesOf(memberIds: string[], tx?: FabricTransaction): Promise<Map<string, string[]>> {
    const byMember = new Map<string, string[]>(memberIds.map((id) => [id, []]));
    if (memberIds.length === 0) return byMember;
    const rows = await (tx?.manager ?? this.members.manager).find(OrganizationMemberRoleEntity, { where: { memberId: In(memberIds) }, order: { role: 'ASC' } });
    for (const row of rows) byMember.get(row.memberId)?.push(row.role);
    return byMember;
  }

  private toDto(member: OrganizationMemberEntity, roles: string[], showEmail: boolean): MemberDto {
    const user = member.user!;
    return {
      user_id: user.id,
      username: user.username,
      full_name: user.fullName,
      ...(showEmail ? { email: user.email } : {}),
      roles,
      joined_at: member.createdAt.toISOString(),
    };
  }
}
