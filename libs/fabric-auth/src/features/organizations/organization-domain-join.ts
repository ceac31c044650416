import { randomUUID } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { Inject, Injectable } from '@nestjs/common';
import { Revocations } from '../../access/sessions/revocations.js';
import { FabricClock } from '../../core/clock.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { SignedIn, SignInHook, SignInTransaction } from '../../core/ports/sign-in-hook.js';
import { AuditService, userActor } from '../../data/audit.service.js';
import { FabricTransactions } from '../../data/transactions.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { MEMBER_ROLE } from '../../options/organizations.options.js';
import { OrganizationDomainEntity } from '../../schema/entities/organization-domain.entity.js';
import { OrganizationMemberRoleEntity } from '../../schema/entities/organization-member-role.entity.js';
import { OrganizationMemberEntity } from '../../schema/entities/organization-member.entity.js';
import { OrganizationEntity } from '../../schema/entities/organization.entity.js';
import { UserEntity } from '../../schema/entities/user.entity.js';

/**
 * `auth.organizations.auto_join_domains` (SPEC §15): at login (password, passkey, SSO), a user
 * whose verified email is on an organization's verified domain joins it as `member`, in the
 * login's own transaction. The organization's row lock orders concurrent logins of one user
 * (the second finds the membership) and a deletion of the organization (the join then skips).
 */
@Injectable()
export class OrganizationDomainJoin implements SignInHook {
  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly transactions: FabricTransactions,
    private readonly revocations: Revocations,
    private readonly audit: AuditService,
    private readonly clock: FabricClock,
  ) {}

  async afterSignIn(tx: SignInTransaction, { user, request }: SignedIn): Promise<void> {
    if (!this.options.organizations.autoJoinDomains) return;
    const account = await tx.manager.findOne(UserEntity, { where: { id: user.id }, select: { id: true, email: true, emailVerified: true } });
    if (!account?.emailVerified || !account.email) return;
    const at = account.email.lastIndexOf('@');
    const domain = at > 0 ? domainToASCII(account.email.slice(at + 1).toLowerCase()) : '';
    if (!domain) return;
    const claimed = await tx.manager.findOne(OrganizationDomainEntity, { where: { domain, verified: true }, select: { organizationId: true } });
    if (!claimed) return;
    const organizationId = claimed.organizationId;
    if (!(await this.transactions.lock(tx, OrganizationEntity, organizationId))) return;
    if (await tx.manager.exists(OrganizationMemberEntity, { where: { organizationId, userId: user.id } })) return;
    const memberId = randomUUID();
    await tx.manager.insert(OrganizationMemberEntity, { id: memberId, organizationId, userId: user.id, createdAt: new Date(this.clock.now()) });
    await tx.manager.insert(OrganizationMemberRoleEntity, { memberId, organizationId, role: MEMBER_ROLE });
    // A token naming this organization may have been resolved (to no membership) and cached.
    await this.revocations.revoke(tx, { type: 'principal', principalId: user.id });
    await this.audit.recordIn(tx, {
      action: 'organization.member.domain_join',
      outcome: 'success',
      actor: userActor(user),
      target: { type: 'user', id: user.id },
      request,
      organizationId,
      details: { username: user.username, domain, roles: MEMBER_ROLE },
    });
  }
}
