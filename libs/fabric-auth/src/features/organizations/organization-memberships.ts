import { Injectable } from '@nestjs/common';
import type { OrganizationAccess, OrganizationMembership } from '../../core/ports/organization-access.js';
import { OrganizationStandings } from './organization-standings.js';

/**
 * The organizations feature's side of the core's `OrganizationAccess` port: a user's membership
 * as it is now, for `grant_type=organization` and for an access token's `org`.
 */
@Injectable()
export class OrganizationMemberships implements OrganizationAccess {
  readonly available = true;

  constructor(private readonly standings: OrganizationStandings) {}

  async membershipOf(userId: string, organization: string): Promise<OrganizationMembership | null> {
    const found = await this.standings.find(organization);
    if (!found) return null;
    const roles = await this.standings.rolesOfUser(found.id, userId);
    if (roles === null) return null;
    return { organizationId: found.id, slug: found.slug, roles, permissions: await this.standings.permissionsOf(found.id, roles), mfaRequired: found.mfaRequired };
  }
}
