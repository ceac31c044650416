import type { RoleEntity } from '../../schema/entities/role.entity.js';
import { type RolesService, UnknownRolesError } from './roles.service.js';
import { FabricError, fabricError } from '../../core/fabric-error.js';

/**
 * The roles a request names. An unknown name in a new account is bad input (400); in a change
 * of an existing account's roles it is a 404, the answer an assignment gets when the role was
 * deleted just before it (SEC-110: a race with a delete ends in 200, 404 or 409).
 */
export async function rolesNamedInRequest(roles: RolesService, names: readonly string[], { change = false }: { change?: boolean } = {}): Promise<RoleEntity[]> {
  try {
    return await roles.findByNames(names);
  } catch (error) {
    if (!(error instanceof UnknownRolesError)) throw error;
    const message = `Unknown roles: ${error.names.join(', ')}`;
    throw change ? fabricError('role_not_found', message) : fabricError('invalid_request', message);
  }
}

/** Roles added or removed between two assignments: the ones the grant ceiling must cover. */
export function changedRoles(next: readonly RoleEntity[], current: readonly RoleEntity[]): RoleEntity[] {
  const inNext = new Set(next.map((r) => r.id));
  const inCurrent = new Set(current.map((r) => r.id));
  return [...next.filter((r) => !inCurrent.has(r.id)), ...current.filter((r) => !inNext.has(r.id))];
}

/**
 * A role the request named existed when it was checked and was deleted before the assignment
 * committed (SEC-110): the request lost a race, which is a 409, never a 500.
 */
export function roleRemovedMeanwhile(error: unknown): FabricError | undefined {
  return error instanceof UnknownRolesError ? fabricError('concurrent_change', `Roles deleted meanwhile: ${error.names.join(', ')}`, { cause: error }) : undefined;
}
