import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ServiceAccountEntity } from '../../schema/entities/service-account.entity.js';
import type { OrganizationAccess, OrganizationMembership } from '../../core/ports/organization-access.js';
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
  ) {}

  async membershipOf(userId: string, organization: string): Promise<OrganizationMembership | null> {
    const found = await this.standings.find(organization);
    if (!found) return null;
    const roles = await this.standings.rolesOfUser(found.id, userId);
    if (roles === null) return null;
    return { organizationId: found.id, slug: found.slug, roles, permissions: await this.standings.permissionsOf(found.id, roles), mfaRequired: found.mfaRequired };
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
