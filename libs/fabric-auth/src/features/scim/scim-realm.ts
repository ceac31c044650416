import type { Principal } from '../../core/principal.js';
import { fabricError } from '../../core/fabric-error.js';

/** What a SCIM token provisions: an organization, or the platform (organizations off). */
export interface ScimRealm {
  /** The unique keys' scope: the organization's id, or `platform`. */
  readonly key: string;
  readonly organizationId: string | null;
}

export const PLATFORM_REALM = 'platform';

/** The realm of the request's SCIM token (the guard admits no other principal on these routes). */
export function realmOf(principal: Principal): ScimRealm {
  if (principal.kind !== 'scim_token' || principal.scim === undefined) throw fabricError('invalid_credentials', 'Invalid credentials', { detail: 'not a SCIM token' });
  const organizationId = principal.scim.organizationId;
  return { key: organizationId ?? PLATFORM_REALM, organizationId };
}
