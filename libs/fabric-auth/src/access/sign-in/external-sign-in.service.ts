import { randomBytes } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Not } from 'typeorm';
import { AuditService, userOnSelf } from '../../data/audit.service.js';
import { FabricClock } from '../../core/clock.js';
import { isUniqueViolation } from '../../data/db-errors.js';
import { INVISIBLE_CHARACTERS } from '../../core/field-rules.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { type FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { RolesService, UnknownRolesError } from '../accounts/roles.service.js';
import { normalizeEmail, normalizeUsername } from '../../core/identity-normalization.js';
import { UserEntity } from '../../schema/entities/user.entity.js';
import { UsersService } from '../accounts/users.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { UserIdentityEntity } from '../../schema/entities/user-identity.entity.js';
import { type ExternalIdentity, ExternalSignInRefused, type OrganizationSignIn, type SignInProvider } from '../../core/ports/sign-in-provider.js';
import { SecondFactor } from '../../core/ports/second-factor.js';
import { OrganizationAccess } from '../../core/ports/organization-access.js';
import { sha256 } from '../../core/crypto.js';
import type { TokenPair } from '../../core/token-pair.js';
import { SessionOpener } from './session-opener.js';

/** What the provider's protocol proved beyond the identity. */
export interface ExternalProof {
  /** RFC 8176 methods of this sign-in (`fed`, and the provider's own when they count); `mfa` when it was multi-factor. */
  amr: string[];
  /** A local second factor completes this sign-in whenever the user has one (OIDC's `mfa: local`). */
  localFactorDue: boolean;
  /** The provider's session, kept on ours for its logout (OIDC: `sid` and the ID token). */
  session: { subject: string; sid: string | null; idToken: string | null };
}

/** A session (tokens), or a second step still due (`mfa`: complete it at the token endpoint). */
export type ExternalSignInResult =
  { user: UserEntity; tokens: TokenPair; mfa?: undefined } | { user: UserEntity; mfa: { mfaToken: string; factors: string[] }; tokens?: undefined };

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
export function usernameBase(profile: Pick<ExternalIdentity, 'preferredUsername' | 'email' | 'name'>): string {
  for (const candidate of [profile.preferredUsername, profile.email, profile.name]) {
    const slug = candidate ? usernameSlug(candidate) : '';
    if (slug.length >= 2) return slug;
  }
  return 'user';
}

/**
 * The identity as the core keys and trusts it. Through an organization's own connection the
 * issuer is that connection's (an organization admin names the IdP, its entity id and its
 * certificate, so an issuer string alone proves nothing: another connection, or a configured
 * provider, with the same issuer never shares its identities), and an email outside the
 * organization's verified domains counts as unverified.
 */
function organizationScoped(provider: SignInProvider, profile: ExternalIdentity): ExternalIdentity {
  const organization = provider.organization;
  if (!organization) return profile;
  const domain = profile.email
    ? domainToASCII(
        profile.email
          .slice(profile.email.lastIndexOf('@') + 1)
          .toLowerCase()
          .replace(/\.$/, ''),
      )
    : '';
  const trusted = profile.emailVerified && domain !== '' && organization.emailDomains.includes(domain);
  return {
    ...profile,
    issuer: `urn:fabric:org-connection:${organization.connectionId}:${sha256(profile.issuer, 'base64url')}`,
    emailVerified: trusted,
  };
}

/**
 * The one account-resolution path of every sign-in provider (OIDC today, SAML next): maps a
 * verified external identity to a local account — the linked one, an existing account with
 * the same verified email (only when the provider allows it), or a new one (JIT) — keeps
 * name, email and group-mapped roles in step with the provider, then asks the `SecondFactor`
 * port and opens the session. Refusals are `ExternalSignInRefused` with a stable reason.
 */
@Injectable()
export class ExternalSignIn {
  private readonly logger = new Logger('FabricSignIn');

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly roles: RolesService,
    private readonly audit: AuditService,
    private readonly clock: FabricClock,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly transactions: FabricTransactions,
    private readonly opener: SessionOpener,
    @Inject(SecondFactor) private readonly secondFactor: SecondFactor,
    @Inject(OrganizationAccess) private readonly organizations: OrganizationAccess,
  ) {}

  /**
   * A sign-in at `provider`: the account (`resolve`), then the second factor when one is due
   * (a local factor when the provider's own method does not count, `localFactorDue`, or when
   * the policy demands one the provider did not vouch for), then the session. A `required_for`
   * holder without a factor gets the enrolment-only session a password login would (SEC-113).
   */
  async signIn(provider: SignInProvider, identity: ExternalIdentity, request: HttpRequestLike, proof: ExternalProof): Promise<ExternalSignInResult> {
    const user = await this.resolve(provider, identity, request);
    // An organization admin chose the IdP of an organization's connection: its word, MFA claims
    // included, never stands in for a factor the person enrolled here (email linking would hand it over).
    const localFactorDue = proof.localFactorDue || provider.organization !== undefined;
    const next = await this.secondFactor.afterFirstFactor(
      user,
      { method: 'fed', localFactorDue, multiFactor: proof.amr.includes('mfa'), details: { provider: provider.name } },
      request,
    );
    if (next.step === 'challenge') return { user, mfa: { mfaToken: next.mfaToken, factors: next.factors } };
    // `locked` is a password sign-in's only; a factor due that this server does not offer refuses the sign-in.
    if (next.step === 'unavailable' || next.step === 'locked') throw new ExternalSignInRefused('second_factor_unavailable', `user ${user.id}`, user);
    const required = next.step === 'enrol';
    const tokens = await this.opener.open(
      user,
      provider.protocol,
      request,
      { provider: provider.name, ...(required && { mfa_enrollment_required: true }) },
      { amr: proof.amr, ...(required && { restriction: 'mfa_enrollment' }), provider: { provider: provider.name, ...proof.session } },
    );
    return { user, tokens };
  }

  /**
   * The active local user this identity logs in as; throws `ExternalSignInRefused` otherwise.
   * Everything a login writes (the account, its link, its roles, the profile sync and
   * their audit events) is one transaction; losing a race to a concurrent first login
   * of the same person (a unique key taken) starts over and finds what it created.
   */
  async resolve(provider: SignInProvider, vouched: ExternalIdentity, request: HttpRequestLike): Promise<UserEntity> {
    const profile = organizationScoped(provider, vouched);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.transactions.run((tx) => this.resolveIn(tx, provider, profile, request));
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= 2) throw error;
      }
    }
  }

  private async resolveIn(tx: FabricTransaction, provider: SignInProvider, profile: ExternalIdentity, request: HttpRequestLike): Promise<UserEntity> {
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
        if (!provider.accounts.jitProvisioning) throw new ExternalSignInRefused('no_linked_account');
        user = await this.provision(tx, provider, profile, request);
        created = true;
      }
    }
    this.requireActive(user);
    if (!created) await this.syncProfile(tx, user, profile);
    await this.syncRoles(tx, provider, user.id, profile, created);
    if (provider.organization) await this.joinOrganization(tx, provider.organization, user, profile, request);
    await tx.manager.update(UserIdentityEntity, { issuer: profile.issuer, subject: profile.subject }, { lastLoginAt: new Date(this.clock.now()) });
    return user;
  }

  /** A sign-in through an organization's connection makes the person a member there, with the org roles its mapping gives. */
  private async joinOrganization(tx: FabricTransaction, organization: OrganizationSignIn, user: UserEntity, profile: ExternalIdentity, request: HttpRequestLike): Promise<void> {
    const { roleMapping } = organization;
    await this.organizations.joinThroughConnection(tx, {
      organizationId: organization.organizationId,
      connectionId: organization.connectionId,
      user: { id: user.id, username: user.username },
      mappedRoles: [...new Set(profile.groups.flatMap((value) => (Object.hasOwn(roleMapping, value) ? roleMapping[value] : [])))],
      managedRoles: [...new Set(Object.values(roleMapping).flat())],
      request,
    });
  }

  /**
   * Adds the identity of a fresh login at the provider to the signed-in user who asked for
   * it, as long as that user's session is still live and no other account has the identity.
   */
  async linkToSignedInUser(provider: SignInProvider, vouched: ExternalIdentity, link: { userId: string; sessionId: string }, request: HttpRequestLike): Promise<UserEntity> {
    const profile = organizationScoped(provider, vouched);
    const user = await this.users.findById(link.userId);
    if (!user || !(await this.sessions.isLive(link.sessionId, link.userId))) throw new ExternalSignInRefused('link_session_ended');
    this.requireActive(user);
    try {
      await this.transactions.run(async (tx) => {
        const identity = await tx.manager.findOne(UserIdentityEntity, { where: { issuer: profile.issuer, subject: profile.subject } });
        if (identity) {
          if (identity.userId === user.id) return;
          throw new ExternalSignInRefused('identity_in_use', `linked to user ${identity.userId}`, user);
        }
        await this.link(tx, provider, profile, user, 'signed_in', request);
      });
    } catch (error) {
      // A concurrent login or link took the identity first.
      if (isUniqueViolation(error)) throw new ExternalSignInRefused('identity_in_use', 'lost a race', user);
      throw error;
    }
    return user;
  }

  /**
   * A person whose provider vouches for an email that a local account already holds gets
   * `account_exists` instead of a second account: they sign in to that account and link
   * the identity there (an unverified local email is never linked automatically).
   */
  private async refuseSecondAccount(tx: FabricTransaction, profile: ExternalIdentity): Promise<void> {
    if (!profile.emailVerified || !profile.email) return;
    const holder = await tx.manager.findOne(UserEntity, { where: { email: normalizeEmail(profile.email) }, select: { id: true } });
    if (holder) throw new ExternalSignInRefused('account_exists', `email held by user ${holder.id}`);
  }

  private requireActive(user: UserEntity): void {
    if (!user.isActive) throw new ExternalSignInRefused('account_inactive', `user ${user.id}`, user);
  }

  /**
   * Linking by email hands the account to whoever controls that address at the provider,
   * so both sides must have verified it, the provider must be trusted for it
   * (`link_verified_email`), and the system admin is never linked. An organization's own
   * connection is trusted by that organization's admin alone: it never links an account
   * holding a global permission (powers outside the organization); that person signs in
   * their usual way and links the identity themselves.
   */
  private async linkableAccount(tx: FabricTransaction, provider: SignInProvider, profile: ExternalIdentity): Promise<UserEntity | null> {
    if (!provider.accounts.linkVerifiedEmail || !profile.emailVerified || !profile.email) return null;
    const local = await tx.manager.findOne(UserEntity, { where: { email: normalizeEmail(profile.email) } });
    if (!local || !local.emailVerified || local.isSystemAdmin) return null;
    if (provider.organization && (await this.roles.grantsOf({ userId: local.id }, tx)).permissions.size > 0) return null;
    const linkedElsewhere = await tx.manager.exists(UserIdentityEntity, { where: { userId: local.id, issuer: profile.issuer } });
    return linkedElsewhere ? null : local;
  }

  private async link(tx: FabricTransaction, provider: SignInProvider, profile: ExternalIdentity, user: UserEntity, how: string, request: HttpRequestLike): Promise<void> {
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
      action: `${provider.protocol}.identity.link`,
      outcome: 'success',
      ...userOnSelf(user),
      request,
      details: { provider: provider.name, via: how },
    });
  }

  private async provision(tx: FabricTransaction, provider: SignInProvider, profile: ExternalIdentity, request: HttpRequestLike): Promise<UserEntity> {
    const email = profile.emailVerified && profile.email ? await this.freeEmail(tx, profile.email) : null;
    const fullName = profile.name?.slice(0, MAX_NAME_LENGTH) ?? null;
    const user = await this.users.create({ username: await this.freeUsername(tx, usernameBase(profile)), email, fullName, emailVerified: email !== null }, tx);
    await this.audit.recordIn(tx, {
      action: 'user.create',
      outcome: 'success',
      actor: null,
      target: { type: 'user', id: user.id },
      request,
      details: { username: user.username, via: `${provider.protocol}_jit`, provider: provider.name },
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
  private async syncProfile(tx: FabricTransaction, user: UserEntity, profile: ExternalIdentity): Promise<void> {
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
  private async syncRoles(tx: FabricTransaction, provider: SignInProvider, userId: string, profile: ExternalIdentity, created: boolean): Promise<void> {
    const { defaultRoles, roleMapping } = provider.accounts;
    const managed = new Set(Object.values(roleMapping).flat());
    if (managed.size === 0 && (!created || defaultRoles.length === 0)) return;
    const mapped = profile.groups.flatMap((value) => (Object.hasOwn(roleMapping, value) ? roleMapping[value] : []));
    const current = (await this.roles.grantsOf({ userId }, tx)).roles;
    const wanted = new Set([...current, ...(created ? defaultRoles : [])].filter((role) => !managed.has(role)));
    for (const role of mapped) wanted.add(role);
    const next = await this.existingRoles(tx, provider, [...wanted]);
    if (next.length === current.length && next.every((role) => current.includes(role))) return;
    await this.roles.assign({ userId }, next, tx);
  }

  /** A role named in the provider's config but deleted since is skipped (and logged), not fatal. */
  private async existingRoles(tx: FabricTransaction, provider: SignInProvider, names: string[]): Promise<string[]> {
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
