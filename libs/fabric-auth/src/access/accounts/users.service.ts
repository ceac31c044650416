import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { FabricClock } from '../../core/clock.js';
import { type FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import { PasswordHasher } from '../passwords/password-hasher.js';
import { RolesService } from './roles.service.js';
import { Revocations } from '../sessions/revocations.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { type CredentialChange, CredentialChangeHooks } from '../../core/ports/credential-change-hook.js';
import { UserCreationHooks } from '../../core/ports/user-creation-hook.js';
import { normalizeEmail, normalizeUsername } from '../../core/identity-normalization.js';
import { PrincipalNames } from '../../data/principal-names.js';
import { UserEntity } from '../../schema/entities/user.entity.js';
import { FabricError } from '../../core/fabric-error.js';

/**
 * A password the policy refuses (too short, common, over 72 bytes…); the message says why.
 *
 * @publicApi
 */
export class PasswordPolicyError extends FabricError {
  constructor(message: string) {
    super('password_policy', message);
  }
}

export interface CreateUserInput {
  username: string;
  email?: string | null;
  fullName?: string | null;
  /** Absent: the account stays unusable until activated. */
  password?: string;
  roles?: readonly string[];
  /** The email is known to belong to the user (an identity provider verified it). */
  emailVerified?: boolean;
}

/**
 * User accounts, for the library's controllers and for host apps.
 *
 * @publicApi
 */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly passwords: PasswordHasher,
    private readonly roles: RolesService,
    private readonly sessions: SessionsService,
    private readonly clock: FabricClock,
    private readonly transactions: FabricTransactions,
    private readonly revocations: Revocations,
    private readonly names: PrincipalNames,
    @Inject(CredentialChangeHooks) private readonly credentialHooks: CredentialChangeHooks,
    @Inject(UserCreationHooks) private readonly creationHooks: UserCreationHooks,
  ) {}

  /** In the change's transaction: what features keep of flows started under the old state dies with it (MFA: SEC-111). */
  private async credentialsChanged(manager: EntityManager, change: CredentialChange): Promise<void> {
    for (const hook of this.credentialHooks) await hook.credentialsChanged(manager, change);
  }

  findByUsername(username: string): Promise<UserEntity | null> {
    return this.users.findOne({ where: { username: normalizeUsername(username) } });
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOne({ where: { id } });
  }

  /** The account a login names (username, or email when it contains `@`), with its hash. */
  findForLogin(login: string): Promise<UserEntity | null> {
    const where = login.includes('@') ? { email: normalizeEmail(login) } : { username: normalizeUsername(login) };
    return this.users.findOne({ where, select: { id: true, username: true, email: true, isActive: true, isSystemAdmin: true, passwordHash: true, passwordChangedAt: true } });
  }

  /**
   * Creates a user with its roles, in `tx` when given (with what else the caller writes),
   * else in a transaction of its own. The password, when given, must pass the policy
   * (`PasswordPolicyError`) and is hashed before any transaction opens; an unknown role
   * (`UnknownRolesError`) writes nothing. A name held by a service account is a
   * ConflictException: principals share one namespace.
   */
  async create(input: CreateUserInput, tx?: FabricTransaction): Promise<UserEntity> {
    const username = normalizeUsername(input.username);
    const email = input.email ? normalizeEmail(input.email) : null;
    if (input.password !== undefined) this.requireAllowedPassword(input.password, { username, email });
    const passwordHash = input.password !== undefined ? await this.passwords.hash(input.password) : null;
    const now = new Date(this.clock.now());
    const user = this.users.create({
      username,
      email,
      fullName: input.fullName ?? null,
      passwordHash,
      isActive: true,
      isSystemAdmin: false,
      emailVerified: input.emailVerified ?? false,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
      passwordChangedAt: input.password !== undefined ? now : null,
    });
    await this.transactions.run(async (inner) => {
      for (const hook of this.creationHooks) await hook.beforeUserCreate(inner.manager, { username, email, fullName: user.fullName });
      await this.names.claim(inner, username);
      await inner.manager.insert(UserEntity, user);
      if (input.roles?.length) await this.roles.assignToUser(user.id, input.roles, inner);
    }, tx);
    return user;
  }

  private requireAllowedPassword(password: string, context: { username?: string; email?: string | null }): void {
    const problem = this.passwords.policyViolation(password, context);
    if (problem) throw new PasswordPolicyError(problem);
  }

  async recordLogin(userId: string, tx?: FabricTransaction): Promise<void> {
    await (tx?.manager ?? this.users.manager).update(UserEntity, { id: userId }, { lastLoginAt: new Date(this.clock.now()) });
  }

  /** Deactivates and revokes every session, in one transaction; the next request of any of them fails. */
  async deactivate(userId: string, tx?: FabricTransaction): Promise<void> {
    await this.transactions.run(async (inner) => {
      const now = new Date(this.clock.now());
      await inner.manager.update(UserEntity, { id: userId }, { isActive: false, updatedAt: now });
      await this.sessions.revokeAllOfUser(userId, 'user_deactivated', undefined, inner);
      await this.credentialsChanged(inner.manager, { userId, kind: 'deactivated', at: now });
      await this.revocations.revoke(inner, { type: 'principal', principalId: userId });
    }, tx);
  }

  /**
   * Replaces a hash by a re-hash of the same password (another algorithm or cost), only if
   * the stored hash is still `verified`: a password changed meanwhile is never overwritten.
   */
  async replacePasswordHash(userId: string, verified: string, passwordHash: string): Promise<void> {
    await this.users.update({ id: userId, passwordHash: verified }, { passwordHash });
  }

  /**
   * Sets a password after checking it against the policy (`PasswordPolicyError`); the caller
   * decides which sessions to revoke.
   */
  async setPassword(userId: string, password: string, tx?: FabricTransaction): Promise<void> {
    const account = await (tx?.manager ?? this.users.manager).findOne(UserEntity, { where: { id: userId }, select: { id: true, username: true, email: true } });
    if (!account) throw new Error(`no user with id ${userId}`);
    this.requireAllowedPassword(password, account);
    await this.setPasswordHash(userId, await this.passwords.hash(password), tx);
  }

  /** Stores a hash from `PasswordHasher.hash` (computed before the transaction, so hashing never holds one open). */
  async setPasswordHash(userId: string, passwordHash: string, tx?: FabricTransaction): Promise<void> {
    await this.transactions.run(async (inner) => {
      const now = new Date(this.clock.now());
      await inner.manager.update(UserEntity, { id: userId }, { passwordHash, passwordChangedAt: now, updatedAt: now });
      await this.credentialsChanged(inner.manager, { userId, kind: 'password_changed', at: now });
    }, tx);
  }

  async hasPassword(userId: string): Promise<boolean> {
    const row = await this.users.findOne({ where: { id: userId }, select: { id: true, passwordHash: true } });
    return typeof row?.passwordHash === 'string';
  }

  async markEmailVerified(userId: string, tx?: FabricTransaction): Promise<void> {
    await (tx?.manager ?? this.users.manager).update(UserEntity, { id: userId }, { emailVerified: true });
  }

  /** Drops cached principals of a user after a change to their identity fields (with `tx`, once it commits). */
  async forgetCachedPrincipal(userId: string, tx?: FabricTransaction): Promise<void> {
    await this.transactions.run((inner) => this.revocations.revoke(inner, { type: 'principal', principalId: userId }), tx);
  }

  async reactivate(userId: string, tx?: FabricTransaction): Promise<void> {
    await this.transactions.run(async (inner) => {
      await inner.manager.update(UserEntity, { id: userId }, { isActive: true, updatedAt: new Date(this.clock.now()) });
      await this.revocations.revoke(inner, { type: 'principal', principalId: userId });
    }, tx);
  }
}
