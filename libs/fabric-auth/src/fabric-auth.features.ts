import type { DynamicModule, Type } from '@nestjs/common';
import { CredentialChangeHooks } from './core/ports/credential-change-hook.js';
import { FabricEvents } from './core/ports/fabric-events.js';
import { UserCreationHooks } from './core/ports/user-creation-hook.js';
import { OrganizationAccess } from './core/ports/organization-access.js';
import { SamlMetadataReader } from './core/ports/saml-metadata-reader.js';
import { OrganizationSsoConnections } from './core/ports/organization-sso-connections.js';
import { SecondFactor } from './core/ports/second-factor.js';
import { SignInHooks } from './core/ports/sign-in-hook.js';
import { SignOutHooks } from './core/ports/sign-out-hook.js';
import type { FeatureMount } from './http/feature-module.js';
import { type FabricAuthOptions, samlProviders } from './options/fabric-auth.options.js';
import { EventOutboxEntity } from './schema/entities/event-outbox.entity.js';
import { OidcLogoutTokenEntity } from './schema/entities/oidc-logout-token.entity.js';
import { OrganizationDomainEntity } from './schema/entities/organization-domain.entity.js';
import { OrganizationInvitationEntity } from './schema/entities/organization-invitation.entity.js';
import { OrganizationMemberRoleEntity } from './schema/entities/organization-member-role.entity.js';
import { OrganizationMemberEntity } from './schema/entities/organization-member.entity.js';
import { OrganizationSsoConnectionEntity } from './schema/entities/organization-sso-connection.entity.js';
import { SamlUsedAssertionEntity } from './schema/entities/saml-used-assertion.entity.js';
import { ScimGroupMemberEntity } from './schema/entities/scim-group-member.entity.js';
import { ScimGroupEntity } from './schema/entities/scim-group.entity.js';
import { ScimUserEmailEntity } from './schema/entities/scim-user-email.entity.js';
import { ScimUserEntity } from './schema/entities/scim-user.entity.js';
import { WebhookDeliveryEntity } from './schema/entities/webhook-delivery.entity.js';
import { WebhookEndpointEntity } from './schema/entities/webhook-endpoint.entity.js';

/**
 * The option that turns an opt-in feature on. Routes are fixed when the module is declared:
 * `forRoot` reads the option then; `forRootAsync` knows its options only once its factory has
 * run, too late, so there the host also names the feature in `features`. Startup refuses the two
 * disagreeing (an option on with the feature not loaded, or the reverse).
 */
export interface FeatureSwitch {
  /** The option's YAML path, for messages. */
  key: string;
  /** How messages say the option is on and off, for one that is not a boolean (default `is true`, `is not true`). */
  wording?: { on: string; off: string };
  isOn(options: Pick<FabricAuthOptions, 'organizations' | 'scim' | 'webhooks' | 'providers' | 'console'>): boolean;
}

/**
 * One entry of the feature list. Its code is loaded (a dynamic `import()`) only when the host
 * enables it, so a left-out feature adds no file, provider, controller or route.
 */
export interface FabricAuthFeature {
  name: string;
  /** Names the feature's Nest module (see `FeatureMount.module`). */
  module: Type;
  /** Single ports of the core the feature provides; the core's default is then not bound. */
  provides?: readonly symbol[];
  /** List ports the feature adds an entry to (under `hookEntry(port, name)`). */
  hooksInto?: readonly symbol[];
  /**
   * Entities only this feature's code reads or writes (of FABRIC_AUTH_ENTITIES): the DataSource
   * builds their metadata only when the feature is loaded (TypeORM's metadata build is a sizeable
   * part of startup). Entities the core's code uses, or that a core entity relates to, stay core.
   */
  entities?: readonly Type[];
  /** An opt-in feature: off unless this option turns it on (not part of the default, all the others). */
  switchedBy?: FeatureSwitch;
  load(mount: FeatureMount): Promise<DynamicModule>;
}

/** A class that only names a module: cheap to declare, so the list costs nothing to import. */
function moduleNamed(name: string): Type {
  const named = class {};
  Object.defineProperty(named, 'name', { value: name });
  return named;
}

/**
 * The library's features, in the order their routes are registered and their hooks run. To add
 * one: a folder under `features/`, its module's `register(mount)`, and an entry here
 * (libs/fabric-auth/ARCHITECTURE.md, "To add a feature").
 */
export const FABRIC_AUTH_FEATURES = [
  {
    name: 'login',
    module: moduleNamed('FabricLoginModule'),
    load: async (mount) => (await import('./features/login/login.module.js')).LoginFeatureModule.register(mount),
  },
  {
    name: 'users',
    module: moduleNamed('FabricUsersModule'),
    load: async (mount) => (await import('./features/users/users.module.js')).UsersFeatureModule.register(mount),
  },
  {
    name: 'mfa',
    module: moduleNamed('FabricMfaModule'),
    provides: [SecondFactor],
    hooksInto: [CredentialChangeHooks],
    load: async (mount) => (await import('./features/mfa/mfa.module.js')).MfaFeatureModule.register(mount),
  },
  {
    name: 'roles',
    module: moduleNamed('FabricRolesModule'),
    load: async (mount) => (await import('./features/roles/roles.module.js')).RolesFeatureModule.register(mount),
  },
  {
    name: 'audit',
    module: moduleNamed('FabricAuditModule'),
    load: async (mount) => (await import('./features/audit/audit.module.js')).AuditFeatureModule.register(mount),
  },
  {
    name: 'apiKeys',
    module: moduleNamed('FabricApiKeysModule'),
    load: async (mount) => (await import('./features/api-keys/api-keys.module.js')).ApiKeysFeatureModule.register(mount),
  },
  {
    name: 'serviceAccounts',
    module: moduleNamed('FabricServiceAccountsModule'),
    load: async (mount) => (await import('./features/service-accounts/service-accounts.module.js')).ServiceAccountsFeatureModule.register(mount),
  },
  {
    name: 'oidc',
    module: moduleNamed('FabricOidcModule'),
    entities: [OidcLogoutTokenEntity],
    hooksInto: [SignOutHooks],
    load: async (mount) => {
      // The `fabric-oidc` Passport strategy sits above the features (it wraps the OIDC login), so it is added here.
      const [{ OidcFeatureModule }, { FabricOidcStrategy }] = await Promise.all([import('./features/oidc/oidc.module.js'), import('./passport/oidc.strategy.js')]);
      return OidcFeatureModule.register({ ...mount, providers: [...(mount.providers ?? []), FabricOidcStrategy] });
    },
  },
  {
    name: 'signingKeys',
    module: moduleNamed('FabricSigningKeysModule'),
    load: async (mount) => (await import('./features/signing-keys/signing-keys.module.js')).SigningKeysFeatureModule.register(mount),
  },
  {
    name: 'maintenance',
    module: moduleNamed('FabricMaintenanceModule'),
    load: async (mount) => (await import('./features/maintenance/maintenance.module.js')).MaintenanceFeatureModule.register(mount),
  },
  {
    name: 'organizations',
    module: moduleNamed('FabricOrganizationsModule'),
    entities: [OrganizationDomainEntity, OrganizationInvitationEntity, OrganizationMemberEntity, OrganizationMemberRoleEntity, OrganizationSsoConnectionEntity],
    provides: [OrganizationAccess, OrganizationSsoConnections],
    hooksInto: [SignInHooks],
    switchedBy: { key: 'auth.organizations.enabled', isOn: (options) => options.organizations?.enabled === true },
    load: async (mount) => (await import('./features/organizations/organizations.module.js')).OrganizationsFeatureModule.register(mount),
  },
  {
    name: 'scim',
    module: moduleNamed('FabricScimModule'),
    entities: [ScimUserEntity, ScimUserEmailEntity, ScimGroupEntity, ScimGroupMemberEntity],
    switchedBy: { key: 'auth.scim.enabled', isOn: (options) => options.scim?.enabled === true },
    load: async (mount) => (await import('./features/scim/scim.module.js')).ScimFeatureModule.register(mount),
  },
  {
    // After the features whose sign-in hooks add to a login: a refusal then sees the login whole.
    name: 'events',
    module: moduleNamed('FabricEventsModule'),
    hooksInto: [FabricEvents, SignInHooks, UserCreationHooks],
    load: async (mount) => (await import('./features/events/events.module.js')).EventsFeatureModule.register(mount),
  },
  {
    name: 'webhooks',
    module: moduleNamed('FabricWebhooksModule'),
    entities: [EventOutboxEntity, WebhookEndpointEntity, WebhookDeliveryEntity],
    hooksInto: [FabricEvents],
    switchedBy: { key: 'auth.webhooks.enabled', isOn: (options) => options.webhooks?.enabled === true },
    load: async (mount) => (await import('./features/webhooks/webhooks.module.js')).WebhooksFeatureModule.register(mount),
  },
  {
    // Loaded only for an app with a SAML connection: the XML stack it brings costs the others nothing.
    name: 'saml',
    module: moduleNamed('FabricSamlModule'),
    entities: [SamlUsedAssertionEntity],
    provides: [SamlMetadataReader],
    hooksInto: [SignOutHooks],
    switchedBy: {
      key: 'auth.providers',
      wording: {
        on: 'names a connection with type: saml (or auth.organizations.sso_connections is true)',
        off: 'names no connection with type: saml (and auth.organizations.sso_connections is not true)',
      },
      // Organizations' own SAML connections need it too.
      isOn: (options) => Object.keys(samlProviders(options)).length > 0 || (options.organizations?.enabled === true && options.organizations.ssoConnections === true),
    },
    load: async (mount) => (await import('./features/saml/saml.module.js')).SamlFeatureModule.register(mount),
  },
  {
    name: 'console',
    module: moduleNamed('FabricConsoleModule'),
    switchedBy: { key: 'auth.console.enabled', isOn: (options) => options.console?.enabled === true },
    load: async (mount) => (await import('./features/console/console.module.js')).ConsoleFeatureModule.register(mount),
  },
] as const satisfies readonly FabricAuthFeature[];

/** @publicApi */
export type FabricAuthFeatureName = (typeof FABRIC_AUTH_FEATURES)[number]['name'];

/** Every feature's name. */
export const ALL_FEATURE_NAMES: readonly FabricAuthFeatureName[] = FABRIC_AUTH_FEATURES.map((f) => f.name);

/** The features loaded when `features` is not given: all but the opt-in ones, which their option turns on. */
export const DEFAULT_FEATURE_NAMES: readonly FabricAuthFeatureName[] = (FABRIC_AUTH_FEATURES as readonly FabricAuthFeature[])
  .filter((f) => f.switchedBy === undefined)
  .map((f) => f.name as FabricAuthFeatureName);
