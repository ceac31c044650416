import { Inject, Injectable } from '@nestjs/common';
import { FabricConfigError } from '../../options/fabric-config.error.js';
import { type ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';

/** Permissions the library's own routes check (names kept from fastapi-fabric-auth). */
export const BUILT_IN_PERMISSIONS = [
  'users:list',
  'users:read',
  'users:create',
  'users:modify',
  'users:deactivate',
  'roles:read',
  'roles:manage',
  'api_keys:list',
  'api_keys:create',
  'api_keys:revoke',
  'service_accounts:read',
  'service_accounts:create',
  'service_accounts:modify',
  'audit:read',
  'signing_keys:manage',
  'tokens:introspect',
  // Organizations (SPEC §15): create one, list all of them, act on any (a platform admin).
  'orgs:create',
  'orgs:list',
  'orgs:manage',
  // SCIM (SPEC §17): the platform's SCIM tokens, when organizations are off.
  'scim:manage',
  // Webhooks (SPEC §18): register, change and delete endpoints; read them and their deliveries.
  'webhooks:manage',
  'webhooks:read',
] as const;

/** Every permission a role or API-key scope may name: the built-in ones plus the host app's. */
@Injectable()
export class PermissionRegistry {
  private readonly known: ReadonlySet<string>;

  constructor(@Inject(FABRIC_RESOLVED_OPTIONS) options: ResolvedFabricAuthOptions) {
    this.known = new Set<string>([...BUILT_IN_PERMISSIONS, ...options.permissions]);
    const problems = Object.entries(options.roles).flatMap(([role, permissions]) =>
      permissions
        .filter((p) => !this.known.has(p))
        .map((p) => `auth.roles.${role}: "${p}" is not a registered permission (declare it in auth.permissions, or in code with appPermissions)`),
    );
    if (problems.length > 0) throw new FabricConfigError(problems);
  }

  has(permission: string): boolean {
    return this.known.has(permission);
  }

  unknown(permissions: Iterable<string>): string[] {
    return [...permissions].filter((p) => !this.known.has(p));
  }

  all(): string[] {
    return [...this.known].sort();
  }

  /** Every permission as a new set (what the system admin holds), without sorting: the cold-credential path builds one per principal. */
  allAsSet(): Set<string> {
    return new Set(this.known);
  }
}
