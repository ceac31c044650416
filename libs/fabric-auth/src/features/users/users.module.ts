import type { DynamicModule } from '@nestjs/common';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { UserManagementService } from './user-management.service.js';
import { UsersController } from './users.controller.js';

/** User administration and self-service (`/users/…`). */
export class UsersFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    return featureModule(mount, {
      controllers: [{ key: 'users', controller: UsersController }],
      providers: [UserManagementService],
      exports: [UserManagementService],
    });
  }
}
