import { SetMetadata } from '@nestjs/common';
import { FABRIC_PUBLIC_KEY } from '../../core/fabric-auth.constants.js';

/**
 * Opts a route (or controller) out of FabricGuard, e.g. when the guard is an APP_GUARD.
 *
 * @publicApi
 */
export const Public = () => SetMetadata(FABRIC_PUBLIC_KEY, true);
