import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { FabricClock } from '../../core/clock.js';
import { dialectFor } from '../../data/pagination/dialect.js';
import { ListPager } from '../../data/pagination/list-pager.js';
import type { ListEnvelope, ListQueryDto } from '../../data/pagination/list-query.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { type FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import { ServiceAccountEntity } from '../../schema/entities/service-account.entity.js';
import { Revocations } from '../sessions/revocations.js';
import { UserEntity } from '../../schema/entities/user.entity.js';
import { providerRoleReferences } from '../../options/provider-roles.js';
import { RoleAssignmentEntity } from '../../schema/entities/role-assignment.entity.js';
import { RoleEntity } from '../../schema/entities/role.entity.js';
import { quotedTableName } from '../../schema/table-name.js';
import { FabricError, fabricError } from '../../core/fabric-error.js';

export interface RoleGrant {
  roles: string[];
  permissions: Set<string>;
}

/** @publicApi */
@Injectable()
export class RolesService {
  constructor(
    @InjectRepository(RoleEntity) private readonly roles: Repository<RoleEntity>,
    @InjectRepository(RoleAssignmentEntity) private readonly assignments: Repository<RoleAssignmentEntity>,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly clock: FabricClock,
    private readonly pager: ListPager,
    private readonly transactions: FabricTransactions,
    private readonly revocations: Revocations,
  ) {}

  /** Role names and their permissions, unioned, for a user or a service account. */
  async grantsOf(principal: { userId: string } | { serviceAccountId: string }, tx?: FabricTransaction): Promise<RoleGrant> {
    const where = 'userId' in principal ? { userId: principal.userId } : { serviceAccountId: principal.serviceAccountId };
    const rows = await (tx?.manager ?? this.assignments.manager).find(RoleAssignmentEntity, { where, relations: { role: true } });
    const roles: string[] = [];
    const permissions = new Set<string>();
    for (const row of rows) {
      if (!row.role) continue;
      roles.push(row.role.name);
      for (const permission of row.role.permissions) permissions.add(permission);
    }
    return { roles: roles.sort(), permissions };
  }

  /** Creates or rewrites the roles declared in config (`auth.roles`). */
  async syncConfigRoles(): Promise<void> {
    const declared = Object.entries(this.options.roles);
    if (declared.length === 0) return;
    const existing = await this.roles.find({ where: { name: In(declared.map(([name]) => name)) } });
    const byName = new Map(existing.map((r) => [r.name, r]));
    const now = new Date(this.clock.now());
    await this.transactions.run(async (tx) => {
      let changed = false;
      for (const [name, permissions] of declared) {
        const wanted = [...new Set(permissions)].sort();
        const current = byName.get(name);
        if (!current) {
          await tx.manager.insert(RoleEntity, { name, permissions: wanted, fromConfig: true, description: null, createdAt: now, updatedAt: now });
        } else if (JSON.stringify(current.permissions) !== JSON.stringify(wanted) || !current.fromConfig) {
          await tx.manager.update(RoleEntity, { id: current.id }, { permissions: wanted, fromConfig: true, updatedAt: now });
          changed = true;
        }
      }
      if (changed) await this.revocations.revoke(tx, { type: 'all' });
    });
  }

  /**
   * The named roles, or an `UnknownRolesError` naming the missing ones. With `lock` (inside
   * `tx`, PostgreSQL), the rows are key-share locked until it ends: a concurrent delete of one
   * waits for the assignment to commit (and then removes it with the role), or has committed
   * and the role is reported missing — never an assignment to a role that is gone (SEC-110).
   */
  async findByNames(names: readonly string[], tx?: FabricTransaction, { lock = false }: { lock?: boolean } = {}): Promise<RoleEntity[]> {
    const unique = [...new Set(names)];
    const keyShare = lock && tx !== undefined && this.transactions.isPostgres;
    const roles = unique.length
      ? await (tx?.manager ?? this.roles.manager).find(RoleEntity, { where: { name: In(unique) }, ...(keyShare ? { lock: { mode: 'for_key_share' as const } } : {}) })
      : [];
    const missing = unique.filter((n) => !roles.some((r) => r.name === n));
    if (missing.length > 0) throw new UnknownRolesError(missing);
    return roles;
  }

  /**
   * Replaces a user's (or service account's) roles with the named ones, which must exist.
   * The holder's row is locked first (PostgreSQL), so concurrent replacements run one after
   * the other and the last one's set is what stays — never a union, never a duplicate key.
   */
  async assign(holder: { userId: string } | { serviceAccountId: string }, roleNames: readonly string[], tx?: FabricTransaction): Promise<void> {
    const userId = 'userId' in holder ? holder.userId : null;
    const serviceAccountId = 'serviceAccountId' in holder ? holder.serviceAccountId : null;
    await this.transactions.run(async (inner) => {
      await this.transactions.lock(inner, userId ? UserEntity : ServiceAccountEntity, (userId ?? serviceAccountId)!);
      const roles = await this.findByNames(roleNames, inner, { lock: true });
      await inner.manager.delete(RoleAssignmentEntity, userId ? { userId } : { serviceAccountId: serviceAccountId! });
      const createdAt = new Date(this.clock.now());
      if (roles.length > 0) {
        await inner.manager.insert(
          RoleAssignmentEntity,
          roles.map((r) => ({ roleId: r.id, userId, serviceAccountId, createdAt })),
        );
      }
      await this.revocations.revoke(inner, { type: 'principal', principalId: (userId ?? serviceAccountId)! });
    }, tx);
  }

  assignToUser(userId: string, roleNames: readonly string[], tx?: FabricTransaction): Promise<void> {
    return this.assign({ userId }, roleNames, tx);
  }

  /** The roles a user or service account holds now (a role deleted meanwhile is simply not among them). */
  async heldBy(holder: { userId: string } | { serviceAccountId: string }): Promise<RoleEntity[]> {
    const rows = await this.assignments.find({ where: holder, relations: { role: true } });
    return rows.flatMap((row) => (row.role ? [row.role] : []));
  }

  /** Role names per user, for a page of users, in one query. */
  roleNamesOfUsers(userIds: readonly string[]): Promise<Map<string, string[]>> {
    return this.roleNamesOf('userId', userIds);
  }

  roleNamesOfServiceAccounts(ids: readonly string[]): Promise<Map<string, string[]>> {
    return this.roleNamesOf('serviceAccountId', ids);
  }

  /**
   * The role names of the user (or service account) whose id is `holderId` (an SQL column, e.g.
   * `"u"."id"`), as a scalar subquery for a list page's own statement (ListRequest.attach): the
   * page and its rows' roles in one round trip. Sorted by the reader, as roleNamesOf sorts them.
   */
  roleNamesColumn(holder: 'user' | 'serviceAccount', holderId: string): string {
    const source = this.assignments.manager.connection;
    const column = holder === 'user' ? 'user_id' : 'service_account_id';
    return dialectFor(source).jsonArrayOf(
      'fabric_r.name',
      `FROM ${quotedTableName(source, RoleAssignmentEntity)} fabric_ra JOIN ${quotedTableName(source, RoleEntity)} fabric_r ON fabric_r.id = fabric_ra.role_id WHERE fabric_ra.${column} = ${holderId}`,
      false,
    );
  }

  /**
   * One hand-written statement, rows as the driver gives them: a list page reads this on every
   * request, and building it with TypeORM and hydrating each assignment and its role cost more
   * than the round trip itself.
   */
  private async roleNamesOf(column: 'userId' | 'serviceAccountId', ids: readonly string[]): Promise<Map<string, string[]>> {
    const byHolder = new Map<string, string[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return byHolder;
    const source = this.assignments.manager.connection;
    const dialect = dialectFor(source);
    const holder = column === 'userId' ? 'user_id' : 'service_account_id';
    const placeholders = ids.map((_, n) => dialect.placeholder(n + 1)).join(', ');
    const rows: { holder: string; name: string }[] = await source.query(
      `SELECT ra.${holder} AS holder, r.name AS name FROM ${quotedTableName(source, RoleAssignmentEntity)} ra JOIN ${quotedTableName(source, RoleEntity)} r ON r.id = ra.role_id WHERE ra.${holder} IN (${placeholders})`,
      [...ids],
    );
    for (const row of rows) byHolder.get(row.holder)?.push(row.name);
    for (const names of byHolder.values()) names.sort();
    return byHolder;
  }

  list<T>(query: ListQueryDto, map: (rows: RoleEntity[]) => T[]): Promise<ListEnvelope<T>> {
    const base = this.roles.createQueryBuilder('r');
    return this.pager.page(base, { list: 'roles', sortName: 'name', sort: { property: 'name', descending: false, unique: true }, filters: {}, query }, map);
  }

  findByName(name: string): Promise<RoleEntity | null> {
    return this.roles.findOne({ where: { name } });
  }

  async create(input: { name: string; description?: string; permissions: string[] }, tx?: FabricTransaction): Promise<RoleEntity> {
    const now = new Date(this.clock.now());
    const role = this.roles.create({
      name: input.name,
      description: input.description ?? null,
      permissions: [...new Set(input.permissions)].sort(),
      fromConfig: false,
      createdAt: now,
      updatedAt: now,
    });
    await (tx?.manager ?? this.roles.manager).insert(RoleEntity, role);
    return role;
  }

  /** Changing a role's permissions bites every holder's next request, on every instance. */
  async update(role: RoleEntity, changes: { description?: string; permissions?: string[] }, tx?: FabricTransaction): Promise<RoleEntity> {
    const patch: Partial<RoleEntity> = { updatedAt: new Date(this.clock.now()) };
    if (changes.description !== undefined) patch.description = changes.description;
    if (changes.permissions !== undefined) patch.permissions = [...new Set(changes.permissions)].sort();
    await this.transactions.run(async (inner) => {
      await inner.manager.update(RoleEntity, { id: role.id }, patch);
      await this.revocations.revoke(inner, { type: 'all' });
    }, tx);
    return Object.assign(role, patch);
  }

  /** A role an SSO provider grants stays: deleting it would break that provider's logins. */
  async remove(role: RoleEntity, tx?: FabricTransaction): Promise<void> {
    const usedBy = providerRoleReferences(this.options.providers).find((r) => r.role === role.name);
    if (usedBy) throw fabricError('role_in_use', `Role ${role.name} is granted by ${usedBy.path}; change the configuration first`);
    await this.transactions.run(async (inner) => {
      await inner.manager.delete(RoleEntity, { id: role.id });
      await this.revocations.revoke(inner, { type: 'all' });
    }, tx);
  }
}

/** @publicApi */
export class UnknownRolesError extends FabricError {
  constructor(readonly names: string[]) {
    super('unknown_roles', `unknown roles: ${names.join(', ')}`);
  }
}
