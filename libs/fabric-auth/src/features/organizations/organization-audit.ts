import type { HttpRequestLike } from '../../core/request-info.js';
import type { AuditRecord } from '../../data/audit.service.js';
import type { AuditDetails } from '../../schema/entities/audit-event.entity.js';
import type { OrgStanding } from './organization-standings.js';

/**
 * The audit record of a change in an organization: with its id (SPEC §15, for its own audit
 * view), and marked when a platform admin made it through `orgs:manage` rather than a role there.
 */
export function orgAudit(
  standing: OrgStanding,
  action: string,
  target: { type: string; id: string },
  request: HttpRequestLike | undefined,
  details: AuditDetails = {},
): AuditRecord {
  return {
    action,
    outcome: 'success',
    actor: standing.actor,
    target,
    request,
    organizationId: standing.organization.id,
    details: standing.asPlatformAdmin ? { ...details, as_platform_admin: true } : details,
  };
}
