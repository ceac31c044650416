import type { DynamicModule, Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerStorageService } from './core/throttler.js';
import { getRepositoryToken, TypeOrmModule } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { AccountCeiling } from './access/accounts/account-ceiling.service.js';
import { RolesService } from './access/accounts/roles.service.js';
import { UserLookup } from './access/accounts/user-lookup.js';
import { UsersService } from './access/accounts/users.service.js';
import { ApiKeyUsage } from './access/api-keys/api-key-usage.js';
import { ApiKeyMinter } from './access/api-keys/api-key-minter.js';
import { ApiKeysService } from './access/api-keys/api-keys.service.js';
import { ScimTokensService } from './access/api-keys/scim-tokens.service.js';
import { FabricAuthenticator } from './access/guard/fabric-authenticator.js';
import { FabricGuard } from './access/guard/fabric.guard.js';
import { RoutePermissionsCheck } from './access/guard/route-permissions.check.js';
import { DeviceTokens } from './access/limits/device-tokens.js';
import { LimitsService } from './access/limits/limits.service.js';
import { PasswordAttempts } from './access/limits/password-attempts.service.js';
import { PasswordHasher } from './access/passwords/password-hasher.js';
import { PermissionRegistry } from './access/permissions/permission-registry.js';
import { AccessTokenPrincipals } from './access/principal/access-token-principals.js';
import { AccessTokenVerifier } from './access/principal/access-token-verifier.js';
import { PrincipalService } from './access/principal/principal.service.js';
import { loadIoredis } from './access/redis/load-ioredis.js';
import { FabricRedis } from './access/redis/redis-connection.js';
import { RedisLifecycle } from './access/redis/redis-lifecycle.js';
import { RedisLockoutStore } from './access/redis/redis-lockout-store.js';
import { RedisRevocationBus } from './access/redis/redis-revocation-bus.js';
import { RedisThrottlerStorage } from './access/redis/redis-throttler-storage.js';
import { FabricSeeder } from './access/seeding/fabric-seeder.js';
import { Revocations } from './access/sessions/revocations.js';
import { SessionsService } from './access/sessions/sessions.service.js';
import { ExternalSignIn } from './access/sign-in/external-sign-in.service.js';
import { MfaPolicy } from './access/sign-in/mfa-policy.js';
import { NoSecondFactor } from './access/sign-in/no-second-factor.js';
import { SessionOpener } from './access/sign-in/session-opener.js';
import { IssuerMetadataService } from './access/signing/issuer-metadata.js';
import { SigningKeysService } from './access/signing/signing-keys.service.js';
import { OneTimeTokensService } from './access/tokens/one-time-tokens.service.js';
import { TokenService } from './access/tokens/token.service.js';
import { TrustedIssuersService } from './access/trusted-issuers/trusted-issuers.service.js';
import { TrustedProxies } from './core/client-ip.js';
import { FabricClock, SystemClock } from './core/clock.js';
import { FABRIC_API_KEY_AUTHENTICATOR, FABRIC_LOCKOUT_STORE, FABRIC_NOTIFIER, FABRIC_REVOCATION_BUS, FABRIC_THROTTLER_STORAGE } from './core/fabric-auth.constants.js';
import {
  FABRIC_APP_PERMISSIONS,
  FABRIC_DNS_RESOLVER,
  FABRIC_FEATURE_SWITCHES_CHECK,
  FABRIC_NAMED_STATEMENTS,
  FABRIC_REDIS,
  FABRIC_RESOLVED_OPTIONS,
  FABRIC_ROUTE_PREFIX,
  FABRIC_TABLE_PREFIX,
  FABRIC_TABLE_PREFIX_CHECK,
} from './core/fabric-auth.internal-constants.js';
import { describeForOpenApi } from './core/open-api.js';
import { CredentialChangeHooks } from './core/ports/credential-change-hook.js';
import { FabricEvents } from './core/ports/fabric-events.js';
import { UserCreationHooks } from './core/ports/user-creation-hook.js';
import { hookEntry } from './core/ports/hook-entry.js';
import { InMemoryLockoutStore } from './core/ports/lockout-store.js';
import { NoOrganizations, OrganizationAccess } from './core/ports/organization-access.js';
import { LoggingNotifier } from './core/ports/notifier.js';
import { SystemDnsResolver } from './core/ports/dns-resolver.js';
import { NoSamlMetadataReader, SamlMetadataReader } from './core/ports/saml-metadata-reader.js';
import { NoOrganizationSsoConnections, OrganizationSsoConnections } from './core/ports/organization-sso-connections.js';
import { InMemoryRevocationBus } from './core/ports/revocation-bus.js';
import { SecondFactor } from './core/ports/second-factor.js';
import { SignInHooks } from './core/ports/sign-in-hook.js';
import { SignOutHooks } from './core/ports/sign-out-hook.js';
import { AuditService } from './data/audit.service.js';
import { CredentialReads } from './data/credential-reads.js';
import { useNamedStatements } from './data/named-statements.js';
import { ListPager } from './data/pagination/list-pager.js';
import { PrincipalNames } from './data/principal-names.js';
import { FabricTransactions } from './data/transactions.js';
import type { FabricAuthFeature } from './fabric-auth.features.js';
import { DEFAULT_EXTRAS, FABRIC_AUTH_MODULE_OPTIONS, type FabricAuthModuleExtras } from './fabric-auth.module-definition.js';
import { FastifyReplyLink } from './http/request-response.js';
import { SessionCookies } from './http/session-cookies.js';
import type { FabricAuthOptions, ResolvedFabricAuthOptions } from './options/fabric-auth.options.js';
import { FabricConfigError } from './options/fabric-config.error.js';
import { PublicBaseUrl } from './options/public-base-url.js';
import { resolveFabricAuthOptions } from './options/resolve-options.js';
import { apiKeyAuthenticatorFrom, FabricApiKeyStrategy } from './passport/api-key.strategy.js';
import { FabricCookieStrategy } from './passport/cookie.strategy.js';
import { FabricJwtStrategy } from './passport/jwt.strategy.js';
import { FABRIC_AUTH_ENTITIES } from './schema/entities.js';
import { UserEntity } from './schema/entities/user.entity.js';
import { fabricAuthTablePrefix } from './schema/table-prefix.js';

/**
 * The module every feature stands on: options, principal and guard, tokens and signing,
 * sessions and revocation, limits, accounts, the audit writer, transactions, Redis, and the
 * core's side of the ports. Global, as `@nestjs/typeorm`'s core module is, so each feature
 * module (and the host's modules, for the guard) resolve it without importing it; the host
 * imports only the façade, `FabricAuthModule`.
 */
export class FabricAuthCoreModule {}

/**
 * Stops startup when the DataSource named the tables otherwise than the module was declared
 * with (a prefix set after the DataSource was built, or one that only an async factory gave).
 */
function checkTablePrefix(prefix: string, options: ResolvedFabricAuthOptions, users: Repository<UserEntity>): true {
  const expected = `${users.manager.connection.options.entityPrefix ?? ''}${prefix}users`;
  if (users.metadata.tableName !== expected) {
    throw new FabricConfigError([
      `auth.table_prefix: the DataSource names the users table "${users.metadata.tableName}", not "${expected}"; ` +
        'set the prefix (FabricAuthModule.forRoot/forRootAsync({ tablePrefix }) or setFabricAuthTablePrefix) before the DataSource is initialised',
    ]);
  }
  if (options.tablePrefix !== '' && options.tablePrefix !== prefix) {
    throw new FabricConfigError([
      `auth.table_prefix: "${options.tablePrefix}" came from the async options factory, after the tables were named with prefix "${prefix}"; ` +
        `pass tablePrefix: "${options.tablePrefix}" to FabricAuthModule.forRootAsync() itself`,
    ]);
  }
  return true;
}

const CORE_PROVIDERS: Provider[] = [
  {
    provide: FABRIC_RESOLVED_OPTIONS,
    inject: [FABRIC_AUTH_MODULE_OPTIONS, FABRIC_APP_PERMISSIONS],
    useFactory: (options: FabricAuthOptions, appPermissions: readonly string[]) =>
      resolveFabricAuthOptions(
        appPermissions.length === 0 || !Array.isArray(options.permissions ?? [])
          ? options
          : { ...options, permissions: [...new Set([...(options.permissions ?? []), ...appPermissions])] },
      ),
  },
  {
    provide: FABRIC_TABLE_PREFIX_CHECK,
    inject: [FABRIC_TABLE_PREFIX, FABRIC_RESOLVED_OPTIONS, getRepositoryToken(UserEntity)],
    useFactory: checkTablePrefix,
  },
  {
    provide: FABRIC_NAMED_STATEMENTS,
    inject: [FABRIC_RESOLVED_OPTIONS, getRepositoryToken(UserEntity)],
    useFactory: (o: ResolvedFabricAuthOptions, users: Repository<UserEntity>) => {
      useNamedStatements(users.manager.connection, o.preparedStatements);
      return o.preparedStatements;
    },
  },
  { provide: FabricClock, useClass: SystemClock },
  {
    provide: FABRIC_REDIS,
    inject: [FABRIC_RESOLVED_OPTIONS],
    useFactory: async (o: ResolvedFabricAuthOptions) => (o.redisUrl ? new FabricRedis(await loadIoredis(), o.redisUrl, o.redisKeyPrefix) : null),
  },
  RedisLifecycle,
  {
    provide: FABRIC_REVOCATION_BUS,
    inject: [FABRIC_REDIS],
    useFactory: (redis: FabricRedis | null) => (redis ? new RedisRevocationBus(redis) : new InMemoryRevocationBus()),
  },
  {
    provide: FABRIC_THROTTLER_STORAGE,
    inject: [FABRIC_REDIS],
    useFactory: (redis: FabricRedis | null) => (redis ? new RedisThrottlerStorage(redis) : new ThrottlerStorageService()),
  },
  {
    provide: FABRIC_LOCKOUT_STORE,
    inject: [FABRIC_REDIS, FabricClock],
    useFactory: (redis: FabricRedis | null, clock: FabricClock) => (redis ? new RedisLockoutStore(redis) : new InMemoryLockoutStore(() => clock.now())),
  },
  {
    provide: TrustedProxies,
    inject: [FABRIC_RESOLVED_OPTIONS],
    useFactory: (o: ResolvedFabricAuthOptions) => new TrustedProxies(o.trustedProxies),
  },
  FabricTransactions,
  Revocations,
  LimitsService,
  ListPager,
  DeviceTokens,
  PasswordAttempts,
  PermissionRegistry,
  SigningKeysService,
  IssuerMetadataService,
  PublicBaseUrl,
  RoutePermissionsCheck,
  TokenService,
  PasswordHasher,
  AuditService,
  RolesService,
  SessionsService,
  CredentialReads,
  PrincipalService,
  AccessTokenPrincipals,
  AccessTokenVerifier,
  UsersService,
  UserLookup,
  AccountCeiling,
  PrincipalNames,
  OneTimeTokensService,
  SessionOpener,
  MfaPolicy,
  NoSecondFactor,
  SessionCookies,
  FabricJwtStrategy,
  FabricCookieStrategy,
  ApiKeyUsage,
  ApiKeyMinter,
  ApiKeysService,
  ScimTokensService,
  FabricApiKeyStrategy,
  { provide: FABRIC_API_KEY_AUTHENTICATOR, inject: [FabricApiKeyStrategy], useFactory: apiKeyAuthenticatorFrom },
  TrustedIssuersService,
  FabricAuthenticator,
  FabricGuard,
  FabricSeeder,
  ExternalSignIn,
  FastifyReplyLink,
];

/**
 * The core's side of the ports: a single port the enabled features do not provide gets the
 * core's default; a list port gathers the entries of the enabled features that hook into it.
 */
function portBindings(features: readonly FabricAuthFeature[]): Provider[] {
  const provided = new Set(features.flatMap((f) => f.provides ?? []));
  const hookList = (port: symbol): Provider => {
    const entries = features.filter((f) => f.hooksInto?.includes(port)).map((f) => hookEntry(port, f.name));
    return { provide: port, inject: entries, useFactory: (...hooks: unknown[]) => hooks };
  };
  return [
    ...(provided.has(SecondFactor) ? [] : [{ provide: SecondFactor, useExisting: NoSecondFactor }]),
    ...(provided.has(OrganizationAccess) ? [] : [{ provide: OrganizationAccess, useClass: NoOrganizations }]),
    ...(provided.has(SamlMetadataReader) ? [] : [{ provide: SamlMetadataReader, useClass: NoSamlMetadataReader }]),
    ...(provided.has(OrganizationSsoConnections) ? [] : [{ provide: OrganizationSsoConnections, useClass: NoOrganizationSsoConnections }]),
    hookList(SignInHooks),
    hookList(SignOutHooks),
    hookList(CredentialChangeHooks),
    hookList(FabricEvents),
    hookList(UserCreationHooks),
  ];
}

/** Names, in the module graph, the import that waits for the library's routes to be documented. */
class FabricOpenApiModule {}

/**
 * Applies the library's OpenAPI decorators (core/open-api.ts) while Nest scans the imports, which it
 * does in `NestFactory.create` even in preview mode: before any `SwaggerModule.createDocument`, where
 * a provider's factory would not run in preview mode nor a lifecycle hook before `init()`.
 */
async function documented(): Promise<DynamicModule> {
  await describeForOpenApi();
  return { module: FabricOpenApiModule };
}

/** What the host declared the module with: the options' provider (from ConfigurableModuleBuilder) and the shape options. */
export interface CoreDeclaration {
  definition: Pick<DynamicModule, 'imports' | 'providers'>;
  extras: FabricAuthModuleExtras;
  features: readonly FabricAuthFeature[];
  /** The whole feature list, for the opt-in features' switches. */
  catalogue?: readonly FabricAuthFeature[];
}

/**
 * Stops startup when an opt-in feature's option and its loading disagree: the option on with
 * the feature not loaded (`forRootAsync` without it in `features`), or loaded with the option off.
 */
function checkFeatureSwitches(catalogue: readonly FabricAuthFeature[], loaded: readonly FabricAuthFeature[], options: ResolvedFabricAuthOptions): true {
  const problems = catalogue.flatMap((feature) => {
    if (!feature.switchedBy) return [];
    const on = feature.switchedBy.isOn(options);
    const isLoaded = loaded.includes(feature);
    if (on && !isLoaded) {
      return [
        `${feature.switchedBy.key}: ${feature.switchedBy.wording?.on ?? 'is true'}, but the ${feature.name} feature is not loaded; add "${feature.name}" to features ` +
          '(forRootAsync reads its options only after its factory runs, too late to mount routes)',
      ];
    }
    if (!on && isLoaded)
      return [`features: loads ${feature.name}, but ${feature.switchedBy.key} ${feature.switchedBy.wording?.off ?? 'is not true'}; turn it on, or leave ${feature.name} out`];
    return [];
  });
  if (problems.length > 0) throw new FabricConfigError(problems);
  return true;
}

export function fabricAuthCore({ definition, extras, features, catalogue = features }: CoreDeclaration): DynamicModule {
  const providers: Provider[] = [
    ...(definition.providers ?? []),
    { provide: FABRIC_NOTIFIER, useClass: extras.notifier ?? LoggingNotifier },
    { provide: FABRIC_DNS_RESOLVER, useClass: extras.dnsResolver ?? SystemDnsResolver },
    { provide: FABRIC_TABLE_PREFIX, useValue: fabricAuthTablePrefix() },
    { provide: FABRIC_ROUTE_PREFIX, useValue: extras.routePrefix ?? DEFAULT_EXTRAS.routePrefix },
    { provide: FABRIC_APP_PERMISSIONS, useValue: [...(extras.appPermissions ?? [])] },
    ...CORE_PROVIDERS,
    ...portBindings(features),
    {
      provide: FABRIC_FEATURE_SWITCHES_CHECK,
      inject: [FABRIC_RESOLVED_OPTIONS],
      useFactory: (options: ResolvedFabricAuthOptions) => checkFeatureSwitches(catalogue, features, options),
    },
  ];
  // The core's entities, and those of the loaded features only (`FabricAuthFeature.entities`).
  const featureOwned = new Set(catalogue.flatMap((f) => f.entities ?? []));
  const typeOrm = TypeOrmModule.forFeature([...FABRIC_AUTH_ENTITIES.filter((e) => !featureOwned.has(e)), ...features.flatMap((f) => f.entities ?? [])]);
  return {
    module: FabricAuthCoreModule,
    global: true,
    imports: [...(definition.imports ?? []), typeOrm, PassportModule, DiscoveryModule, ...(extras.openApi === false ? [] : [documented()])],
    providers,
    // Internal: every provider is the features' to inject; the façade re-exports the public ones' module.
    exports: [...providers.map((p) => (typeof p === 'function' ? p : p.provide)), typeOrm],
  };
}
