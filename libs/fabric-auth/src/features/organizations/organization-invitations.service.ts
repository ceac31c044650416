import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, MoreThan, type Repository } from 'typeorm';
import { UsersService } from '../../access/accounts/users.service.js';
import { Revocations } from '../../access/sessions/revocations.js';
import { FabricClock } from '../../core/clock.js';
import { FABRIC_NOTIFIER } from '../../core/fabric-auth.constants.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import { fabricError } from '../../core/fabric-error.js';
import { isUuid } from '../../core/ids.js';
import type { FabricInvitationNotification, FabricNotifier } from '../../core/ports/notifier.js';
import type { Principal } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { sha256 } from '../../core/crypto.js';
import { AuditService } from '../../data/audit.service.js';
import { isUniqueViolation } from '../../data/db-errors.js';
import { ListPager } from '../../data/pagination/list-pager.js';
import type { ListEnvelope, ListQueryDto } from '../../data/pagination/list-query.js';
import { FabricTransactions } from '../../data/transactions.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { MEMBER_ROLE } from '../../options/organizations.options.js';
import { PublicBaseUrl } from '../../options/public-base-url.js';
import { OrganizationInvitationEntity } from '../../schema/entities/organization-invitation.entity.js';
import { OrganizationMemberRoleEntity } from '../../schema/entities/organization-member-role.entity.js';
import { OrganizationMemberEntity } from '../../schema/entities/organization-member.entity.js';
import { OrganizationEntity } from '../../schema/entities/organization.entity.js';
import type { CreatedInvitationDto, InvitationDto } from './dto/invitation.dto.js';
import { OrganizationStandings, type OrgStanding, type OrgStandingWithRow } from './organization-standings.js';
import { orgAudit } from './organization-audit.js';

/** 256 random bits, base64url: what `randomBytes(32)` gives. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const INVALID_TOKEN = 'Invalid, used or expired invitation';

/**
 * Invitations: a token shown once to the inviter and sent to the invitee through the notifier,
 * kept only as its SHA-256; bound to one email address, which the accepting account must have
 * verified; single use, even under parallel accepts (one conditional update wins); expiring on
 * the library's clock (`FabricClock`), compared inside that update.
 */
@Injectable()
export class OrganizationInvitationsService {
  private readonly logger = new Logger('FabricAuth');

  constructor(
    @InjectRepository(OrganizationInvitationEntity) private readonly invitations: Repository<OrganizationInvitationEntity>,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    @Inject(FABRIC_NOTIFIER) private readonly notifier: FabricNotifier,
    private readonly standings: OrganizationStandings,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly transactions: FabricTransactions,
    private readonly clock: FabricClock,
    private readonly pager: ListPager,
    private readonly publicBaseUrl: PublicBaseUrl,
    private readonly revocations: Revocations,
  ) {}

  /** A new invitation replaces the pending ones for the same address in this organization. */
  async create(standing: OrgStandingWithRow, input: { email: string; roles?: string[] }, request?: HttpRequestLike): Promise<CreatedInvitationDto> {
    const organization = standing.organization;
    const roles = await this.standings.existingRoles(organization.id, input.roles ?? [MEMBER_ROLE]);
    this.standings.assertMayGrant(standing, roles, 'invite with these roles');
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const invitation: OrganizationInvitationEntity = {
      id: randomUUID(),
      organizationId: organization.id,
      email: input.email,
      roles: roles.map((r) => r.name).sort(),
      tokenHash: sha256(token, 'hex'),
      createdBy: standing.actor.kind === 'user' ? standing.actor.id : null,
      createdAt: new Date(now),
      expiresAt: new Date(now + this.options.organizations.invitationExpire * 1000),
      acceptedAt: null,
      acceptedBy: null,
    };
    const message: FabricInvitationNotification = {
      purpose: 'organization_invitation',
      email: invitation.email,
      organization: { id: organization.id, slug: organization.slug, name: organization.name },
      invitedBy: standing.actor.kind === 'user' ? { id: standing.actor.id, username: standing.actor.username } : null,
      roles: invitation.roles,
      token,
      link: '',
      expiresAt: invitation.expiresAt,
    };
    await this.transactions.run(async (tx) => {
      await tx.manager.delete(OrganizationInvitationEntity, { organizationId: organization.id, email: invitation.email, acceptedAt: IsNull() });
      await tx.manager.insert(OrganizationInvitationEntity, invitation);
      await this.audit.recordIn(
        tx,
        orgAudit(standing, 'organization.invitation.create', { type: 'invitation', id: invitation.id }, request, { email: invitation.email, roles: invitation.roles.join(',') }),
      );
      tx.afterCommit(() => this.send({ ...message, link: `${this.publicBaseUrl.get()}/accept-invitation?token=${token}` }));
    });
    return { ...this.toDto(invitation), token };
  }

  list(standing: OrgStanding, query: ListQueryDto): Promise<ListEnvelope<InvitationDto>> {
    const organizationId = standing.organization.id;
    const base = this.invitations.createQueryBuilder('i').where('i.organizationId = :organizationId', { organizationId });
    return this.pager.page(
      base,
      {
        list: 'organization_invitations',
        sortName: 'created_at',
        sort: { property: 'createdAt', descending: false },
        filters: { organization: organizationId },
        query,
        pagedByParameters: true,
      },
      (rows) => rows.map((i) => this.toDto(i)),
    );
  }

  async get(standing: OrgStanding, id: string): Promise<InvitationDto> {
    return this.toDto(await this.find(standing, id));
  }

  /** Withdraws an invitation: its token stops working at once. */
  async revoke(standing: OrgStanding, id: string, request?: HttpRequestLike): Promise<void> {
    const invitation = await this.find(standing, id);
    await this.transactions.run(async (tx) => {
      const deleted = await tx.manager.delete(OrganizationInvitationEntity, { id: invitation.id, organizationId: standing.organization.id });
      if (!deleted.affected) throw fabricError('invitation_not_found', 'Invitation not found');
      await this.audit.recordIn(tx, orgAudit(standing, 'organization.invitation.revoke', { type: 'invitation', id: invitation.id }, request, { email: invitation.email }));
    });
  }

  /**
   * Spends an invitation for the signed-in user whose verified email it names, making them a
   * member with its roles (those the organization still has). The token is checked first: a
   * wrong, used or expired one is the same 400 whoever presents it.
   */
  async accept(actor: Principal, rawToken: string, request?: HttpRequestLike): Promise<{ organization: OrganizationEntity; roles: string[] }> {
    if (actor.kind !== 'user' || actor.authMethod === 'api_key') throw fabricError('permission_denied', 'Only a signed-in user accepts an invitation (not an API key)');
    const now = new Date(this.clock.now());
    const invitation = TOKEN_SHAPE.test(rawToken)
      ? await this.invitations.findOne({ where: { tokenHash: sha256(rawToken, 'hex'), acceptedAt: IsNull(), expiresAt: MoreThan(now) } })
      : null;
    if (!invitation) throw fabricError('invalid_token', INVALID_TOKEN);
    const user = await this.users.findById(actor.id);
    if (!user || user.email !== invitation.email) throw fabricError('invitation_email_mismatch', 'This invitation is for another email address');
    if (!user.emailVerified) throw fabricError('email_not_verified', 'Verify your email address before accepting an invitation');
    try {
      return await this.transactions.run(async (tx) => {
        const organization = await tx.manager.findOne(OrganizationEntity, {
          where: { id: invitation.organizationId },
          ...(this.transactions.isPostgres ? { lock: { mode: 'pessimistic_write' as const } } : {}),
        });
        if (!organization) throw fabricError('invalid_token', INVALID_TOKEN);
        // The one statement that decides: of parallel accepts, one updates the row, the others find it spent.
        const spent = await tx.manager.update(
          OrganizationInvitationEntity,
          { id: invitation.id, acceptedAt: IsNull(), expiresAt: MoreThan(now) },
          { acceptedAt: now, acceptedBy: user.id },
        );
        if (spent.affected !== 1) throw fabricError('invalid_token', INVALID_TOKEN);
        const roles = (await this.standings.roles(organization.id, invitation.roles, tx)).map((r) => r.name).sort();
        const memberId = randomUUID();
        await tx.manager.insert(OrganizationMemberEntity, { id: memberId, organizationId: organization.id, userId: user.id, createdAt: now });
        if (roles.length > 0)
          await tx.manager.insert(
            OrganizationMemberRoleEntity,
            roles.map((role) => ({ memberId, organizationId: organization.id, role })),
          );
        await this.revocations.revoke(tx, { type: 'principal', principalId: user.id });
        await this.audit.recordIn(tx, {
          action: 'organization.invitation.accept',
          outcome: 'success',
          actor,
          target: { type: 'invitation', id: invitation.id },
          request,
          organizationId: organization.id,
          details: { roles: roles.join(',') },
        });
        return { organization, roles };
      });
    } catch (error) {
      // Already a member: the invitation stays unspent (the transaction rolled back).
      if (isUniqueViolation(error)) throw fabricError('already_exists', 'Already a member of this organization');
      throw error;
    }
  }

  private async find(standing: OrgStanding, id: string): Promise<OrganizationInvitationEntity> {
    const invitation = isUuid(id) ? await this.invitations.findOneBy({ id, organizationId: standing.organization.id }) : null;
    if (!invitation) throw fabricError('invitation_not_found', 'Invitation not found');
    return invitation;
  }

  private async send(message: FabricInvitationNotification): Promise<void> {
    if (!this.notifier.sendInvitation) {
      this.logger.warn(
        // Never the link: it carries the raw token, and logs keep no secret (SEC-77).
        `the notifier has no sendInvitation: the invitation of ${message.email} to "${message.organization.slug}" was not sent; give the notifier a sendInvitation method`,
      );
      return;
    }
    try {
      await this.notifier.sendInvitation(message);
    } catch (error) {
      this.logger.error(`notifier failed for the invitation of ${message.email} to organization ${message.organization.id}: ${(error as Error).message}`);
    }
  }

  private toDto(invitation: OrganizationInvitationEntity): InvitationDto {
    const status = invitation.acceptedAt ? 'accepted' : invitation.expiresAt.getTime() <= this.clock.now() ? 'expired' : 'pending';
    return {
      id: invitation.id,
      email: invitation.email,
      roles: invitation.roles,
      status,
      created_at: invitation.createdAt.toISOString(),
      expires_at: invitation.expiresAt.toISOString(),
      accepted_at: invitation.acceptedAt?.toISOString() ?? null,
    };
  }
}
