/** `auth.organizations`: the multi-tenancy feature's options (SPEC §15). */

import { type FieldContext, Field, INVALID, isPlainObject } from './option-field.js';
import { bool, intInSection, PERMISSION_PATTERN, ROLE_NAME_PATTERN } from './option-rules.js';

/**
 * What an org role may grant inside its organization, beside the app's own permissions
 * (`auth.permissions`). They hold only in the organization that granted them, never globally.
 */
export const ORG_PERMISSIONS = ['org:manage', 'org:members:manage', 'org:roles:manage', 'org:audit:read', 'org:service-accounts:manage'] as const;
export type OrgPermission = (typeof ORG_PERMISSIONS)[number];

/** The template role every organization keeps at least one holder of; it alone may delete the organization or hand out itself. */
export const OWNER_ROLE = 'owner';
/** The template role an invitation, a direct add or (later) a domain join gives when none is named. */
export const MEMBER_ROLE = 'member';

/** Template roles at most: each is checked on every org request, and the API lists them with each organization's own. */
const MAX_TEMPLATE_ROLES = 32;

/**
 * The org-role template (`auth.organizations.roles`): role name → permissions, each an
 * `org:*` permission or one of the app's (`auth.permissions`, read before this section).
 * It must name `owner`, holding every `org:*` permission (an owner can always repair their
 * organization), and `member`, what joining gives by default.
 */
function roleTemplate(value: unknown, { at, problems }: FieldContext): unknown {
  if (!isPlainObject(value)) {
    problems.push(`${at}: must be a mapping of role name to permissions`);
    return INVALID;
  }
  const before = problems.length;
  const entries = Object.entries(value);
  if (entries.length > MAX_TEMPLATE_ROLES) problems.push(`${at}: at most ${MAX_TEMPLATE_ROLES} roles`);
  const template: Record<string, string[]> = {};
  for (const [role, permissions] of entries) {
    if (!ROLE_NAME_PATTERN.test(role)) problems.push(`${at}.${role}: role names are lowercase letters, digits, . _ - (at most 64)`);
    if (!Array.isArray(permissions) || permissions.some((p) => typeof p !== 'string')) {
      problems.push(`${at}.${role}: must be a list of permission names`);
      continue;
    }
    for (const permission of permissions as string[]) {
      // Whether an app permission is registered is known only at startup, once the code's
      // appPermissions are merged (OrganizationStandings checks it then, as the registry checks auth.roles).
      if ((ORG_PERMISSIONS as readonly string[]).includes(permission) || (PERMISSION_PATTERN.test(permission) && !permission.startsWith('org:'))) continue;
      problems.push(`${at}.${role}: "${permission}" is neither an organization permission (${ORG_PERMISSIONS.join(', ')}) nor a permission name`);
    }
    template[role] = [...new Set(permissions as string[])].sort();
  }
  for (const required of [OWNER_ROLE, MEMBER_ROLE]) {
    if (!(required in value)) problems.push(`${at}: must name the ${required} role`);
  }
  const owner = template[OWNER_ROLE];
  const missing = owner ? ORG_PERMISSIONS.filter((p) => !owner.includes(p)) : [];
  if (missing.length > 0) problems.push(`${at}.${OWNER_ROLE}: must hold every organization permission (missing ${missing.join(', ')})`);
  return problems.length === before ? template : INVALID;
}

/** @publicApi */
export class OrganizationsOptions {
  /** Mount the organizations feature (`/orgs…`). Default false: nothing of it is mounted and single-tenant apps see no change. */
  @Field('enabled', 'bool', bool)
  enabled?: boolean = false;

  /** Any signed-in user may create an organization (and becomes its owner); otherwise only holders of `orgs:create`. Default false. */
  @Field('self_service', 'bool', bool)
  selfService?: boolean = false;

  /**
   * The org roles every organization starts with: name → permissions (`org:*` and the app's own).
   * Must name `owner` (holding every `org:*` permission) and `member`. Organizations add their own
   * roles through the API. Default: `owner` (all), `admin` (members, roles, audit, service accounts:
   * everything but the organization's own settings), `member` (none: membership alone reads the
   * organization and its members).
   */
  @Field('roles', 'mapping', roleTemplate)
  roles?: Record<string, string[]> = {
    [OWNER_ROLE]: [...ORG_PERMISSIONS].sort(),
    admin: ['org:audit:read', 'org:members:manage', 'org:roles:manage', 'org:service-accounts:manage'],
    [MEMBER_ROLE]: [],
  };

  /** Seconds an invitation stays valid, 300–2592000. Default 604800 (7 days). */
  @Field('invitation_expire', 'int', intInSection(300, 2_592_000))
  invitationExpire?: number = 604_800;

  /** A user with a verified email on an organization's verified domain joins it as `member` at their next login. Default false. */
  @Field('auto_join_domains', 'bool', bool)
  autoJoinDomains?: boolean = false;

  /**
   * Organizations configure their own OIDC and SAML connections (`/orgs/{org}/connections`), and
   * `POST /auth/sso/discover` routes a login by the email's verified domain. Loads the `saml`
   * feature (with `forRootAsync`, name it in `features`). Default false.
   */
  @Field('sso_connections', 'bool', bool)
  ssoConnections?: boolean = false;

  /**
   * An organization's connection may name an IdP on a loopback or private address (its metadata
   * URL, its issuer): for development and tests only, as it lets organization admins make the
   * server fetch from its own network. Default false.
   */
  @Field('sso_connections_private_networks', 'bool', bool)
  ssoConnectionsPrivateNetworks?: boolean = false;
}

export type ResolvedOrganizationsOptions = Required<OrganizationsOptions>;
