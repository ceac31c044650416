import { SetMetadata } from '@nestjs/common';
import { FABRIC_SCIM_ROUTE_KEY } from '../../core/fabric-auth.constants.js';

/**
 * A SCIM route (`<prefix>/scim/v2/…`, SPEC §17): FabricGuard admits a SCIM token here and
 * nothing else (a user's Bearer, a cookie or an ordinary API key get 401), and refuses a SCIM
 * token everywhere this is absent. On a controller, every route.
 */
export const ScimRoute = () => SetMetadata(FABRIC_SCIM_ROUTE_KEY, true);
