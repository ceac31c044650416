// The public API of nestjs-fabric-auth: what a host app needs, and no more. Each name is marked
// `@publicApi` at its declaration and pinned by test/package/public-api.e2e-spec.ts.
// Entities: `nestjs-fabric-auth/entities`; migrations: `nestjs-fabric-auth/migrations`;
// test helpers: `nestjs-fabric-auth/testing`. Everything else is internal and may move.

// The module and its options
export { FabricAuthModule } from './fabric-auth.module.js';
export type { FabricAuthModuleExtras } from './fabric-auth.module-definition.js';
export type { FabricAuthFeatureName } from './fabric-auth.features.js';
export type { FabricAuthOptions, OidcProviderOptions, ResolvedFabricAuthOptions, SamlProviderOptions } from './options/fabric-auth.options.js';
export { fabricAuthOptionsFromTree, fabricConfigLoader, readFabricConfigTree } from './options/fabric-config.loader.js';
export { type FabricDatabaseChoice, parseDatabaseUrl } from './data/database-url.js';
export { withFabricDatabaseRetry } from './data/database-connect.js';

// The guard, its decorators and the principal they give
export { FabricGuard } from './access/guard/fabric.guard.js';
export { RequirePermission } from './access/guard/require-permission.decorator.js';
export { Public } from './access/guard/public.decorator.js';
export { RequireMfa } from './access/guard/require-mfa.decorator.js';
export { CurrentPrincipal } from './access/principal/current-principal.decorator.js';
export { CurrentOrg, OrgScoped } from './access/guard/org-scoped.decorator.js';
export { type Principal, type PrincipalOrganization, principalHasPermission } from './core/principal.js';
export { systemActor } from './core/system-actor.js';

// The services an app calls
export { UsersService } from './access/accounts/users.service.js';
export { UserManagementService } from './features/users/user-management.service.js';
export { RolesService } from './access/accounts/roles.service.js';
export { ApiKeysService } from './access/api-keys/api-keys.service.js';
export { ServiceAccountsService } from './features/service-accounts/service-accounts.service.js';
export { SessionsService } from './access/sessions/sessions.service.js';
export { TokenService } from './access/tokens/token.service.js';
export { PruningService } from './features/maintenance/pruning.service.js';
export { FabricTransactions } from './data/transactions.js';
export { AccountCeiling } from './access/accounts/account-ceiling.service.js';
export type { OidcLoginResult } from './features/oidc/oidc-login.service.js';

// What an app plugs in: the notifier, the clock
export type { FabricInvitationNotification, FabricNotification, FabricNotifier } from './core/ports/notifier.js';
export { FABRIC_NOTIFIER } from './core/fabric-auth.constants.js';
export { FabricClock } from './core/clock.js';

// Events (SPEC §18): handlers in the app, their payloads
export { BeforeFabricEvent, type FabricBeforeEvent, FabricEventRefusal, OnFabricEvent } from './core/fabric-event.decorators.js';
export type { FabricEventPayload, FabricEventType } from './core/fabric-event-catalog.js';

// Errors
export { FABRIC_ERROR_CODES, FabricError, type FabricErrorCode, type FabricErrorOptions, fabricErrorStatus } from './core/fabric-error.js';
export { FabricAuthError, type FabricAuthFailure } from './core/fabric-auth.error.js';
export { FabricConfigError, FabricStartupError } from './options/fabric-config.error.js';
export { PasswordPolicyError } from './access/accounts/users.service.js';
export { UnknownRolesError } from './access/accounts/roles.service.js';
export { SystemAdminConflictError, upsertSystemAdmin } from './access/seeding/upsert-system-admin.js';

// Passwords, for an app's own scripts
export { hashPassword, passwordHashSettings, verifyPassword } from './core/password-hashes.js';

// HTTP hardening and Swagger
export { applyFabricHttpHardening, DEFAULT_SECURITY_HEADERS, type FabricHttpHardeningOptions } from './http/fabric-http-hardening.js';
export { FabricExceptionFilter } from './http/fabric-exception.filter.js';
export { NoStore } from './http/no-store.decorator.js';
export { ApiFabricAuth, ErrorResponseDto } from './http/api-docs.js';
export { withFabricAuthSecurity } from './http/swagger-security.js';
