import { Inject, Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { FabricAuthenticator } from '../../access/guard/fabric-authenticator.js';
import { TokenService } from '../../access/tokens/token.service.js';
import { FabricAuthError } from '../../core/fabric-auth.error.js';
import { OrganizationAccess } from '../../core/ports/organization-access.js';
import type { Principal } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { AuditService, userActor } from '../../data/audit.service.js';
import { FabricTransactions } from '../../data/transactions.js';
import { OAuthError } from '../../http/oauth-error.js';
import { SessionEntity } from '../../schema/entities/session.entity.js';

export interface OrganizationSwitch {
  accessToken: string;
  expiresIn: number;
  organization: { id: string; slug: string };
}

/**
 * `grant_type=organization` (SPEC §15): a signed-in user's session acts in one of their
 * organizations from now on. The caller proves the session with its current access token
 * (Bearer, or the cookies with their CSRF token); the answer is a new access token carrying
 * `org`, and every later refresh of the session carries it too. The refresh token is kept.
 */
@Injectable()
export class OrganizationGrant {
  constructor(
    private readonly authenticator: FabricAuthenticator,
    @Inject(OrganizationAccess) private readonly organizations: OrganizationAccess,
    private readonly tokens: TokenService,
    private readonly transactions: FabricTransactions,
    private readonly audit: AuditService,
  ) {}

  async switchTo(organization: string, request: HttpRequestLike): Promise<OrganizationSwitch> {
    if (!this.organizations.available) throw new OAuthError('unsupported_grant_type', 'organizations are not enabled on this server');
    const principal = await this.sessionOf(request);
    // A non-member and an organization that does not exist get the same answer (no existence oracle).
    const membership = await this.organizations.membershipOf(principal.id, organization);
    if (membership === null) throw new OAuthError('invalid_grant', 'not a member of this organization');
    // Refused rather than an enrolment-only token: the session stays usable outside the
    // organization, and a member without a factor enrols one (/mfa) and signs in again with it.
    if (membership.mfaRequired && !principal.amr?.includes('mfa')) {
      throw new OAuthError('mfa_required', 'this organization requires a session signed in with a second factor: enrol one if needed, then sign in again with it');
    }
    await this.transactions.run(async (tx) => {
      const switched = await tx.manager.update(SessionEntity, { id: principal.sessionId!, userId: principal.id, revokedAt: IsNull() }, { activeOrgId: membership.organizationId });
      if (switched.affected !== 1) throw new OAuthError('invalid_grant', 'the session has ended');
      await this.audit.recordIn(tx, {
        action: 'session.organization_switched',
        outcome: 'success',
        actor: userActor(principal),
        target: { type: 'organization', id: membership.organizationId },
        request,
        organizationId: membership.organizationId,
        details: { session_id: principal.sessionId, organization_id: membership.organizationId },
      });
    });
    const access = this.tokens.issueAccessToken(principal.id, principal.sessionId!, principal.amr, membership.organizationId);
    return { accessToken: access.token, expiresIn: access.expiresIn, organization: { id: membership.organizationId, slug: membership.slug } };
  }

  /** The caller's own session: a user's access token, not an API key, an external token or an enrolment-only session. */
  private async sessionOf(request: HttpRequestLike): Promise<Principal> {
    let principal: Principal;
    try {
      principal = await this.authenticator.authenticate(request);
    } catch (error) {
      if (error instanceof FabricAuthError) throw new OAuthError('invalid_grant', 'the access token of a signed-in session is required');
      throw error;
    }
    if (principal.kind !== 'user' || principal.sessionId === null || principal.apiKeyId !== null) {
      throw new OAuthError('invalid_grant', 'the access token of a signed-in session is required');
    }
    if (principal.restriction === 'mfa_enrollment') throw new OAuthError('invalid_grant', 'enrol a second factor first');
    return principal;
  }
}
