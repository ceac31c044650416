import type { DynamicModule } from '@nestjs/common';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { UserApiKeysController } from './user-api-keys.controller.js';

/** Users' own API keys (`/users/{username}/api-keys`); verifying a key is the core's. */
export class ApiKeysFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    return featureModule(mount, { controllers: [{ key: 'apiKeys', controller: UserApiKeysController }], providers: [] });
  }
}
