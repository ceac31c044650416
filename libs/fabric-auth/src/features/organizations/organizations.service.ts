import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { UsersService } from '../../access/accounts/users.service.js';
import { Revocations } from '../../access/sessions/revocations.js';
import { FabricClock } from '../../core/clock.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import { fabricError } from '../../core/fabric-error.js';
import { type Principal, principalHasPermission } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { AuditService } from '../../data/audit.service.js';
import { isUniqueViolation } from '../../data/db-errors.js';
import { ListPager } from '../../data/pagination/list-pager.js';
import type { ListEnvelope } from '../../data/pagination/list-query.js';
import { columnOf } from '../../data/pagination/list-request.js';
import { memberRoleNamesColumn } from './member-role-names.js';
import { FabricTransactions } from '../../data/transactions.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { OWNER_ROLE } from '../../options/organizations.options.js';
import { OrganizationDomainEntity } from '../../schema/entities/organization-domain.entity.js';
import { OrganizationMemberRoleEntity } from '../../schema/entities/organization-member-role.entity.js';
import { OrganizationMemberEntity } from '../../schema/entities/organization-member.entity.js';
import { OrganizationEntity } from '../../schema/entities/organization.entity.js';
import type { CreateOrganizationDto, ListOrganizationsQueryDto, OrganizationDto, OrganizationSummaryDto, UpdateOrganizationDto } from './dto/organization.dto.js';
import type { OrgStanding, OrgStandingWithRow } from './organization-standings.js';
import { orgAudit } from './organization-audit.js';
import { newDomainToken } from './organization-domains.service.js';
import { slugKey } from './organization-slug.js';

const SLUG_TAKEN = 'This slug is taken, or too like an existing one (case or look-alike characters)';

function summaryOf(org: OrganizationEntity, roles?: string[]): OrganizationSummaryDto {
  return { id: org.id, slug: org.slug, name: org.name, mfa_required: org.mfaRequired, created_at: org.createdAt.toISOString(), ...(roles ? { roles } : {}) };
}

/**
 * Organizations themselves: created with their first owner, listed (yours, or all with
 * `orgs:list`), changed, deleted with everything in them.
 */
@Injectable()
export class OrganizationsService {
  constructor(
    @InjectRepository(OrganizationEntity) private readonly organizations: Repository<OrganizationEntity>,
    @InjectRepository(OrganizationDomainEntity) private readonly domains: Repository<OrganizationDomainEntity>,
    @InjectRepository(OrganizationMemberEntity) private readonly members: Repository<OrganizationMemberEntity>,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly transactions: FabricTransactions,
    private readonly clock: FabricClock,
    private readonly pager: ListPager,
    private readonly revocations: Revocations,
  ) {}

  async create(actor: Principal, dto: CreateOrganizationDto, request?: HttpRequestLike): Promise<OrganizationDto> {
    const privileged = principalHasPermission(actor, 'orgs:create');
    // Self-service is for people: a key or a machine creates organizations only with orgs:create.
    const selfService = this.options.organizations.selfService && actor.kind === 'user' && actor.authMethod !== 'api_key';
    if (!privileged && !selfService) throw fabricError('permission_denied', 'Missing permission: orgs:create');
    const owner = await this.firstOwner(actor, dto.owner, privileged);
    await this.assertSlugFree(dto.slug);
    const now = new Date(this.clock.now());
    const organization: OrganizationEntity = { id: randomUUID(), slug: dto.slug, slugKey: slugKey(dto.slug), name: dto.name, mfaRequired: false, createdAt: now, updatedAt: now };
    const domains = [...new Set(dto.domains ?? [])];
    try {
      await this.transactions.run(async (tx) => {
        await tx.manager.insert(OrganizationEntity, organization);
        if (domains.length > 0)
          await tx.manager.insert(
            OrganizationDomainEntity,
            domains.map((domain) => ({
              id: randomUUID(),
              organizationId: organization.id,
              domain,
              verified: false,
              verificationToken: newDomainToken(),
              verifiedBy: null,
              verifiedAt: null,
              createdAt: now,
            })),
          );
        const memberId = randomUUID();
        await tx.manager.insert(OrganizationMemberEntity, { id: memberId, organizationId: organization.id, userId: owner.id, createdAt: now });
        await tx.manager.insert(OrganizationMemberRoleEntity, { memberId, organizationId: organization.id, role: OWNER_ROLE });
        await this.audit.recordIn(tx, {
          action: 'organization.create',
          outcome: 'success',
          actor,
          target: { type: 'organization', id: organization.id },
          request,
          organizationId: organization.id,
          details: { slug: organization.slug, owner: owner.username, ...(selfService && !privileged ? { self_service: true } : {}) },
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw fabricError('already_exists', SLUG_TAKEN);
      throw error;
    }
    return this.view(organization);
  }

  /** The caller's organizations, or with `orgs:list` every one; cursor-paged on an index either way. */
  list(actor: Principal, query: ListOrganizationsQueryDto): Promise<ListEnvelope<OrganizationSummaryDto>> {
    const mayListAll = principalHasPermission(actor, 'orgs:list');
    const scope = query.scope ?? (mayListAll ? 'all' : 'member');
    if (scope === 'all') {
      if (!mayListAll) throw fabricError('permission_denied', 'Missing permission: orgs:list');
      const base = this.organizations.createQueryBuilder('o');
      return this.pager.page(base, { list: 'organizations', sortName: 'created_at', sort: { property: 'createdAt', descending: false }, filters: { scope }, query }, (rows) =>
        rows.map((o) => summaryOf(o)),
      );
    }
    // Walks the caller's memberships (user_id, created_at, id): a user in a thousand organizations pages like any list.
    const memberships = () => this.members.createQueryBuilder('m').where('m.userId = :userId', { userId: actor.id });
    // Only what an entry shows (and the id cursors carry; the sort key is read as text beside it): no
    // repeated id, slug key or timestamp the entry does not show read and parsed on every row.
    const base = memberships().select('m.id').innerJoin('m.organization', 'o').addSelect(['o.id', 'o.slug', 'o.name', 'o.mfaRequired', 'o.createdAt']);
    return this.pager.page(
      base,
      {
        list: 'organizations',
        sortName: 'joined_at',
        sort: { property: 'createdAt', descending: false },
        filters: { scope, member: actor.id },
        query,
        // Every membership has its organization (a foreign key): counted on (user_id, created_at, id) alone.
        countFrom: memberships(),
        attach: memberRoleNamesColumn(this.members.manager.connection, columnOf(base, 'id')),
        pagedByParameters: true,
      },
      async (rows, attached) => {
        if (attached) return rows.map((m, n) => summaryOf(m.organization!, attached[n]));
        const roles = await this.rolesOfMembers(rows.map((m) => m.id));
        return rows.map((m) => summaryOf(m.organization!, roles.get(m.id) ?? []));
      },
    );
  }

  async view(organization: OrganizationEntity): Promise<OrganizationDto> {
    const domains = await this.domains.find({ where: { organizationId: organization.id }, order: { domain: 'ASC' } });
    return {
      id: organization.id,
      slug: organization.slug,
      name: organization.name,
      domains: domains.map((d) => ({ domain: d.domain, verified: d.verified })),
      mfa_required: organization.mfaRequired,
      created_at: organization.createdAt.toISOString(),
    };
  }

  async update(standing: OrgStandingWithRow, dto: UpdateOrganizationDto, request?: HttpRequestLike): Promise<OrganizationDto> {
    const organization = standing.organization;
    const changes: Partial<OrganizationEntity> = {};
    if (dto.name !== undefined && dto.name !== organization.name) changes.name = dto.name;
    if (dto.mfa_required !== undefined && dto.mfa_required !== organization.mfaRequired) changes.mfaRequired = dto.mfa_required;
    // Turned on, it shuts out every member session without a second factor: a member turns it on only from one such session, so never locks themself out.
    if (changes.mfaRequired === true && !standing.asPlatformAdmin && !standing.actor.amr?.includes('mfa')) {
      throw fabricError('mfa_required', 'Turn on mfa_required from a session signed in with a second factor');
    }
    if (dto.slug !== undefined && dto.slug !== organization.slug) {
      await this.assertSlugFree(dto.slug, organization.id);
      changes.slug = dto.slug;
      changes.slugKey = slugKey(dto.slug);
    }
    const now = new Date(this.clock.now());
    try {
      await this.transactions.run(async (tx) => {
        if (!(await this.transactions.lock(tx, OrganizationEntity, organization.id))) throw fabricError('organization_not_found', 'Organization not found');
        if (Object.keys(changes).length > 0) await tx.manager.update(OrganizationEntity, { id: organization.id }, { ...changes, updatedAt: now });
        // A principal acting in it carries its slug, and holds the organization only with a second factor if it requires one.
        if (changes.slug !== undefined || changes.mfaRequired !== undefined) await this.revocations.revoke(tx, { type: 'all' });
        if (dto.domains !== undefined) {
          const current = new Map((await tx.manager.find(OrganizationDomainEntity, { where: { organizationId: organization.id } })).map((d) => [d.domain, d]));
          const wanted = new Map(dto.domains.map((d) => [d.domain, d.verified ?? current.get(d.domain)?.verified ?? false]));
          const newlyVerified = [...wanted].filter(([domain, verified]) => verified && !current.get(domain)?.verified);
          if (newlyVerified.length > 0 && !principalHasPermission(standing.actor, 'orgs:manage')) {
            throw fabricError('permission_denied', 'Only a platform admin (orgs:manage) verifies a domain');
          }
          await tx.manager.delete(OrganizationDomainEntity, { organizationId: organization.id });
          if (wanted.size > 0) {
            await tx.manager.insert(
              OrganizationDomainEntity,
              // A claim kept keeps its token (its TXT record stays valid) and how it was verified.
              [...wanted].map(([domain, verified]) => {
                const before = current.get(domain);
                const stillVerified = verified && before?.verified === true;
                return {
                  id: randomUUID(),
                  organizationId: organization.id,
                  domain,
                  verified,
                  verificationToken: before?.verificationToken ?? newDomainToken(),
                  verifiedBy: verified ? (stillVerified ? before.verifiedBy : 'admin') : null,
                  verifiedAt: verified ? (stillVerified ? before.verifiedAt : now) : null,
                  createdAt: before?.createdAt ?? now,
                };
              }),
            );
          }
        }
        const fields = [...Object.keys(changes).filter((k) => k !== 'slugKey'), ...(dto.domains !== undefined ? ['domains'] : [])];
        await this.audit.recordIn(tx, orgAudit(standing, 'organization.modify', { type: 'organization', id: organization.id }, request, { fields: fields.join(',') }));
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw fabricError(
          'already_exists',
          dto.slug !== undefined ? `${SLUG_TAKEN}; or a domain is verified by another organization` : 'A domain is verified by another organization',
        );
      throw error;
    }
    return this.view({ ...organization, ...changes });
  }

  /** Everything in it goes with it: members, their roles, its own roles, invitations, domains. */
  async remove(standing: OrgStanding, request?: HttpRequestLike): Promise<void> {
    const organization = standing.organization;
    await this.transactions.run(async (tx) => {
      const deleted = await tx.manager.delete(OrganizationEntity, { id: organization.id });
      if (!deleted.affected) throw fabricError('organization_not_found', 'Organization not found');
      // Every member's tokens acting in it are refused on their next request, on every instance.
      await this.revocations.revoke(tx, { type: 'all' });
      await this.audit.recordIn(tx, orgAudit(standing, 'organization.delete', { type: 'organization', id: organization.id }, request, { slug: organization.slug }));
    });
  }

  /** Org role names per membership, for a page of memberships, in one query. */
  private async rolesOfMembers(memberIds: string[]): Promise<Map<string, string[]>> {
    const byMember = new Map<string, string[]>(memberIds.map((id) => [id, []]));
    if (memberIds.length === 0) return byMember;
    const rows = await this.members.manager.find(OrganizationMemberRoleEntity, { where: { memberId: In(memberIds) }, order: { role: 'ASC' } });
    for (const row of rows) byMember.get(row.memberId)?.push(row.role);
    return byMember;
  }

  /** The owner a new organization starts with: the creator, or (orgs:create only) the user named. */
  private async firstOwner(actor: Principal, named: string | undefined, privileged: boolean): Promise<{ id: string; username: string }> {
    if (named === undefined) {
      if (actor.kind !== 'user') throw fabricError('invalid_request', 'owner is required when the creator is not a user');
      return { id: actor.id, username: actor.username };
    }
    if (!privileged) throw fabricError('permission_denied', 'Only holders of orgs:create name another owner');
    const user = await this.users.findByUsername(named);
    if (!user || !user.isActive) throw fabricError('user_not_found', 'User not found');
    return user;
  }

  /** A slug is free when no organization has it or a look-alike of it (the unique keys settle races). */
  private async assertSlugFree(slug: string, except?: string): Promise<void> {
    const clash = await this.organizations.findOne({ where: [{ slug }, { slugKey: slugKey(slug) }], select: { id: true } });
    if (clash && clash.id !== except) throw fabricError('already_exists', SLUG_TAKEN);
  }
}
