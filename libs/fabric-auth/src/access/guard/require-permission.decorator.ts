import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { FABRIC_PERMISSIONS_KEY } from '../../core/fabric-auth.constants.js';
import { FabricGuard } from './fabric.guard.js';

/**
 * The route needs every listed permission (403 otherwise). Method-level metadata overrides
 * the class's. It brings FabricGuard along, so the check holds whatever authenticated the
 * request — FabricGuard, `AuthGuard('fabric-jwt')` and the other `fabric-*` strategies —
 * and a route with no guard at all is not left open. Put it above `@UseGuards(AuthGuard(…))`
 * on the same method, so that the Passport guard runs first and its principal is the one checked.
 * Every permission named must be declared (`auth.permissions`) or built in: startup fails otherwise.
 *
 * @publicApi
 */
export const RequirePermission = (...permissions: string[]) => applyDecorators(SetMetadata(FABRIC_PERMISSIONS_KEY, permissions), UseGuards(FabricGuard));
