import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Not } from 'typeorm';
import { AuditService } from '../../data/audit.service.js';
import { FabricClock } from '../../core/clock.js';
import { isUniqueViolation } from '../../data/db-errors.js';
import { INVISIBLE_CHARACTERS } from '../../core/field-rules.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { type FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { RolesService, UnknownRolesError } from '../../access/accounts/roles.service.js';
import { normalizeEmail, normalizeUsername } from '../../core/identity-normalization.js';
import { UserEntity } from '../../schema/entities/user.entity.js';
import { UsersService } from '../../access/accounts/users.service.js';
import { SessionsService } from '../../access/sessions/sessions.service.js';
import type { OidcProvider } from './oidc-clients.js';
import { OidcLoginFailure } from './oidc-login.error.js';
import { UserIdentityEntity } from '../../schema/entities/user-identity.entity.js';

/** What a login learnt about the person, from the validated ID token and UserInfo. */
export interface OidcProfile {
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  preferredUsername: string | null;
  /** Values of the provider's `role_claim`, if configured. */
  roleClaimValues: string[];
  /** The ID token's `amr` (RFC 8176 method names only); absent when the provider sent none. */
  amr?: string[];
}

const USERNAME_BASE_LENGTH = 40;
const MAX_EMAIL_LENGTH = 320;
const MAX_NAME_LENGTH = 200;

/** `Élodie.Martin@corp` → `elodie.martin`: ASCII, lower case, the characters usernames allow. */
function usernameSlug(raw: string): string {
  const local = raw.includes('@') ? raw.slice(0, raw.indexOf('@')) : raw;
  return local
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, USERNAME_BASE_LENGTH)
    .replace(/[_.-]+$/, '');
}

/** The first usable of preferred_username, the email's local part and the name; else `user`. */
export function usernameBase(profile: Pick<OidcProfile, 'preferredUsername' | 'email' | 'name'>): string {
  for (const candidate of [profile.preferredUsername, profile.email, profile.name]) {
    const slug = candidate ? usernameSlug(candidate) : '';
    if (slug.length >= 2) return slug;
  }
  return 'user';
}

/**
 * Maps an identity at a provider to a local account: the linked one, an existing account
 * with the same verified email (only when the provider allows it), or a new one (JIT).
 * Then keeps name, email and claim-mapped roles in step with the provider.
 */
@Injectable()
export class OidcAccounts {
  private readonly logger = new Logger('FabricOidc');

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly roles: RolesService,
    private readonly audit: AuditService,
    private readonly clock: FabricClock,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly transactions: FabricTransactions,
  ) {}

  /**
   * The active local user this identity logs in as; throws `OidcLoginFailure` otherwise.
   * Everything a login writes (the account, its link, its roles, the profile sync and
   * their audit events) is one transaction; losing a race to a concurrent first login
   * of the same person (a unique key taken) starts over and finds what it created.
   */
  async resolve(provider: OidcProvider, profile: OidcProfile, request: HttpRequestLike): Promise<UserEntity> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.transactions.run((tx) => this.resolveIn(tx, provider, profile, request));
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= 2) throw error;
      }
    }
  }

  private async resolveIn(tx: FabricTransaction, provider: OidcProvider, profile: OidcProfile, request: HttpRequestLike): Promise<UserEntity> {
    const identity = await tx.manager.findOne(UserIdentityEntity, { where: { issuer: profile.issuer, subject: profile.subject } });
    let user = identity ? await tx.manager.findOne(UserEntity, { where: { id: identity.userId } }) : null;
    let created = false;
    if (!user) {
      user = await this.linkableAccount(tx, provider, profile);
      if (user) {
        this.requireActive(user);
        await this.link(tx, provider, profile, user, 'verified_email', request);
      } else {
        await this.refuseSecondAccount(tx, profile);
        if (!provider.options.jitProvisioning) throw new OidcLoginFailure('no_linked_account');
        user = await this.provision(tx, provider, profile, request);
        created = true;
      }
    }
    this.requireActive(user);
    if (!created) await this.syncProfile(tx, user, profile);
    await this.syncRoles(tx, provider, user.id, profile, created);
    await tx.manager.update(UserIdentityEntity, { issuer: profile.issuer, subject: profile.subject }, { lastLoginAt: new Date(this.clock.now()) });
    return user;
  }

  /**
   * Adds the identity of a fresh login at the provider to the signed-in user who asked for
   * it, as long as that user's session is still live and no other account has the identity.
   */
  async linkToSignedInUser(provider: OidcProvider, profile: OidcProfile, link: { userId: string; sessionId: string }, request: HttpRequestLike): Promise<UserEntity> {
    const user = await this.users.findById(link.userId);
    if (!user || !(await this.sessions.isLive(link.sessionId, link.userId))) throw new OidcLoginFailure('link_session_ended');
    this.requireActive(user);
    try {
      await this.transactions.run(async (tx) => {
        const identity = await tx.manager.findOne(UserIdentityEntity, { where: { issuer: profile.issuer, subject: profile.subject } });
        if (identity) {
          if (identity.userId === user.id) return;
          throw new OidcLoginFailure('identity_in_use', `linked to user ${identity.userId}`, user);
        }
        await this.link(tx, provider, profile, user, 'signed_in', request);
      });
    } catch (error) {
      // A concurrent login or link took the identity first.
      if (isUniqueViolation(error)) throw new OidcLoginFailure('identity_in_use', 'lost a race', user);
      throw error;
    }
    return user;
  }

  /**
   * A person whose provider vouches for an email that a local account already holds gets
   * `account_exists` instead of a second account: they sign in to that account and link
   * the identity there (an unverified local email is never linked automatically).
   */
  private async refuseSecondAccount(tx: FabricTransaction, profile: OidcProfile): Promise<void> {
    if (!profile.emailVerified || !profile.email) return;
    const holder = await tx.manager.findOne(UserEntity, { where: { email: normalizeEmail(profile.email) }, select: { id: true } });
    if (holder) throw new OidcLoginFailure('account_exists', `email held by user ${holder.id}`);
  }

  private requireActive(user: UserEntity): void {
    if (!user.isActive) throw new OidcLoginFailure('account_inactive', `user ${user.id}`, user);
  }

  /**
   * Linking by email hands the account to whoever controls that address at the provider,
   * so both sides must have verified it, the provider must be trusted for it
   * (`link_verified_email`), and the system admin is never linked.
   */
  private async linkableAccount(tx: FabricTransaction, provider: OidcProvider, profile: OidcProfile): Promise<UserEntity | null> {
    if (!provider.options.linkVerifiedEmail || !profile.emailVerified || !profile.email) return null;
    const local = await tx.manager.findOne(UserEntity, { where: { email: normalizeEmail(profile.email) } });
    if (!local || !local.emailVerified || local.isSystemAdmin) return null;
    const linkedElsewhere = await tx.manager.exists(UserIdentityEntity, { where: { userId: local.id, issuer: profile.issuer } });
    return linkedElsewhere ? null : local;
  }

  private async link(tx: FabricTransaction, provider: OidcProvider, profile: OidcProfile, user: UserEntity, how: string, request: HttpRequestLike): Promise<void> {
    await tx.manager.insert(UserIdentityEntity, {
      userId: user.id,
      provider: provider.name,
      issuer: profile.issuer,
      subject: profile.subject,
      email: profile.email?.slice(0, MAX_EMAIL_LENGTH) ?? null,
      createdAt: new Date(this.clock.now()),
      lastLoginAt: null,
    });
    await this.audit.recordIn(tx, {
      action: 'oidc.identity.link',
      outcome: 'success',
      actor: { kind: 'user', id: user.id, username: user.username },
      target: { type: 'user', id: user.id },
      request,
      details: { provider: provider.name, via: how },
    });
  }

  private async provision(tx: FabricTransaction, provider: OidcProvider, profile: OidcProfile, request: HttpRequestLike): Promise<UserEntity> {
    const email = profile.emailVerified && profile.email ? await this.freeEmail(tx, profile.email) : null;
    const fullName = profile.name?.slice(0, MAX_NAME_LENGTH) ?? null;
    const user = await this.users.create({ username: await this.freeUsername(tx, usernameBase(profile)), email, fullName, emailVerified: email !== null }, tx);
    await this.audit.recordIn(tx, {
      action: 'user.create',
      outcome: 'success',
      actor: null,
      target: { type: 'user', id: user.id },
      request,
      details: { username: user.username, via: 'oidc_jit', provider: provider.name },
    });
    await this.link(tx, provider, profile, user, 'jit', request);
    return user;
  }

  private async freeUsername(tx: FabricTransaction, base: string): Promise<string> {
    const reserved = normalizeUsername(this.options.systemAdminUsername);
    for (let n = 1; n <= 10; n++) {
      const candidate = n === 1 ? base : `${base}-${n}`;
      if (candidate !== reserved && !(await tx.manager.exists(UserEntity, { where: { username: normalizeUsername(candidate) } }))) return candidate;
    }
    return `${base}-${randomBytes(4).toString('hex')}`;
  }

  /** The normalised email when it has nothing invisible, fits, and no other account has it; else null. */
  private async freeEmail(tx: FabricTransaction, raw: string, exceptUserId?: string): Promise<string | null> {
    const email = normalizeEmail(raw);
    // A provider's address is held to the rules of one typed here: a twin that reads as another account's is not kept.
    if (email.length > MAX_EMAIL_LENGTH || INVISIBLE_CHARACTERS.test(email)) return null;
    const taken = await tx.manager.exists(UserEntity, { where: exceptUserId ? { email, id: Not(exceptUserId) } : { email } });
    return taken ? null : email;
  }

  /** Name always; email only when the provider verified it and no other account has it. */
  private async syncProfile(tx: FabricTransaction, user: UserEntity, profile: OidcProfile): Promise<void> {
    const changes: Partial<UserEntity> = {};
    const fullName = profile.name?.slice(0, MAX_NAME_LENGTH);
    if (fullName && fullName !== user.fullName) changes.fullName = fullName;
    if (profile.emailVerified && profile.email && normalizeEmail(profile.email) !== user.email) {
      const email = await this.freeEmail(tx, profile.email, user.id);
      if (email) Object.assign(changes, { email, emailVerified: true });
    }
    if (Object.keys(changes).length === 0) return;
    // An email another account took meanwhile is a unique violation: the login starts over and skips it.
    await tx.manager.update(UserEntity, { id: user.id }, { ...changes, updatedAt: new Date(this.clock.now()) });
    Object.assign(user, changes);
    await this.users.forgetCachedPrincipal(user.id, tx);
  }

  /**
   * A role named in `role_mapping` belongs to the mapping: the user holds it exactly when
   * the claim maps to it, re-evaluated at every login. Other roles are left alone, except
   * that a user created by this login also gets `default_roles`.
   */
  private async syncRoles(tx: FabricTransaction, provider: OidcProvider, userId: string, profile: OidcProfile, created: boolean): Promise<void> {
    const { defaultRoles, roleMapping } = provider.options;
    const managed = new Set(Object.values(roleMapping).flat());
    if (managed.size === 0 && (!created || defaultRoles.length === 0)) return;
    const mapped = profile.roleClaimValues.flatMap((value) => (Object.hasOwn(roleMapping, value) ? roleMapping[value]! : []));
    const current = (await this.roles.grantsOf({ userId }, tx)).roles;
    const wanted = new Set([...current, ...(created ? defaultRoles : [])].filter((role) => !managed.has(role)));
    for (const role of mapped) wanted.add(role);
    const next = await this.existingRoles(tx, provider, [...wanted]);
    if (next.length === current.length && next.every((role) => current.includes(role))) return;
    await this.roles.assign({ userId }, next, tx);
  }

  /** A role named in the provider's config but deleted since is skipped (and logged), not fatal. */
  private async existingRoles(tx: FabricTransaction, provider: OidcProvider, names: string[]): Promise<string[]> {
    try {
      await this.roles.findByNames(names, tx);
      return names;
    } catch (error) {
      if (!(error instanceof UnknownRolesError)) throw error;
      this.logger.warn(`auth.providers.${provider.name}: roles ${error.names.join(', ')} do not exist; not granted`);
      return names.filter((name) => !error.names.includes(name));
    }
  }
}
