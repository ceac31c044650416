import { SetMetadata } from '@nestjs/common';
import { FABRIC_PERMISSIONS_KEY } from '../fabric-auth.constants.js';

/** The route needs every listed permission (403 otherwise). Method-level metadata overrides the class's. */
export const RequirePermission = (...permissions: string[]) => SetMetadata(FABRIC_PERMISSIONS_KEY, permissions);
