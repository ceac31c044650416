import type { EntityManager } from 'typeorm';
import { fabricError } from '../fabric-error.js';
import type { Principal } from '../principal.js';
import type { HttpRequestLike } from '../request-info.js';

/**
 * A user's membership in one organization, as the organizations feature reads it now: what
 * an access token scoped to that organization may do there.
 */
export interface OrganizationMembership {
  organizationId: string;
  slug: string;
  /** The member's org roles (`owner`, `admin`, … and the organization's own). */
  roles: readonly string[];
  /** Their union: what `@RequirePermission()` checks under `@OrgScoped()`. */
  permissions: ReadonlySet<string>;
  /** The organization requires a second factor: only a session whose login used one acts in it. */
  mfaRequired: boolean;
}

/** A sign-in through an organization's own SSO connection, as the core hands it to the organization. */
export interface ConnectionJoin {
  organizationId: string;
  connectionId: string;
  user: { id: string; username: string };
  /** The org roles the connection's mapping gives this sign-in's claim values. */
  mappedRoles: readonly string[];
  /** Every org role the mapping names: held exactly when mapped, re-evaluated at each sign-in. */
  managedRoles: readonly string[];
  request?: HttpRequestLike;
}

/** The caller's transaction, as `FabricTransactions` hands it out (a port's caller passes its own). */
export interface PortTransaction {
  readonly manager: EntityManager;
  afterCommit(action: () => unknown): void;
}

/**
 * Port through which the core reaches organizations without knowing who keeps them (the
 * organizations feature; without it the core's `NoOrganizations`): switching a session's
 * active organization at the token endpoint (`grant_type=organization`), and resolving the
 * `org` of an access token into the principal's organization on the request's cold path.
 */
export interface OrganizationAccess {
  /** False when no organizations feature is mounted: `grant_type=organization` is then unsupported. */
  readonly available: boolean;
  /**
   * The user's membership in the organization a client names (its id or its slug), or null
   * when there is no such organization or the user is not a member: the two are never told
   * apart (no existence oracle).
   */
  membershipOf(userId: string, organization: string): Promise<OrganizationMembership | null>;
  /**
   * What a service account the organization `organizationId` owns may do there (its org roles
   * as they are now), or null when either is gone. Read on the cold path of its API key only.
   */
  serviceAccountMembership(serviceAccountId: string, organizationId: string): Promise<OrganizationMembership | null>;
  /**
   * Whether the user belongs to an organization that requires a second factor
   * (`mfa_required`): sign-in then treats them as `auth.mfa.required_for` would (a challenge when
   * they hold a factor, else an enrolment-only session).
   */
  requiresSecondFactor(userId: string): Promise<boolean>;
  /**
   * The organization a path names (id or slug) once `actor` may manage it there (`org:manage`,
   * or a platform admin's `orgs:manage`), answered as the organization's own routes answer: 404
   * for an unknown organization or a non-member, 403 for a member lacking it. For a feature's
   * routes under `/orgs/{org}/…` (SCIM tokens).
   */
  managedOrganization(actor: Principal, organization: string): Promise<{ id: string; slug: string }>;
  /**
   * SCIM provisioning (SPEC §17), in the caller's transaction: the user becomes a member with the
   * `member` role unless they already are one (their roles then stay). Their cached principals
   * are dropped on every instance once it commits.
   */
  provisionMember(tx: PortTransaction, organizationId: string, userId: string): Promise<void>;
  /**
   * SCIM deprovisioning, in the caller's transaction: the membership and its org roles go (the
   * organization's last owner stays: 409 `last_owner`); the user's tokens lose the organization
   * from their next request, on every instance. Nothing when they are no member.
   */
  deprovisionMember(tx: PortTransaction, organizationId: string, userId: string): Promise<void>;
  /**
   * SCIM group roles, in the caller's transaction: the member gains the org roles of `grant` that
   * the organization defines (template or its own; never `owner`) and loses those of `revoke`
   * (never `owner`). Nothing when they are no member.
   */
  changeProvisionedRoles(tx: PortTransaction, organizationId: string, userId: string, grant: readonly string[], revoke: readonly string[]): Promise<void>;
  /**
   * A sign-in through the organization's own connection (SPEC §16), in the sign-in's transaction:
   * a user not yet a member joins with `member` and the mapped roles the organization defines
   * (never `owner`); a member gains the mapped roles and loses the managed ones no longer mapped
   * (never `owner` nor `member`). Audited with the organization's id; cached principals dropped
   * on every instance. 404 `organization_not_found` when the organization is gone.
   */
  joinThroughConnection(tx: PortTransaction, join: ConnectionJoin): Promise<void>;
}

export const OrganizationAccess = Symbol('OrganizationAccess');

/** The core's default: no organizations, nobody is a member of any. */
export class NoOrganizations implements OrganizationAccess {
  readonly available = false;

  membershipOf(): Promise<OrganizationMembership | null> {
    return Promise.resolve(null);
  }

  serviceAccountMembership(): Promise<OrganizationMembership | null> {
    return Promise.resolve(null);
  }

  requiresSecondFactor(): Promise<boolean> {
    return Promise.resolve(false);
  }

  managedOrganization(): Promise<{ id: string; slug: string }> {
    return Promise.reject(fabricError('organization_not_found', 'Organization not found'));
  }

  provisionMember(): Promise<void> {
    return Promise.reject(fabricError('organization_not_found', 'Organization not found'));
  }

  deprovisionMember(): Promise<void> {
    return Promise.reject(fabricError('organization_not_found', 'Organization not found'));
  }

  changeProvisionedRoles(): Promise<void> {
    return Promise.reject(fabricError('organization_not_found', 'Organization not found'));
  }

  joinThroughConnection(): Promise<void> {
    return Promise.reject(fabricError('organization_not_found', 'Organization not found'));
  }
}
