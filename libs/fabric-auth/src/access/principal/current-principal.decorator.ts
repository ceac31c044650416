import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { REQUEST_PRINCIPAL } from '../../core/fabric-auth.internal-constants.js';
import type { Principal } from '../../core/principal.js';

/** Principals our Passport strategies handed to `AuthGuard(...)`, which stores them as `request.user`. */
const issuedToPassport = new WeakSet<Principal>();

/** Marks a principal a `fabric-*` strategy returns, so that `request.user` is recognised as ours and not as any object. */
export function issuedByStrategy<T extends Principal | false>(principal: T): T {
  if (principal) issuedToPassport.add(principal);
  return principal;
}

/**
 * The request's principal: the one FabricGuard resolved, else the one a `fabric-*` Passport
 * strategy gave `AuthGuard` (so both paths feed `@CurrentPrincipal()` and `@RequirePermission()`).
 */
export function principalOf(request: object): Principal | undefined {
  const slots = request as { [REQUEST_PRINCIPAL]?: Principal; user?: unknown };
  const resolved = slots[REQUEST_PRINCIPAL];
  if (resolved) return resolved;
  const user = slots.user as Principal | undefined;
  return typeof user === 'object' && user !== null && issuedToPassport.has(user) ? user : undefined;
}

/** Stores the principal where `principalOf` finds it. */
export function attachPrincipal(request: object, principal: Principal): void {
  (request as { [REQUEST_PRINCIPAL]?: Principal })[REQUEST_PRINCIPAL] = principal;
}

/**
 * The principal FabricGuard, or `AuthGuard('fabric-jwt' | 'fabric-api-key' | 'fabric-cookie' |
 * 'fabric-oidc')`, resolved for this request (undefined on a `@Public()` route).
 *
 * @publicApi
 */
export const CurrentPrincipal = createParamDecorator(
  // What `switchToHttp().getRequest()` returns, without that call assigning three new closures onto Nest's context per request.
  (_: unknown, context: ExecutionContext): Principal | undefined => principalOf(context.getArgByIndex(0)),
);
