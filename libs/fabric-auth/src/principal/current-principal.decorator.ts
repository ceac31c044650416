import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { REQUEST_PRINCIPAL } from '../fabric-auth.internal-constants.js';
import type { Principal } from './principal.js';

export function principalOf(request: object): Principal | undefined {
  return (request as Record<symbol, Principal | undefined>)[REQUEST_PRINCIPAL];
}

/** The principal FabricGuard resolved for this request (undefined on a `@Public()` route). */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal | undefined =>
  principalOf(context.switchToHttp().getRequest()),
);
