import { ConfigurableModuleBuilder, type Type } from '@nestjs/common';
import type { FabricAuthOptions } from './options/fabric-auth.options.js';
import type { FabricNotifier } from './core/ports/notifier.js';
import type { FabricAuthFeatureName } from './fabric-auth.features.js';

/**
 * Options fixed when the module is declared (they shape routes, so they cannot come from an async factory).
 *
 * @publicApi
 */
export interface FabricAuthModuleExtras {
  /** Register the module globally so `@UseGuards(FabricGuard)` works in every module. Default true. */
  isGlobal?: boolean;
  /** Prefix of the library's routes. Default `api/v1`. */
  routePrefix?: string;
  /**
   * The features to load: `login`, `users`, `mfa`, `roles`, `audit`, `apiKeys`, `serviceAccounts`,
   * `oidc`, `signingKeys`, `maintenance`, `organizations`. Default: all but the opt-in ones. A feature left out registers no provider,
   * controller or route, and its code is never loaded; the guard, tokens, sessions, accounts and
   * the audit writer are the core's and always there. Without `mfa`, anyone who holds a second
   * factor or whom `auth.mfa.required_for` names is refused at sign-in (`mfa_unavailable`).
   * `organizations` is opt-in: `auth.organizations.enabled` loads it with `forRoot`; with
   * `forRootAsync` (whose options come too late to mount routes) name it here as well.
   */
  features?: readonly FabricAuthFeatureName[];
  /**
   * Which of the enabled features' controllers to mount (their services stay). Default: all.
   * `wellKnown` is served at the root (`/.well-known/…`).
   */
  controllers?: {
    auth?: boolean;
    users?: boolean;
    mfa?: boolean;
    roles?: boolean;
    audit?: boolean;
    apiKeys?: boolean;
    serviceAccounts?: boolean;
    oidc?: boolean;
    signingKeys?: boolean;
    wellKnown?: boolean;
  };
  /**
   * Delivers activation and reset links (mail, SMS…). Default: a development notifier that
   * logs the link. Its dependencies must be resolvable (global, or `imports` of forRootAsync).
   */
  notifier?: Type<FabricNotifier>;
  /**
   * Answers the DNS TXT lookups that verify an organization's domain claims (`resolveTxt(name)`,
   * as `node:dns/promises` answers it: a list of records, each a list of strings; an absent name
   * rejects with `code` `ENOTFOUND` or `ENODATA`). Default: the system's resolvers, 2 s per query.
   * For DNS over HTTPS, or a resolver of your own.
   */
  dnsResolver?: Type<{ resolveTxt(hostname: string): Promise<string[][]> }>;
  /**
   * Prefix of the library's table, index and constraint names (`fabric_` → `fabric_users`).
   * Applied when the module is declared, before any DataSource names its tables; the same as
   * `auth.table_prefix`. Default: none (or what `setFabricAuthTablePrefix` set).
   */
  tablePrefix?: string;
  /**
   * The permissions the app's own code checks (`@RequirePermission('reports:read')`), registered
   * whatever config file the operator runs with and merged with `auth.permissions`. Roles that
   * name a permission declared nowhere still stop startup.
   */
  appPermissions?: readonly string[];
  /**
   * Describe the library's routes and DTOs in the host's OpenAPI document (`SwaggerModule.createDocument`,
   * even right after `NestFactory.create`). Default true. false: the library never loads `@nestjs/swagger`
   * (~10 MiB of memory and ~0.4 s of CPU at startup); a document the host still makes lists the library's routes
   * bare (no summary, schema or security), and `ApiFabricAuth()` and `ErrorResponseDto` add nothing to it.
   */
  openApi?: boolean;
}

export const DEFAULT_EXTRAS: FabricAuthModuleExtras & Required<Pick<FabricAuthModuleExtras, 'isGlobal' | 'routePrefix' | 'controllers'>> = {
  isGlobal: true,
  routePrefix: 'api/v1',
  controllers: { auth: true, users: true, mfa: true, roles: true, audit: true, apiKeys: true, serviceAccounts: true, oidc: true, signingKeys: true, wellKnown: true },
  // Listed so that ConfigurableModuleBuilder keeps them out of the validated options.
  features: undefined,
  notifier: undefined,
  dnsResolver: undefined,
  tablePrefix: undefined,
  appPermissions: undefined,
  openApi: undefined,
};

export const {
  ConfigurableModuleClass: FabricAuthConfigurableModule,
  MODULE_OPTIONS_TOKEN: FABRIC_AUTH_MODULE_OPTIONS,
  OPTIONS_TYPE: FABRIC_AUTH_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: FABRIC_AUTH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<FabricAuthOptions>({ moduleName: 'FabricAuth' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createFabricAuthOptions')
  .setExtras<FabricAuthModuleExtras>(DEFAULT_EXTRAS, (definition, extras) => ({ ...definition, global: extras.isGlobal ?? true }))
  .build();
