import type { DynamicModule } from '@nestjs/common';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { OrganizationAccess } from './organization-access.js';
import { OrganizationInvitationsController } from './organization-invitations.controller.js';
import { OrganizationInvitationsService } from './organization-invitations.service.js';
import { OrganizationMembersController } from './organization-members.controller.js';
import { OrganizationMembersService } from './organization-members.service.js';
import { OrganizationRolesController } from './organization-roles.controller.js';
import { OrganizationRolesService } from './organization-roles.service.js';
import { OrganizationsController } from './organizations.controller.js';
import { OrganizationsService } from './organizations.service.js';

/** Organizations (`/orgs/…`, SPEC §15): opt-in, loaded only with `auth.organizations.enabled`. */
export class OrganizationsFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    return featureModule(mount, {
      controllers: [
        { controller: OrganizationsController },
        { controller: OrganizationMembersController },
        { controller: OrganizationInvitationsController },
        { controller: OrganizationRolesController },
      ],
      providers: [OrganizationAccess, OrganizationsService, OrganizationMembersService, OrganizationInvitationsService, OrganizationRolesService],
      exports: [OrganizationAccess, OrganizationsService],
    });
  }
}
