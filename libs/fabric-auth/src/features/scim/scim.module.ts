import type { DynamicModule } from '@nestjs/common';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { ScimBase, SCIM_ROUTE_PREFIX } from './scim-base.js';
import { ScimDiscoveryController } from './scim-discovery.controller.js';
import { ScimExceptionFilter } from './scim-exception.filter.js';
import { OrganizationScimTokensController, PlatformScimTokensController } from './scim-tokens.controller.js';
import { ScimGroupsController } from './scim-groups.controller.js';
import { ScimGroupsService } from './scim-groups.service.js';
import { ScimRoleGrants } from './scim-role-grants.js';
import { ScimUsersController } from './scim-users.controller.js';
import { ScimUsersService } from './scim-users.service.js';

/** SCIM 2.0 provisioning (`<prefix>/scim/v2`, SPEC §17): opt-in, loaded only with `auth.scim.enabled`. */
export class ScimFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    return featureModule(mount, {
      controllers: [
        { controller: PlatformScimTokensController },
        { controller: OrganizationScimTokensController },
        { controller: ScimDiscoveryController },
        { controller: ScimUsersController },
        { controller: ScimGroupsController },
      ],
      providers: [{ provide: SCIM_ROUTE_PREFIX, useValue: mount.routePrefix }, ScimBase, ScimExceptionFilter, ScimUsersService, ScimGroupsService, ScimRoleGrants],
    });
  }
}
