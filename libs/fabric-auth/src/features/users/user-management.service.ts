import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type FindOptionsWhere, type Repository } from 'typeorm';
import { AuditService, userOnSelf } from '../../data/audit.service.js';
import { isSelf } from '../../access/accounts/account-ceiling.service.js';
import { requireHoldsAll, requireInteractive } from '../../access/permissions/access-rules.js';
import { FabricClock } from '../../core/clock.js';
import { isUniqueViolation } from '../../data/db-errors.js';
import { ListPager } from '../../data/pagination/list-pager.js';
import { prefixSections } from '../../data/pagination/prefix.js';
import { columnOf } from '../../data/pagination/list-request.js';
import { type ListEnvelope, type ListQueryDto } from '../../data/pagination/list-query.js';
import { FabricTransactions } from '../../data/transactions.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { responseOf } from '../../http/request-response.js';
import { PasswordAttempts } from '../../access/limits/password-attempts.service.js';
import { OneTimeTokensService } from '../../access/tokens/one-time-tokens.service.js';
import { PasswordHasher } from '../../access/passwords/password-hasher.js';
import type { Principal } from '../../core/principal.js';
import { type RoleEntity } from '../../schema/entities/role.entity.js';
import { changedRoles, roleRemovedMeanwhile, rolesNamedInRequest } from '../../access/accounts/role-changes.js';
import { RolesService } from '../../access/accounts/roles.service.js';
import { SessionEntity } from '../../schema/entities/session.entity.js';
import { SessionsService } from '../../access/sessions/sessions.service.js';
import type { ChangePasswordDto, CreateUserDto, ListUsersQueryDto, SessionDto, UpdateUserDto, UserDto } from './dto/user.dto.js';
import { normalizeEmail, normalizeUsername } from '../../core/identity-normalization.js';
import { PrincipalNames } from '../../data/principal-names.js';
import { UserEntity } from '../../schema/entities/user.entity.js';
import { UsersService } from '../../access/accounts/users.service.js';
import { UserLookup } from '../../access/accounts/user-lookup.js';
import { isUuid } from '../../core/ids.js';
import { fabricError } from '../../core/fabric-error.js';

const USER_SORTS = {
  created_at: { property: 'createdAt' },
  username: { property: 'username', unique: true },
  email: { property: 'email', unique: true, nullable: true },
} as const;

export function toUserDto(user: UserEntity, roles: string[]): UserDto {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    full_name: user.fullName,
    is_active: user.isActive,
    email_verified: user.emailVerified,
    roles,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
    last_login_at: user.lastLoginAt?.toISOString() ?? null,
  };
}

function permissionsOf(roles: RoleEntity[]): string[] {
  return roles.flatMap((r) => r.permissions);
}

/**
 * The rules of the users API: who may see and change whom, and what each change revokes.
 *
 * @publicApi
 */
@Injectable()
export class UserManagementService {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectRepository(SessionEntity) private readonly sessionRows: Repository<SessionEntity>,
    private readonly accounts: UsersService,
    private readonly roles: RolesService,
    private readonly sessions: SessionsService,
    private readonly passwords: PasswordHasher,
    private readonly oneTimeTokens: OneTimeTokensService,
    private readonly audit: AuditService,
    private readonly clock: FabricClock,
    private readonly pager: ListPager,
    private readonly transactions: FabricTransactions,
    private readonly attempts: PasswordAttempts,
    private readonly lookup: UserLookup,
    private readonly names: PrincipalNames,
  ) {}

  async list(query: ListUsersQueryDto): Promise<ListEnvelope<UserDto>> {
    // Prefix match on the stored (normalised) values.
    const prefix = query.q === undefined ? undefined : normalizeUsername(query.q);
    // With `q` and no sort, the list comes in match order: username matches by username, then
    // email-only matches by email (code point order) — each a range of a prefix index read in
    // index order, so a prefix matching a tenth of the table costs what a rare one does.
    // Any other order over a prefix has no index that serves both: a bounded search (ListRequest.search).
    const matchOrder = prefix !== undefined && query.sort === undefined;
    const sortName = matchOrder ? 'match' : (query.sort ?? 'created_at');
    const field = (matchOrder ? 'username' : sortName.replace(/^-/, '')) as keyof typeof USER_SORTS;
    // Only what an entry shows (toUserDto): no admin flag or password change time read and parsed on every row.
    const base = this.users
      .createQueryBuilder('u')
      .select(['u.id', 'u.username', 'u.email', 'u.fullName', 'u.isActive', 'u.emailVerified', 'u.createdAt', 'u.updatedAt', 'u.lastLoginAt']);
    if (query.is_active !== undefined) base.andWhere('u.isActive = :isActive', { isActive: query.is_active === 'true' });
    const ranges = prefix === undefined ? undefined : prefixSections(base, ['username', 'email'], prefix);
    return this.pager.page(
      base,
      {
        list: 'users',
        sortName,
        sort: { ...USER_SORTS[field], descending: sortName.startsWith('-') },
        sections: matchOrder ? ranges : undefined,
        search: matchOrder ? undefined : ranges,
        filters: { q: prefix, is_active: query.is_active },
        query,
        attach: this.roles.roleNamesColumn('user', columnOf(base, 'id')),
      },
      async (rows, attached) => {
        if (attached) return rows.map((u, n) => toUserDto(u, attached[n].sort()));
        const roles = await this.roles.roleNamesOfUsers(rows.map((u) => u.id));
        return rows.map((u) => toUserDto(u, roles.get(u.id) ?? []));
      },
    );
  }

  async get(actor: Principal, username: string): Promise<UserDto> {
    const target = await this.lookup.target(username, actor, 'users:read');
    return this.view(target);
  }

  async create(actor: Principal, dto: CreateUserDto, request?: HttpRequestLike): Promise<UserDto> {
    const roles = await rolesNamedInRequest(this.roles, dto.roles ?? []);
    requireHoldsAll(actor, permissionsOf(roles), 'grant these roles');
    if (dto.password !== undefined) this.checkPolicy(dto.password, dto.username, dto.email);
    await this.assertFree(dto.username, dto.email);
    const passwordHash = dto.password !== undefined ? await this.passwords.hash(dto.password) : undefined;
    let user: UserEntity;
    try {
      // The row, its roles, its activation token and its audit event: all or nothing.
      user = await this.transactions.run(async (tx) => {
        const created = await this.accounts.create({ username: dto.username, email: dto.email, fullName: dto.full_name ?? null, roles: roles.map((r) => r.name) }, tx);
        if (passwordHash !== undefined) {
          await this.accounts.setPasswordHash(created.id, passwordHash, tx);
          created.passwordHash = passwordHash;
        } else await this.oneTimeTokens.issueAndSend(created, 'activation', tx);
        await this.audit.recordIn(tx, {
          action: 'user.create',
          outcome: 'success',
          actor,
          target: { type: 'user', id: created.id },
          request,
          details: { username: created.username, roles: roles.map((r) => r.name).join(','), activation_required: dto.password === undefined },
        });
        return created;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw fabricError('already_exists', 'A user with this username or email already exists');
      throw roleRemovedMeanwhile(error) ?? error;
    }
    return toUserDto(user, roles.map((r) => r.name).sort());
  }

  async update(actor: Principal, username: string, dto: UpdateUserDto, request?: HttpRequestLike): Promise<UserDto> {
    const target = await this.lookup.target(username);
    await this.lookup.requireMayAdminister(actor, target);
    const changes: Partial<UserEntity> = {};
    if (dto.username !== undefined && dto.username !== target.username) changes.username = normalizeUsername(dto.username);
    if (dto.email !== undefined && normalizeEmail(dto.email) !== target.email) {
      // Where reset links go is a credential: API keys may not move it without an explicit scope.
      requireInteractive(actor, 'change an email', 'users:modify');
      changes.email = normalizeEmail(dto.email);
      changes.emailVerified = false;
      if (actor.kind === 'user' && actor.id === target.id) await this.requireCurrentPassword(target, dto.current_password, 403, request);
    }
    if (dto.full_name !== undefined) changes.fullName = dto.full_name;
    let newRoles: RoleEntity[] | undefined;
    if (dto.roles !== undefined) {
      newRoles = await rolesNamedInRequest(this.roles, dto.roles, { change: true });
      const current = await this.roles.heldBy({ userId: target.id });
      const changed = changedRoles(newRoles, current);
      requireHoldsAll(actor, permissionsOf(changed), 'change these roles');
    }
    await this.assertFree(changes.username, changes.email, target.id);
    try {
      await this.transactions.run(async (tx) => {
        if (Object.keys(changes).length > 0) {
          if (changes.username !== undefined) await this.names.claim(tx, changes.username, { kind: 'user', id: target.id });
          await tx.manager.update(UserEntity, { id: target.id }, { ...changes, updatedAt: new Date(this.clock.now()) });
        }
        // A link mailed to the old address must not outlive the change.
        if (changes.email !== undefined) await this.oneTimeTokens.voidAll(target.id, tx);
        if (newRoles)
          await this.roles.assign(
            { userId: target.id },
            newRoles.map((r) => r.name),
            tx,
          );
        else if (Object.keys(changes).length > 0) await this.accounts.forgetCachedPrincipal(target.id, tx);
        await this.audit.recordIn(tx, {
          action: 'user.modify',
          outcome: 'success',
          actor,
          target: { type: 'user', id: target.id },
          request,
          details: { fields: [...Object.keys(changes), ...(newRoles ? ['roles'] : [])].join(',') },
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw fabricError('already_exists', 'A user with this username or email already exists');
      throw roleRemovedMeanwhile(error) ?? error;
    }
    return this.view((await this.users.findOneBy({ id: target.id }))!);
  }

  /**
   * Sends a link that proves the account's owner reads its email (self, or users:modify
   * holding all the account holds). An email change voids any link sent before it.
   */
  async requestEmailVerification(actor: Principal, username: string, request?: HttpRequestLike): Promise<void> {
    const target = await this.lookup.target(username, actor, 'users:modify');
    await this.lookup.requireMayAdminister(actor, target);
    if (!target.isActive) throw fabricError('account_state_conflict', 'The account is deactivated');
    if (!target.email) throw fabricError('account_state_conflict', 'The account has no email');
    if (target.emailVerified) throw fabricError('account_state_conflict', 'The email is already verified');
    await this.transactions.run(async (tx) => {
      // The link goes to the address the row holds once locked: an email changed since the read
      // above would otherwise get a live link mailed to the old address (SEC-116).
      await this.transactions.lock(tx, UserEntity, target.id);
      const current = await tx.manager.findOneBy(UserEntity, { id: target.id });
      if (!current || current.email !== target.email || current.emailVerified) throw fabricError('account_state_conflict', 'The email changed meanwhile; ask again');
      await this.oneTimeTokens.issueAndSend(current, 'email_verification', tx);
      await this.audit.recordIn(tx, { action: 'user.email_verification.request', outcome: 'success', actor, target: { type: 'user', id: target.id }, request });
    });
  }

  async setActive(actor: Principal, username: string, active: boolean, request?: HttpRequestLike): Promise<UserDto> {
    const target = await this.lookup.target(username);
    await this.lookup.requireMayAdminister(actor, target);
    if (!active && target.isSystemAdmin && target.isActive) {
      const activeAdmins = await this.users.countBy({ isSystemAdmin: true, isActive: true });
      if (activeAdmins <= 1) throw fabricError('last_system_admin', 'The last active system admin cannot be deactivated');
    }
    await this.transactions.run(async (tx) => {
      if (active) await this.accounts.reactivate(target.id, tx);
      else {
        await this.accounts.deactivate(target.id, tx);
        await this.oneTimeTokens.voidAll(target.id, tx);
      }
      await this.audit.recordIn(tx, {
        action: active ? 'user.reactivate' : 'user.deactivate',
        outcome: 'success',
        actor,
        target: { type: 'user', id: target.id },
        request,
      });
    });
    return this.view((await this.users.findOneBy({ id: target.id }))!);
  }

  /** Self with the current password, or users:modify; every other session of the user ends. */
  async changePassword(actor: Principal, username: string, dto: ChangePasswordDto, request?: HttpRequestLike): Promise<void> {
    requireInteractive(actor, 'change a password', 'users:modify');
    // Permission before lookup: without it, an unknown and an existing name answer alike.
    const target = await this.lookup.target(username, actor, 'users:modify');
    const self = isSelf(actor, { kind: 'user', id: target.id });
    if (self) await this.requireCurrentPassword(target, dto.current_password, 400, request);
    else await this.lookup.requireMayAdminister(actor, target);
    this.checkPolicy(dto.new_password, target.username, target.email);
    const passwordHash = await this.passwords.hash(dto.new_password);
    // The new hash, the sessions it ends and the links it voids commit together.
    await this.transactions.run(async (tx) => {
      await this.accounts.setPasswordHash(target.id, passwordHash, tx);
      await this.oneTimeTokens.voidAll(target.id, tx);
      const revoked = await this.sessions.revokeAllOfUser(target.id, 'password_change', self ? (actor.sessionId ?? undefined) : undefined, tx);
      await this.audit.recordIn(tx, {
        action: 'user.password_change',
        outcome: 'success',
        actor,
        target: { type: 'user', id: target.id },
        request,
        details: { by: self ? 'self' : 'admin', sessions_revoked: revoked },
      });
    });
  }

  /** A new activation link for an account that has never set a password; older links die. */
  async resendActivation(actor: Principal, username: string, request: HttpRequestLike): Promise<void> {
    const target = await this.lookup.target(username);
    await this.lookup.requireMayAdminister(actor, target);
    if (!target.isActive) throw fabricError('account_state_conflict', 'The account is deactivated');
    if (await this.accounts.hasPassword(target.id)) throw fabricError('account_state_conflict', 'The account is already activated');
    await this.oneTimeTokens.issueAndSend(target, 'activation');
    await this.audit.record({ action: 'user.activation_resend', outcome: 'success', actor, target: { type: 'user', id: target.id }, request });
  }

  /** Clears a password-login lock before it expires (audited). */
  async unlock(actor: Principal, username: string, request?: HttpRequestLike): Promise<void> {
    const target = await this.lookup.target(username);
    await this.lookup.requireMayAdminister(actor, target);
    await this.attempts.unlock(actor, target, request);
  }

  async listSessions(actor: Principal, username: string, query: ListQueryDto): Promise<ListEnvelope<SessionDto>> {
    const userId = await this.lookup.targetId(username, actor, 'users:read');
    const now = new Date(this.clock.now());
    const base = this.sessionRows
      .createQueryBuilder('s')
      // Only what an entry shows: no refresh-token hash, or expiry and revocation state it does not show, read and parsed on every row.
      .select(['s.id', 's.createdAt', 's.lastUsedAt', 's.expiresAt', 's.ip', 's.userAgent', 's.loginMethod'])
      .where('s.userId = :userId', { userId })
      .andWhere('s.revokedAt IS NULL')
      .andWhere('s.expiresAt > :now', { now })
      .andWhere('s.absoluteExpiresAt > :now', { now });
    // The live set shrinks with time, so `now` is not part of what a cursor is bound to.
    return this.pager.page(base, { list: 'sessions', sortName: '-created_at', sort: { property: 'createdAt', descending: true }, filters: { user: userId }, query }, (rows) =>
      rows.map((s) => ({
        id: s.id,
        created_at: s.createdAt.toISOString(),
        last_used_at: s.lastUsedAt.toISOString(),
        expires_at: s.expiresAt.toISOString(),
        ip: s.ip,
        user_agent: s.userAgent,
        login_method: s.loginMethod,
        current: s.id === actor.sessionId,
      })),
    );
  }

  async revokeSession(actor: Principal, username: string, sessionId: string, request?: HttpRequestLike): Promise<void> {
    const target = await this.lookup.target(username, actor, 'users:modify');
    await this.lookup.requireMayAdminister(actor, target);
    const live = isUuid(sessionId) ? await this.sessionRows.findOneBy({ id: sessionId, userId: target.id, revokedAt: IsNull() }) : null;
    if (!live) throw fabricError('session_not_found', 'Session not found');
    await this.transactions.run(async (tx) => {
      await this.sessions.revoke(sessionId, 'revoked', tx);
      await this.audit.recordIn(tx, { action: 'session.revoke', outcome: 'success', actor, target: { type: 'session', id: sessionId }, request });
    });
  }

  async revokeAllSessions(actor: Principal, username: string, request: HttpRequestLike): Promise<number> {
    const target = await this.lookup.target(username, actor, 'users:modify');
    await this.lookup.requireMayAdminister(actor, target);
    return this.transactions.run(async (tx) => {
      const revoked = await this.sessions.revokeAllOfUser(target.id, 'revoked', undefined, tx);
      await this.audit.recordIn(tx, {
        action: 'session.revoke_all',
        outcome: 'success',
        actor,
        target: { type: 'user', id: target.id },
        request,
        details: { sessions_revoked: revoked },
      });
      return revoked;
    });
  }

  private async view(user: UserEntity): Promise<UserDto> {
    const roles = await this.roles.roleNamesOfUsers([user.id]);
    return toUserDto(user, roles.get(user.id) ?? []);
  }

  private checkPolicy(password: string, username?: string, email?: string | null): void {
    const problem = this.passwords.policyViolation(password, { username, email });
    if (problem) throw fabricError('invalid_request', problem);
  }

  /**
   * A current password is checked like a login (SEC-80): the same lockout and per-address
   * limit, the hash bounded per account, each failure audited as a `login.failure`.
   */
  private async requireCurrentPassword(
    target: UserEntity,
    currentPassword: string | undefined,
    status: 400 | 403,
    // App code calling without a request: its checks count as coming from one in-process client.
    request: HttpRequestLike = { headers: {} },
  ): Promise<void> {
    const fail = (message: string) => fabricError(status === 400 ? 'invalid_request' : 'permission_denied', message);
    if (currentPassword === undefined) throw fail('current_password is required');
    const { passwordHash, passwordChangedAt } = (await this.users.findOne({ where: { id: target.id }, select: { id: true, passwordHash: true, passwordChangedAt: true } }))!;
    const check = await this.attempts.check({
      user: { id: target.id, username: target.username, passwordHash, passwordChangedAt },
      accountKey: target.id,
      password: currentPassword,
      request,
      response: responseOf(request),
      deviceToken: this.attempts.presentedDevice(request),
    });
    if (check.matches && !check.refused) return;
    await this.audit.record({
      action: 'login.failure',
      outcome: 'failure',
      ...userOnSelf(target),
      request,
      details: { reason: check.refused ? 'locked' : 'bad_password', check: 'current_password' },
    });
    throw fail('current_password is incorrect');
  }

  private async assertFree(username: string | undefined, email: string | null | undefined, exceptId?: string): Promise<void> {
    const clashes: FindOptionsWhere<UserEntity>[] = [];
    if (username) clashes.push({ username: normalizeUsername(username) });
    if (email) clashes.push({ email: normalizeEmail(email) });
    if (clashes.length === 0) return;
    const found = await this.users.find({ where: clashes, select: { id: true, username: true, email: true } });
    const other = found.find((u) => u.id !== exceptId);
    if (!other) return;
    throw fabricError('already_exists', username && other.username === normalizeUsername(username) ? 'Username already exists' : 'Email already in use');
  }
}
