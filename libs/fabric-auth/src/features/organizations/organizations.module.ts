import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ListPager } from '../../data/pagination/list-pager.js';
import { PublicBaseUrl } from '../../options/public-base-url.js';
import { OrganizationDomainEntity } from '../../schema/entities/organization-domain.entity.js';
import { OrganizationInvitationEntity } from '../../schema/entities/organization-invitation.entity.js';
import { OrganizationMemberRoleEntity } from '../../schema/entities/organization-member-role.entity.js';
import { OrganizationMemberEntity } from '../../schema/entities/organization-member.entity.js';
import { OrganizationRoleEntity } from '../../schema/entities/organization-role.entity.js';
import { OrganizationEntity } from '../../schema/entities/organization.entity.js';
import { OrganizationAccess } from './organization-access.js';
import { OrganizationInvitationsController } from './organization-invitations.controller.js';
import { OrganizationInvitationsService } from './organization-invitations.service.js';
import { OrganizationMembersController } from './organization-members.controller.js';
import { OrganizationMembersService } from './organization-members.service.js';
import { OrganizationRolesController } from './organization-roles.controller.js';
import { OrganizationRolesService } from './organization-roles.service.js';
import { OrganizationsController } from './organizations.controller.js';
import { OrganizationsService } from './organizations.service.js';

/** A subclass mounted under `<prefix>/<path>`, so two apps in one process can use different prefixes. */
function mountedAt(prefix: string, controller: Type): Type {
  const path = [prefix, Reflect.getMetadata(PATH_METADATA, controller) as string]
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');
  const mounted = class extends (controller as new (...args: never[]) => object) {};
  Object.defineProperty(mounted, 'name', { value: controller.name });
  Reflect.defineMetadata(PATH_METADATA, path, mounted);
  return mounted;
}

/**
 * Organizations (SPEC §15): `/orgs…` under the route prefix. Mounted only with
 * `auth.organizations.enabled`; it needs the core's services (users, audit, transactions,
 * clock, options, notifier) from the global core module.
 */
@Module({})
export class OrganizationsFeatureModule {
  static register(routePrefix: string): DynamicModule {
    return {
      module: OrganizationsFeatureModule,
      imports: [
        TypeOrmModule.forFeature([
          OrganizationEntity,
          OrganizationDomainEntity,
          OrganizationMemberEntity,
          OrganizationMemberRoleEntity,
          OrganizationRoleEntity,
          OrganizationInvitationEntity,
        ]),
      ],
      controllers: [OrganizationsController, OrganizationMembersController, OrganizationInvitationsController, OrganizationRolesController].map((c) => mountedAt(routePrefix, c)),
      providers: [ListPager, PublicBaseUrl, OrganizationAccess, OrganizationsService, OrganizationMembersService, OrganizationInvitationsService, OrganizationRolesService],
      exports: [OrganizationAccess, OrganizationsService],
    };
  }
}
