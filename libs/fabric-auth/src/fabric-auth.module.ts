import { type DynamicModule, Module, type Provider, type Type } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryModule } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { getRepositoryToken, TypeOrmModule } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ApiKeyUsage } from './access/api-keys/api-key-usage.js';
import { ApiKeysService } from './access/api-keys/api-keys.service.js';
import { AccountCeiling } from './access/accounts/account-ceiling.service.js';
import { UserApiKeysController } from './features/api-keys/user-api-keys.controller.js';
import { AuditController } from './features/audit/audit.controller.js';
import { AuditService } from './data/audit.service.js';
import { AccountRecoveryService } from './features/login/account-recovery.service.js';
import { AuthController } from './features/login/auth.controller.js';
import { ClientCredentialsService } from './features/login/client-credentials.service.js';
import { IssuedTokensService } from './features/login/issued-tokens.service.js';
import { LocalAuthService } from './features/login/local-auth.service.js';
import { SessionOpener } from './access/sign-in/session-opener.js';
import { MfaPolicy } from './access/sign-in/mfa-policy.js';
import { NoSecondFactor } from './access/sign-in/no-second-factor.js';
import { SecondFactor } from './core/ports/second-factor.js';
import { MfaSecondFactor } from './features/mfa/mfa-second-factor.js';
import { SessionCookies } from './http/session-cookies.js';
import { FabricAuthenticator } from './access/guard/fabric-authenticator.js';
import { FabricGuard } from './access/guard/fabric.guard.js';
import { PermissionRegistry } from './access/permissions/permission-registry.js';
import { ClockCheck } from './features/maintenance/clock-check.service.js';
import { PruningService } from './features/maintenance/pruning.service.js';
import { CredentialReads } from './data/credential-reads.js';
import { ListPager } from './data/pagination/list-pager.js';
import { RoutePermissionsCheck } from './access/guard/route-permissions.check.js';
import { PublicBaseUrl } from './options/public-base-url.js';
import { FabricClock, SystemClock } from './core/clock.js';
import { FabricTransactions } from './data/transactions.js';
import { FABRIC_AUTH_ENTITIES } from './schema/entities.js';
import { FABRIC_API_KEY_AUTHENTICATOR, FABRIC_LOCKOUT_STORE, FABRIC_NOTIFIER, FABRIC_REVOCATION_BUS, FABRIC_THROTTLER_STORAGE } from './core/fabric-auth.constants.js';
import {
  FABRIC_APP_PERMISSIONS,
  FABRIC_REDIS,
  FABRIC_RESOLVED_OPTIONS,
  FABRIC_ROUTE_PREFIX,
  FABRIC_TABLE_PREFIX,
  FABRIC_TABLE_PREFIX_CHECK,
} from './core/fabric-auth.internal-constants.js';
import { FastifyReplyLink } from './http/request-response.js';
import { TrustedProxies } from './core/client-ip.js';
import { InMemoryLockoutStore } from './core/ports/lockout-store.js';
import { LimitsService } from './access/limits/limits.service.js';
import { FabricRedis } from './access/redis/redis-connection.js';
import { loadIoredis } from './access/redis/load-ioredis.js';
import { RedisLockoutStore } from './access/redis/redis-lockout-store.js';
import { RedisRevocationBus } from './access/redis/redis-revocation-bus.js';
import { RedisLifecycle } from './access/redis/redis-lifecycle.js';
import { RedisThrottlerStorage } from './access/redis/redis-throttler-storage.js';
import {
  DEFAULT_EXTRAS,
  FABRIC_AUTH_ASYNC_OPTIONS_TYPE,
  FABRIC_AUTH_MODULE_OPTIONS,
  FABRIC_AUTH_OPTIONS_TYPE,
  FabricAuthConfigurableModule,
  type FabricAuthModuleExtras,
} from './fabric-auth.module-definition.js';
import { FabricConfigError } from './options/fabric-config.error.js';
import { type FabricAuthOptions, type ResolvedFabricAuthOptions } from './options/fabric-auth.options.js';
import { resolveFabricAuthOptions } from './options/resolve-options.js';
import { LoggingNotifier } from './core/ports/notifier.js';
import { ExternalSignIn } from './access/sign-in/external-sign-in.service.js';
import { SignOutHooks } from './core/ports/sign-out-hook.js';
import { CredentialChangeHooks } from './core/ports/credential-change-hook.js';
import { FabricEvents, NoFabricEvents } from './core/ports/fabric-events.js';
import { OidcClients } from './features/oidc/oidc-clients.js';
import { OidcLoginStates } from './features/oidc/oidc-login-state.js';
import { OidcLoginService } from './features/oidc/oidc-login.service.js';
import { OidcController } from './features/oidc/oidc.controller.js';
import { OidcLogoutService } from './features/oidc/oidc-logout.service.js';
import { UserIdentitiesController } from './features/oidc/user-identities.controller.js';
import { UserIdentitiesService } from './features/oidc/user-identities.service.js';
import { OneTimeTokensService } from './access/tokens/one-time-tokens.service.js';
import { PasswordHasher } from './access/passwords/password-hasher.js';
import { AccessTokenPrincipals } from './access/principal/access-token-principals.js';
import { AccessTokenVerifier } from './access/principal/access-token-verifier.js';
import { PrincipalService } from './access/principal/principal.service.js';
import { RolesController } from './features/roles/roles.controller.js';
import { RolesService } from './access/accounts/roles.service.js';
import { FabricSeeder } from './access/seeding/fabric-seeder.js';
import { IssuerMetadataService } from './access/signing/issuer-metadata.js';
import { SigningKeysController } from './features/signing-keys/signing-keys.controller.js';
import { SigningKeysService } from './access/signing/signing-keys.service.js';
import { WellKnownController } from './features/signing-keys/well-known.controller.js';
import { InMemoryRevocationBus } from './core/ports/revocation-bus.js';
import { Revocations } from './access/sessions/revocations.js';
import { SessionsService } from './access/sessions/sessions.service.js';
import { ServiceAccountsController } from './features/service-accounts/service-accounts.controller.js';
import { ServiceAccountsService } from './features/service-accounts/service-accounts.service.js';
import { apiKeyAuthenticatorFrom, FabricApiKeyStrategy } from './passport/api-key.strategy.js';
import { FabricCookieStrategy } from './passport/cookie.strategy.js';
import { FabricJwtStrategy } from './passport/jwt.strategy.js';
import { FabricOidcStrategy } from './passport/oidc.strategy.js';
import { TokenService } from './access/tokens/token.service.js';
import { TrustedIssuersService } from './access/trusted-issuers/trusted-issuers.service.js';
import { UserManagementService } from './features/users/user-management.service.js';
import { UserLookup } from './access/accounts/user-lookup.js';
import { DeviceTokens } from './access/limits/device-tokens.js';
import { PasswordAttempts } from './access/limits/password-attempts.service.js';
import { PrincipalNames } from './data/principal-names.js';
import { UsersController } from './features/users/users.controller.js';
import { UsersService } from './access/accounts/users.service.js';
import { UserEntity } from './schema/entities/user.entity.js';
import { MfaController } from './features/mfa/mfa.controller.js';
import { MfaLoginService } from './features/mfa/mfa-login.service.js';
import { MfaChallenges } from './features/mfa/mfa-tokens.service.js';
import { MfaService } from './features/mfa/mfa.service.js';
import { PasskeysService } from './features/mfa/passkeys.service.js';
import { fabricAuthTablePrefix, setFabricAuthTablePrefix } from './schema/table-prefix.js';

const EXPORTED = [
  FabricGuard,
  FabricTransactions,
  Revocations,
  FabricAuthenticator,
  FabricClock,
  FABRIC_RESOLVED_OPTIONS,
  FABRIC_REVOCATION_BUS,
  FABRIC_THROTTLER_STORAGE,
  FABRIC_LOCKOUT_STORE,
  LimitsService,
  PermissionRegistry,
  PrincipalService,
  TokenService,
  SigningKeysService,
  SessionsService,
  UsersService,
  RolesService,
  AuditService,
  PasswordHasher,
  OneTimeTokensService,
  FABRIC_NOTIFIER,
  FabricJwtStrategy,
  FabricCookieStrategy,
  FabricApiKeyStrategy,
  ApiKeysService,
  ServiceAccountsService,
  AccountCeiling,
  OidcLoginService,
  FabricOidcStrategy,
  PruningService,
  ClockCheck,
  MfaService,
];

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

function controllersFor(extras: FabricAuthModuleExtras): Type[] {
  const prefix = extras.routePrefix ?? DEFAULT_EXTRAS.routePrefix;
  const selected = { ...DEFAULT_EXTRAS.controllers, ...extras.controllers };
  const controllers: Type[] = [];
  if (selected.auth) controllers.push(AuthController);
  if (selected.users) controllers.push(UsersController, UserIdentitiesController);
  if (selected.mfa) controllers.push(MfaController);
  if (selected.roles) controllers.push(RolesController);
  if (selected.audit) controllers.push(AuditController);
  if (selected.apiKeys) controllers.push(UserApiKeysController);
  if (selected.serviceAccounts) controllers.push(ServiceAccountsController);
  if (selected.oidc) controllers.push(OidcController);
  if (selected.signingKeys) controllers.push(SigningKeysController);
  const mounted = controllers.map((c) => mountedAt(prefix, c));
  if (selected.wellKnown) mounted.push(WellKnownController);
  return mounted;
}

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

/** What the module's shape options (extras) add: controllers and the ports' implementations. */
function shapedBy(extras: FabricAuthModuleExtras): Pick<DynamicModule, 'controllers' | 'providers'> {
  if (extras.tablePrefix !== undefined) setFabricAuthTablePrefix(extras.tablePrefix);
  const providers: Provider[] = [
    { provide: FABRIC_NOTIFIER, useClass: extras.notifier ?? LoggingNotifier },
    { provide: FABRIC_TABLE_PREFIX, useValue: fabricAuthTablePrefix() },
    { provide: FABRIC_ROUTE_PREFIX, useValue: extras.routePrefix ?? DEFAULT_EXTRAS.routePrefix },
    { provide: FABRIC_APP_PERMISSIONS, useValue: [...(extras.appPermissions ?? [])] },
  ];
  return { controllers: controllersFor(extras), providers };
}

/** @publicApi */
@Module({
  imports: [TypeOrmModule.forFeature([...FABRIC_AUTH_ENTITIES]), PassportModule, DiscoveryModule],
  providers: [
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
    // No event listener until the events feature (issue 25) binds one.
    { provide: FabricEvents, useClass: NoFabricEvents },
    AuditService,
    RolesService,
    SessionsService,
    CredentialReads,
    PruningService,
    ClockCheck,
    PrincipalService,
    AccessTokenPrincipals,
    AccessTokenVerifier,
    UsersService,
    UserManagementService,
    UserLookup,
    AccountCeiling,
    PrincipalNames,
    OneTimeTokensService,
    AccountRecoveryService,
    SessionOpener,
    MfaPolicy,
    NoSecondFactor,
    MfaChallenges,
    MfaService,
    PasskeysService,
    LocalAuthService,
    MfaLoginService,
    MfaSecondFactor,
    // The MFA feature voids pending second factors when a password changes or an account is deactivated.
    { provide: CredentialChangeHooks, inject: [MfaChallenges], useFactory: (mfa: MfaChallenges): CredentialChangeHooks => [mfa] },
    // The port is bound where the features are composed: the MFA feature when it is mounted,
    // else the core's NoSecondFactor (which refuses anyone MFA would have asked for a factor).
    { provide: SecondFactor, useExisting: MfaSecondFactor },
    IssuedTokensService,
    ClientCredentialsService,
    SessionCookies,
    FabricJwtStrategy,
    FabricCookieStrategy,
    ApiKeyUsage,
    ApiKeysService,
    ServiceAccountsService,
    FabricApiKeyStrategy,
    { provide: FABRIC_API_KEY_AUTHENTICATOR, inject: [FabricApiKeyStrategy], useFactory: apiKeyAuthenticatorFrom },
    TrustedIssuersService,
    FabricAuthenticator,
    FabricGuard,
    FabricSeeder,
    OidcClients,
    OidcLoginStates,
    ExternalSignIn,
    OidcLoginService,
    OidcLogoutService,
    // OIDC's RP-initiated logout hooks into login's logout.
    { provide: SignOutHooks, inject: [OidcLogoutService], useFactory: (oidc: OidcLogoutService): SignOutHooks => [oidc] },
    UserIdentitiesService,
    FabricOidcStrategy,
    FastifyReplyLink,
  ],
  exports: EXPORTED,
})
export class FabricAuthModule extends FabricAuthConfigurableModule {
  static override forRoot(options: typeof FABRIC_AUTH_OPTIONS_TYPE): DynamicModule {
    return withShape(super.forRoot(options), options);
  }

  static override forRootAsync(options: typeof FABRIC_AUTH_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withShape(super.forRootAsync(options), options);
  }
}

function withShape(definition: DynamicModule, extras: FabricAuthModuleExtras): DynamicModule {
  const shape = shapedBy(extras);
  return { ...definition, controllers: shape.controllers, providers: [...(definition.providers ?? []), ...shape.providers!] };
}
