import type { DynamicModule } from '@nestjs/common';
import { hookEntry } from '../../core/ports/hook-entry.js';
import { OrganizationAccess } from '../../core/ports/organization-access.js';
import { OrganizationSsoConnections } from '../../core/ports/organization-sso-connections.js';
import { SignInHooks } from '../../core/ports/sign-in-hook.js';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { OrganizationDomainJoin } from './organization-domain-join.js';
import { OrganizationAuditController } from './organization-audit.controller.js';
import { OrganizationConnectionsController } from './organization-connections.controller.js';
import { OrganizationConnectionsService } from './organization-connections.service.js';
import { OrganizationDomainsController } from './organization-domains.controller.js';
import { OrganizationDomainsService } from './organization-domains.service.js';
import { OrganizationInvitationPruner } from './organization-invitation-pruner.js';
import { OrganizationMemberships } from './organization-memberships.js';
import { OrganizationStandings } from './organization-standings.js';
import { OrganizationInvitationsController } from './organization-invitations.controller.js';
import { OrganizationInvitationsService } from './organization-invitations.service.js';
import { OrganizationMembersController } from './organization-members.controller.js';
import { OrganizationMembersService } from './organization-members.service.js';
import { OrganizationRolesController } from './organization-roles.controller.js';
import { OrganizationRolesService } from './organization-roles.service.js';
import { OrganizationServiceAccountsController } from './organization-service-accounts.controller.js';
import { OrganizationServiceAccountsService } from './organization-service-accounts.service.js';
import { OrganizationsController } from './organizations.controller.js';
import { OrganizationsService } from './organizations.service.js';
import { SsoDiscoveryController } from './sso-discovery.controller.js';

/** Organizations (`/orgs/…`, SPEC §15): opt-in, loaded only with `auth.organizations.enabled`; it provides the core's `OrganizationAccess` and `OrganizationSsoConnections` ports and joins users to the organization of their verified email domain at login (a `SignInHooks` entry). */
export class OrganizationsFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    const joinsByDomain = hookEntry(SignInHooks, 'organizations');
    return featureModule(mount, {
      controllers: [
        { controller: OrganizationsController },
        { controller: OrganizationMembersController },
        { controller: OrganizationInvitationsController },
        { controller: OrganizationRolesController },
        { controller: OrganizationServiceAccountsController },
        { controller: OrganizationAuditController },
        { controller: OrganizationDomainsController },
        { controller: OrganizationConnectionsController },
        { controller: SsoDiscoveryController },
      ],
      providers: [
        OrganizationStandings,
        OrganizationsService,
        OrganizationMembersService,
        OrganizationInvitationsService,
        OrganizationRolesService,
        OrganizationServiceAccountsService,
        OrganizationInvitationPruner,
        OrganizationDomainsService,
        OrganizationConnectionsService,
        OrganizationMemberships,
        { provide: OrganizationAccess, useExisting: OrganizationMemberships },
        { provide: OrganizationSsoConnections, useExisting: OrganizationConnectionsService },
        OrganizationDomainJoin,
        { provide: joinsByDomain, useExisting: OrganizationDomainJoin },
      ],
      exports: [OrganizationsService, OrganizationAccess, OrganizationSsoConnections, joinsByDomain],
      providesPorts: true,
    });
  }
}
