import { BadRequestException } from '@nestjs/common';
import type { RoleEntity } from './role.entity.js';
import { type RolesService, UnknownRolesError } from './roles.service.js';

/** The roles a request names; an unknown name is the client's mistake (400). */
export async function rolesNamedInRequest(roles: RolesService, names: readonly string[]): Promise<RoleEntity[]> {
  try {
    return await roles.findByNames(names);
  } catch (error) {
    if (error instanceof UnknownRolesError) throw new BadRequestException(`Unknown roles: ${error.names.join(', ')}`);
    throw error;
  }
}

/** Roles added or removed between two assignments: the ones the grant ceiling must cover. */
export function changedRoles(next: readonly RoleEntity[], current: readonly RoleEntity[]): RoleEntity[] {
  const inNext = new Set(next.map((r) => r.id));
  const inCurrent = new Set(current.map((r) => r.id));
  return [...next.filter((r) => !inCurrent.has(r.id)), ...current.filter((r) => !inNext.has(r.id))];
}
