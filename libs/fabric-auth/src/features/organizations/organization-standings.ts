import { BUILT_IN_PERMISSIONS } from '../../access/permissions/permission-registry.js';
import { FabricConfigError } from '../../options/fabric-config.error.js';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { Revocations } from '../../access/sessions/revocations.js';
import { BoundedCache } from '../../core/bounded-cache.js';
import { FabricClock } from '../../core/clock.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import { fabricError } from '../../core/fabric-error.js';
import { isUuid } from '../../core/ids.js';
import { type Principal, principalHasPermission } from '../../core/principal.js';
import { readRows } from '../../data/pagination/keyset.js';
import { type FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { ORG_PERMISSIONS, type OrgPermission, OWNER_ROLE } from '../../options/organizations.options.js';
import { OrganizationMemberRoleEntity } from '../../schema/entities/organization-member-role.entity.js';
import { OrganizationMemberEntity } from '../../schema/entities/organization-member.entity.js';
import { OrganizationRoleEntity } from '../../schema/entities/organization-role.entity.js';
import { OrganizationEntity } from '../../schema/entities/organization.entity.js';
import { normalizeSlug } from './organization-slug.js';

/** What a route needs of the caller in the organization its path names. */
export type OrgNeed =
  /** Reading the organization itself: members, and holders of the global `orgs:list`. */
  | 'view'
  /** Being a member (reading its members, leaving it). */
  | 'member'
  /** Holding the `owner` role (deleting the organization). */
  | 'owner'
  | OrgPermission;

/** The caller in one organization, as a route found them. */
export interface OrgStanding {
  /** Which organization: its row only where the route asked for it (OrgStandingWithRow). */
  readonly organization: Pick<OrganizationEntity, 'id' | 'slug'>;
  readonly actor: Principal;
  /** The caller's org roles there (none for a platform admin or an `orgs:list` reader who is not a member). */
  readonly roles: readonly string[];
  /** What those roles grant there. */
  readonly permissions: ReadonlySet<string>;
  /**
   * The route was allowed only by the global `orgs:manage` (a platform admin): beyond the org
   * ceiling, and audited as such.
   */
  readonly asPlatformAdmin: boolean;
}

/** A standing with the organization's row as it is now (its name, settings, creation time). */
export interface OrgStandingWithRow extends OrgStanding {
  readonly organization: OrganizationEntity;
}

/** A user's membership of one organization: its id, their org roles there (by name) and what those grant. */
export interface MemberStanding {
  readonly id: string;
  readonly roles: readonly string[];
  readonly permissions: ReadonlySet<string>;
}

/** What `standing()` keeps of a member's standing between requests: the organization as routes see it, and the membership. */
interface RememberedMembership {
  readonly userId: string;
  readonly organization: Readonly<Pick<OrganizationEntity, 'id' | 'slug'>>;
  readonly mfaRequired: boolean;
  readonly member: MemberStanding;
}

/** Memberships kept in memory (user × organization); the least recently used go first. */
export const MAX_REMEMBERED_MEMBERSHIPS = 100_000;

/** What a path's organization reference names: an id, or a slug as stored. */
type OrgRef = { readonly id: string; readonly slug?: undefined } | { readonly slug: string; readonly id?: undefined };

/** The id or (normalised) slug `ref` names; undefined when it names neither. */
function orgRefOf(ref: string): OrgRef | undefined {
  if (isUuid(ref)) return { id: ref };
  const slug = ref.length <= 255 ? normalizeSlug(ref) : undefined;
  return slug === undefined ? undefined : { slug };
}

/** The key of a user's membership in the organization `named` names. */
function membershipKey(userId: string, named: OrgRef): string {
  return named.id !== undefined ? `${userId} ${named.id}` : `${userId} slug:${named.slug}`;
}

/** An org role: from the configured template, or one the organization defined. */
export interface OrgRole {
  name: string;
  description: string | null;
  permissions: string[];
  fromTemplate: boolean;
}

/**
 * Who the caller is in the organization a path names, and what roles mean there. A caller who
 * is neither a member nor a platform admin gets the answer an unknown organization gets (404):
 * the path says nothing about which organizations exist (SPEC §15). A member lacking what the
 * route needs gets 403.
 */
@Injectable()
export class OrganizationStandings implements OnModuleDestroy {
  private readonly template: Readonly<Record<string, string[]>>;
  /** Every permission an org role may grant: `org:*` and the app's own. */
  private readonly grantable: ReadonlySet<string>;
  /**
   * Members' standings in organizations other than their token's, so that a member reading
   * another organization of theirs costs the route's own statement only. Kept exactly as
   * cached principals are (same lifetime, same trust): every change to a membership or its
   * roles revokes the user's principals, and every change to what roles mean or to an
   * organization's slug or second-factor rule (or its deletion) revokes all, so the same
   * revocations drop these (at once here, within a second on other instances).
   */
  private readonly remembered: BoundedCache<RememberedMembership, 'user'>;
  private readonly unsubscribe: () => void;

  constructor(
    @InjectRepository(OrganizationEntity) private readonly organizations: Repository<OrganizationEntity>,
    @InjectRepository(OrganizationRoleEntity) private readonly customRoles: Repository<OrganizationRoleEntity>,
    @Inject(FABRIC_RESOLVED_OPTIONS) options: ResolvedFabricAuthOptions,
    private readonly revocations: Revocations,
    private readonly transactions: FabricTransactions,
    clock: FabricClock,
  ) {
    this.remembered = new BoundedCache<RememberedMembership, 'user'>({
      max: MAX_REMEMBERED_MEMBERSHIPS,
      ttl: options.principalCacheTtl * 1000,
      now: () => clock.now(),
      indexBy: { user: (entry) => entry.userId },
    });
    this.unsubscribe = revocations.subscribe((event) => {
      if (event.type === 'principal') this.remembered.deleteIndexed('user', event.principalId);
      else if (event.type === 'all') this.remembered.clear();
    });
    this.template = options.organizations.roles;
    this.grantable = new Set<string>([...ORG_PERMISSIONS, ...options.permissions]);
    const problems = Object.entries(this.template).flatMap(([role, permissions]) =>
      permissions
        .filter((p) => !this.grantable.has(p))
        .map((p) =>
          (BUILT_IN_PERMISSIONS as readonly string[]).includes(p)
            ? `auth.organizations.roles.${role}: "${p}" is a platform permission; org roles hold org:* and the app's own permissions`
            : `auth.organizations.roles.${role}: "${p}" is not a registered permission (declare it in auth.permissions, or in code with appPermissions)`,
        ),
    );
    if (problems.length > 0) throw new FabricConfigError(problems);
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  /** The organization a path names by id or slug; null when there is none (or the text names nothing). */
  find(ref: string, tx?: FabricTransaction): Promise<OrganizationEntity | null> {
    const named = orgRefOf(ref);
    return named ? (tx?.manager ?? this.organizations.manager).findOneBy(OrganizationEntity, named) : Promise.resolve(null);
  }

  /**
   * The organization `ref` names (id or slug) and the user's membership there, in one
   * statement: the organization's row joined to the user's membership (its unique index),
   * that membership's roles (their primary key) and, for the organization's own roles among
   * them, their permissions. Null when `ref` names no organization; `member` null when the
   * user (or no user) is not a member.
   */
  async membership(ref: string, userId: string | null): Promise<{ organization: OrganizationEntity; member: MemberStanding | null } | null> {
    const named = orgRefOf(ref);
    if (!named) return null;
    const query = this.organizations.createQueryBuilder('o').where(named.slug !== undefined ? 'o.slug = :slug' : 'o.id = :id', named);
    if (userId === null) {
      const organization = await query.getOne();
      return organization ? { organization, member: null } : null;
    }
    // Taken before the read: a revocation heard while it runs, or (SQLite) a transaction open
    // while it runs, whose rows it may have seen uncommitted, keeps its answer from being remembered.
    const epoch = this.remembered.currentEpoch;
    const mark = this.transactions.committedReadMark();
    // On every request naming an organization other than the token's: its SQL rendered once, its row mapped directly (the lean read path).
    const { entities, raw } = (await readRows(
      query
        .leftJoin(OrganizationMemberEntity, 'm', 'm.organizationId = o.id AND m.userId = :userId', { userId })
        .leftJoin(OrganizationMemberRoleEntity, 'r', 'r.memberId = m.id')
        .leftJoin(OrganizationRoleEntity, 'c', 'c.organizationId = o.id AND c.name = r.role')
        .addSelect('m.id', 'fabric_member_id')
        .addSelect('r.role', 'fabric_role')
        .addSelect('c.permissions', 'fabric_role_permissions')
        .orderBy('r.role', 'ASC'),
    )) as { entities: OrganizationEntity[]; raw: { fabric_member_id: string | null; fabric_role: string | null; fabric_role_permissions: string | null }[] };
    const organization = entities[0];
    if (!organization) return null;
    const memberId = raw[0]?.fabric_member_id ?? null;
    if (memberId === null) return { organization, member: null };
    const roles: string[] = [];
    const permissions = new Set<string>();
    for (const row of raw) {
      if (row.fabric_role === null) continue;
      roles.push(row.fabric_role);
      // A role the organization defined, else the template's (a name is never both); one neither grants nothing.
      const granted = row.fabric_role_permissions !== null ? (JSON.parse(row.fabric_role_permissions) as string[]) : (this.template[row.fabric_role] ?? []);
      for (const permission of granted) permissions.add(permission);
    }
    const member: MemberStanding = { id: memberId, roles: Object.freeze(roles), permissions };
    if (this.transactions.readWasCommitted(mark)) {
      const remembered = { userId, organization: Object.freeze({ id: organization.id, slug: organization.slug }), mfaRequired: organization.mfaRequired, member };
      this.remembered.set(membershipKey(userId, named), remembered, epoch);
    }
    return { organization, member };
  }

  /**
   * The caller in the organization `ref` names, refused unless they may do what `need` says.
   * When it is the organization the caller's token acts in, their roles there are the ones the
   * guard resolved with the principal (kept current by revocation, as `@OrgScoped()` routes
   * rely on): no statement at all.
   */
  async standing(actor: Principal, ref: string, need: OrgNeed): Promise<OrgStanding> {
    const named = orgRefOf(ref);
    if (actor.kind === 'user' && named) {
      const active = actor.org;
      if (active && (named.id !== undefined ? active.id === named.id : active.slug === named.slug)) {
        return this.allowed({ organization: { id: active.id, slug: active.slug }, actor, roles: active.roles, permissions: active.permissions, asPlatformAdmin: false }, need);
      }
      const remembered = this.revocations.cachesTrusted() ? this.remembered.get(membershipKey(actor.id, named)) : undefined;
      if (remembered !== undefined) return this.judged(actor, remembered.organization, remembered.mfaRequired, remembered.member, need);
    }
    return this.standingWithRow(actor, ref, need);
  }

  /** As `standing`, with the organization's row (one statement: see `membership`). */
  async standingWithRow(actor: Principal, ref: string, need: OrgNeed): Promise<OrgStandingWithRow> {
    const found = await this.membership(ref, actor.kind === 'user' ? actor.id : null);
    if (!found) throw fabricError('organization_not_found', 'Organization not found');
    return this.judged(actor, found.organization, found.organization.mfaRequired, found.member, need);
  }

  /** The caller's standing in `organization` from their membership there (null: none), or the refusal. */
  private judged<O extends Pick<OrganizationEntity, 'id' | 'slug'>>(
    actor: Principal,
    organization: O,
    mfaRequired: boolean,
    member: MemberStanding | null,
    need: OrgNeed,
  ): OrgStanding & { organization: O } {
    const platformAdmin = principalHasPermission(actor, 'orgs:manage');
    if (!member) {
      if (platformAdmin) return { organization, actor, roles: [], permissions: new Set(), asPlatformAdmin: true };
      if (need === 'view' && principalHasPermission(actor, 'orgs:list')) return { organization, actor, roles: [], permissions: new Set(), asPlatformAdmin: false };
      throw fabricError('organization_not_found', 'Organization not found');
    }
    // As at the organization grant: a member acts in an organization requiring a second factor
    // only with a session whose login used one (API keys never qualify); platform admins act
    // through orgs:manage, not as members.
    if (mfaRequired && !platformAdmin && !actor.amr?.includes('mfa')) {
      throw fabricError('mfa_required', 'This organization requires a session signed in with a second factor');
    }
    return this.allowed({ organization, actor, roles: member.roles, permissions: member.permissions, asPlatformAdmin: false }, need);
  }

  /** A member's standing, if their roles there allow what `need` says (or the global `orgs:manage` does). */
  private allowed<S extends OrgStanding>(standing: S, need: OrgNeed): S {
    if (need === 'view' || need === 'member') return standing;
    const { actor, roles, permissions } = standing;
    // A user's API key reads an organization as its owner may, and changes nothing there: keys
    // carry global scopes only, and org-owned service accounts are the machine credential of an
    // organization.
    if (actor.authMethod !== 'api_key' && (need === 'owner' ? roles.includes(OWNER_ROLE) : permissions.has(need))) return standing;
    if (principalHasPermission(actor, 'orgs:manage')) return { ...standing, asPlatformAdmin: true };
    if (actor.authMethod === 'api_key') throw fabricError('permission_denied', 'An API key only reads organizations; changes need a session');
    throw fabricError('permission_denied', need === 'owner' ? 'Only an owner of the organization may do this' : `Missing organization permission: ${need}`);
  }

  /** The roles the template and the organization define, by name; those named that exist. */
  async roles(organizationId: string, names: readonly string[], tx?: FabricTransaction): Promise<OrgRole[]> {
    const fromTemplate = names.filter((n) => n in this.template).map((name) => ({ name, description: null, permissions: [...this.template[name]], fromTemplate: true }));
    const others = names.filter((n) => !(n in this.template));
    const custom = others.length ? await (tx?.manager ?? this.customRoles.manager).find(OrganizationRoleEntity, { where: { organizationId, name: In(others) } }) : [];
    return [...fromTemplate, ...custom.map((r) => ({ name: r.name, description: r.description, permissions: r.permissions, fromTemplate: false }))];
  }

  /** The roles named, or a 400 naming the ones that do not exist in that organization. */
  async existingRoles(organizationId: string, names: readonly string[], tx?: FabricTransaction): Promise<OrgRole[]> {
    const unique = [...new Set(names)];
    const found = await this.roles(organizationId, unique, tx);
    const missing = unique.filter((n) => !found.some((r) => r.name === n));
    if (missing.length > 0) throw fabricError('invalid_request', `Unknown organization roles: ${missing.join(', ')}`);
    return found;
  }

  async permissionsOf(organizationId: string, roleNames: readonly string[], tx?: FabricTransaction): Promise<Set<string>> {
    return new Set((await this.roles(organizationId, roleNames, tx)).flatMap((r) => r.permissions));
  }

  templateRoles(): OrgRole[] {
    return Object.entries(this.template).map(([name, permissions]) => ({ name, description: null, permissions: [...permissions], fromTemplate: true }));
  }

  isTemplateRole(name: string): boolean {
    return name in this.template;
  }

  /** Permissions an org role may not grant (neither `org:*` nor the app's own). */
  ungrantable(permissions: Iterable<string>): string[] {
    return [...new Set(permissions)].filter((p) => !this.grantable.has(p));
  }

  /**
   * The org ceiling: nobody grants (or takes away) an org role holding more than they hold in
   * that organization, and only an owner hands out or takes away `owner`. A platform admin is
   * above it.
   */
  assertMayGrant(standing: OrgStanding, roles: readonly OrgRole[], what: string): void {
    if (standing.asPlatformAdmin) return;
    const missing = [...new Set(roles.flatMap((r) => r.permissions))].filter((p) => !standing.permissions.has(p)).sort();
    if (missing.length > 0) throw fabricError('permission_denied', `Cannot ${what}: you do not hold ${missing.join(', ')} in this organization`);
    if (roles.some((r) => r.name === OWNER_ROLE) && !standing.roles.includes(OWNER_ROLE)) {
      throw fabricError('permission_denied', `Cannot ${what}: only an owner hands out or takes away the owner role`);
    }
  }

  /** The members holding a role in an organization, counted (the last-owner rule). */
  async holders(tx: FabricTransaction, organizationId: string, role: string): Promise<number> {
    return tx.manager.countBy(OrganizationMemberRoleEntity, { organizationId, role });
  }
}
