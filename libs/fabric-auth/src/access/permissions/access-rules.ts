import type { Principal } from '../../core/principal.js';
import { fabricError } from '../../core/fabric-error.js';

/** Grant ceiling: nobody hands out a permission they do not hold (the system admin aside). */
export function requireHoldsAll(principal: Principal, permissions: Iterable<string>, what: string): void {
  if (principal.isSystemAdmin) return;
  const missing = [...permissions].filter((p) => !principal.permissions.has(p));
  if (missing.length > 0) {
    throw fabricError('permission_denied', `Cannot ${what}: you do not hold ${[...new Set(missing)].sort().join(', ')}`);
  }
}

/** Only the system admin touches the system admin's account. */
export function requireMayManage(principal: Principal, target: { isSystemAdmin: boolean }): void {
  if (target.isSystemAdmin && !principal.isSystemAdmin) {
    throw fabricError('permission_denied', 'Only the system admin may change the system admin');
  }
}

/** API keys never reach credential changes unless one of their own scopes names `allowingScope`. */
export function requireInteractive(principal: Principal, what: string, allowingScope: string): void {
  if (principal.authMethod === 'api_key' && !principal.scopes?.has(allowingScope)) {
    throw fabricError('permission_denied', `An API key cannot ${what} unless its scopes include ${allowingScope}`);
  }
}
