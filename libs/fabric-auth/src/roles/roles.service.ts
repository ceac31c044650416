import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { FabricClock } from '../common/clock.js';
import { FABRIC_RESOLVED_OPTIONS } from '../fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../fabric-auth.options.js';
import { FABRIC_REVOCATION_BUS } from '../fabric-auth.constants.js';
import type { FabricRevocationBus } from '../sessions/revocation-bus.js';
import { RoleAssignmentEntity } from './role-assignment.entity.js';
import { RoleEntity } from './role.entity.js';

export interface RoleGrant {
  roles: string[];
  permissions: Set<string>;
}

@Injectable()
export class RolesService {
  constructor(
    @InjectRepository(RoleEntity) private readonly roles: Repository<RoleEntity>,
    @InjectRepository(RoleAssignmentEntity) private readonly assignments: Repository<RoleAssignmentEntity>,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    @Inject(FABRIC_REVOCATION_BUS) private readonly bus: FabricRevocationBus,
    private readonly clock: FabricClock,
  ) {}

  /** Role names and their permissions, unioned, for a user or a service account. */
  async grantsOf(principal: { userId: string } | { serviceAccountId: string }): Promise<RoleGrant> {
    const where = 'userId' in principal ? { userId: principal.userId } : { serviceAccountId: principal.serviceAccountId };
    const rows = await this.assignments.find({ where, relations: { role: true } });
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
    let changed = false;
    for (const [name, permissions] of declared) {
      const wanted = [...new Set(permissions)].sort();
      const current = byName.get(name);
      if (!current) {
        await this.roles.insert({ name, permissions: wanted, fromConfig: true, description: null, createdAt: now, updatedAt: now });
      } else if (JSON.stringify(current.permissions) !== JSON.stringify(wanted) || !current.fromConfig) {
        await this.roles.update({ id: current.id }, { permissions: wanted, fromConfig: true, updatedAt: now });
        changed = true;
      }
    }
    if (changed) await this.bus.publish({ type: 'all' });
  }

  /** Replaces a user's roles with the named ones (which must exist). */
  async assignToUser(userId: string, roleNames: readonly string[]): Promise<void> {
    const roles = roleNames.length ? await this.roles.find({ where: { name: In([...roleNames]) } }) : [];
    const missing = roleNames.filter((n) => !roles.some((r) => r.name === n));
    if (missing.length > 0) throw new Error(`unknown roles: ${missing.join(', ')}`);
    await this.assignments.manager.transaction(async (tx) => {
      await tx.delete(RoleAssignmentEntity, { userId });
      const createdAt = new Date(this.clock.now());
      if (roles.length > 0) {
        await tx.insert(
          RoleAssignmentEntity,
          roles.map((r) => ({ roleId: r.id, userId, serviceAccountId: null, createdAt })),
        );
      }
    });
    await this.bus.publish({ type: 'principal', principalId: userId });
  }
}
