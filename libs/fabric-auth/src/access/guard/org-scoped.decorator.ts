import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { FABRIC_ORG_SCOPED_KEY } from '../../core/fabric-auth.constants.js';
import type { PrincipalOrganization } from '../../core/principal.js';
import { principalOf } from '../principal/current-principal.decorator.js';

/**
 * The route acts inside the caller's active organization (the `org` of their access token,
 * chosen with `grant_type=organization`): without one, or after they left it, 403
 * `organization_required`; `@RequirePermission()` on it checks the permission in that
 * organization (their org roles), not their global roles. On a controller, every route.
 *
 * @publicApi
 */
export const OrgScoped = () => SetMetadata(FABRIC_ORG_SCOPED_KEY, true);

/**
 * The active organization of the request's principal (`{ id, slug, roles, permissions }`):
 * always set on an `@OrgScoped()` route, else undefined when the token carries none.
 *
 * @publicApi
 */
export const CurrentOrg = createParamDecorator(
  // The request as CurrentPrincipal reads it (without `switchToHttp()`'s closures).
  (_: unknown, context: ExecutionContext): PrincipalOrganization | undefined => principalOf(context.getArgByIndex(0))?.org ?? undefined,
);
