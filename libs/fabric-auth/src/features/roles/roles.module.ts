import type { DynamicModule } from '@nestjs/common';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { RolesController } from './roles.controller.js';

/** Role administration (`/roles/…`); roles themselves are the core's. */
export class RolesFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    return featureModule(mount, { controllers: [{ key: 'roles', controller: RolesController }], providers: [] });
  }
}
