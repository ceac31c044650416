import type { DynamicModule } from '@nestjs/common';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { ServiceAccountsController } from './service-accounts.controller.js';
import { ServiceAccountsService } from './service-accounts.service.js';

/** Service accounts and their keys (`/service-accounts/…`). */
export class ServiceAccountsFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    return featureModule(mount, {
      controllers: [{ key: 'serviceAccounts', controller: ServiceAccountsController }],
      providers: [ServiceAccountsService],
      exports: [ServiceAccountsService],
    });
  }
}
