import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { FabricClock } from '../common/clock.js';
import { FABRIC_REVOCATION_BUS } from '../fabric-auth.constants.js';
import { PasswordHasher } from '../passwords/password-hasher.js';
import { RolesService } from '../roles/roles.service.js';
import type { FabricRevocationBus } from '../sessions/revocation-bus.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { normalizeEmail, normalizeUsername } from './identity-normalization.js';
import { UserEntity } from './user.entity.js';

export interface CreateUserInput {
  username: string;
  email?: string | null;
  fullName?: string | null;
  /** Absent: the account stays unusable until activated. */
  password?: string;
  roles?: readonly string[];
}

/** User accounts, for the library's controllers and for host apps. */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly passwords: PasswordHasher,
    private readonly roles: RolesService,
    private readonly sessions: SessionsService,
    private readonly clock: FabricClock,
    @Inject(FABRIC_REVOCATION_BUS) private readonly bus: FabricRevocationBus,
  ) {}

  findByUsername(username: string): Promise<UserEntity | null> {
    return this.users.findOne({ where: { username: normalizeUsername(username) } });
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOne({ where: { id } });
  }

  /** The account a login names (username, or email when it contains `@`), with its hash. */
  findForLogin(login: string): Promise<UserEntity | null> {
    const where = login.includes('@') ? { email: normalizeEmail(login) } : { username: normalizeUsername(login) };
    return this.users.findOne({ where, select: { id: true, username: true, email: true, isActive: true, isSystemAdmin: true, passwordHash: true } });
  }

  /** Creates a user; the password, when given, must pass the policy (else throws). */
  async create(input: CreateUserInput): Promise<UserEntity> {
    if (input.password !== undefined) {
      const problem = this.passwords.policyViolation(input.password);
      if (problem) throw new Error(problem);
    }
    const now = new Date(this.clock.now());
    const user = this.users.create({
      username: normalizeUsername(input.username),
      email: input.email ? normalizeEmail(input.email) : null,
      fullName: input.fullName ?? null,
      passwordHash: input.password !== undefined ? await this.passwords.hash(input.password) : null,
      isActive: true,
      isSystemAdmin: false,
      emailVerified: false,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
      passwordChangedAt: input.password !== undefined ? now : null,
    });
    await this.users.insert(user);
    if (input.roles?.length) await this.roles.assignToUser(user.id, input.roles);
    return user;
  }

  async recordLogin(userId: string): Promise<void> {
    await this.users.update({ id: userId }, { lastLoginAt: new Date(this.clock.now()) });
  }

  /** Deactivates and revokes every session; the next request of any of them fails. */
  async deactivate(userId: string): Promise<void> {
    await this.users.update({ id: userId }, { isActive: false, updatedAt: new Date(this.clock.now()) });
    await this.sessions.revokeAllOfUser(userId, 'user_deactivated');
    await this.bus.publish({ type: 'principal', principalId: userId });
  }

  /** Replaces the stored hash as is (a re-hash at the current cost). */
  async storePasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.users.update({ id: userId }, { passwordHash });
  }

  /** Sets a (policy-checked) password; the caller decides which sessions to revoke. */
  async setPassword(userId: string, password: string): Promise<void> {
    const now = new Date(this.clock.now());
    await this.users.update({ id: userId }, { passwordHash: await this.passwords.hash(password), passwordChangedAt: now, updatedAt: now });
  }

  async hasPassword(userId: string): Promise<boolean> {
    const row = await this.users.findOne({ where: { id: userId }, select: { id: true, passwordHash: true } });
    return typeof row?.passwordHash === 'string';
  }

  async markEmailVerified(userId: string): Promise<void> {
    await this.users.update({ id: userId }, { emailVerified: true });
  }

  /** Drops cached principals of a user after a change to their identity fields. */
  async forgetCachedPrincipal(userId: string): Promise<void> {
    await this.bus.publish({ type: 'principal', principalId: userId });
  }

  async reactivate(userId: string): Promise<void> {
    await this.users.update({ id: userId }, { isActive: true, updatedAt: new Date(this.clock.now()) });
    await this.bus.publish({ type: 'principal', principalId: userId });
  }
}
