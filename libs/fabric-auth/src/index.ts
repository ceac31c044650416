// The public API of nestjs-fabric-auth. Everything else is internal.
export { FabricAuthModule } from './fabric-auth.module.js';
export type { FabricAuthModuleExtras } from './fabric-auth.module-definition.js';
export {
  type FabricAuthOptions,
  DEFAULT_OIDC_PROVIDER,
  type OidcProviderOptions,
  type SigningOptions,
  type TrustedIssuerOptions,
  type MfaOptions,
  type WebAuthnOptions,
  type SigningKeyOptions,
  type ResolvedOidcProviderOptions,
  type ResolvedFabricAuthOptions,
} from './options/fabric-auth.options.js';
export { FabricConfigError, FabricStartupError } from './options/fabric-config.error.js';
export { resolveFabricAuthOptions } from './options/resolve-options.js';
export {
  API_KEY_HEADER,
  ACCESS_TOKEN_COOKIE,
  CSRF_HEADER,
  CSRF_TOKEN_COOKIE,
  FABRIC_API_KEY_AUTHENTICATOR,
  FABRIC_API_KEY_STRATEGY,
  FABRIC_COOKIE_STRATEGY,
  FABRIC_JWT_STRATEGY,
  FABRIC_OIDC_STRATEGY,
  FABRIC_REVOCATION_BUS,
  REFRESH_TOKEN_COOKIE,
} from './core/fabric-auth.constants.js';
export { type FabricConfigSource, type FabricConfigTree, fabricAuthOptionsFromTree, fabricConfigLoader, readFabricConfigTree } from './options/fabric-config.loader.js';
export { DATABASE_URL_FORMS, type FabricDatabaseChoice, parseDatabaseUrl } from './data/database-url.js';
export { type FabricDatabaseRetry, withFabricDatabaseRetry } from './data/database-connect.js';

export { FabricGuard } from './access/guard/fabric.guard.js';
export { RequirePermission } from './access/guard/require-permission.decorator.js';
export { Public } from './access/guard/public.decorator.js';
export { AllowDuringMfaEnrolment, RequireMfa } from './access/guard/require-mfa.decorator.js';
export { MfaService, type LoginFactor, type MfaStateDto } from './features/mfa/mfa.service.js';
export { AccountCeiling, type AccountRef, isSelf } from './access/accounts/account-ceiling.service.js';
export { BUILT_IN_PERMISSIONS, PermissionRegistry } from './access/permissions/permission-registry.js';
export { CurrentPrincipal } from './access/principal/current-principal.decorator.js';
export { type AuthMethod, type Principal, type PrincipalKind, principalHasPermission } from './core/principal.js';
export { systemActor } from './core/system-actor.js';
export type { HttpRequestLike } from './core/request-info.js';
export { type ListEnvelope, ListQueryDto } from './data/pagination/list-query.js';
export { ChangePasswordDto, CreateUserDto, ListUsersQueryDto, SessionDto, SessionListDto, UpdateUserDto, UserDto, UserListDto } from './features/users/dto/user.dto.js';
export { ApiKeyDto, ApiKeyListDto, CreateApiKeyDto, CreatedApiKeyDto } from './features/api-keys/dto/api-key.dto.js';
export { CreateRoleDto, RoleDto, RoleListDto, UpdateRoleDto } from './features/roles/dto/role.dto.js';
export {
  CreateServiceAccountDto,
  ListServiceAccountsQueryDto,
  ServiceAccountDto,
  ServiceAccountListDto,
  UpdateServiceAccountDto,
} from './features/service-accounts/dto/service-account.dto.js';
export { ActivateDto, PasswordResetConfirmDto, PasswordResetRequestDto } from './features/login/dto/recovery.dto.js';

export { FabricClock, SystemClock } from './core/clock.js';
export { FabricExceptionFilter } from './http/fabric-exception.filter.js';
export { applyFabricHttpHardening, DEFAULT_BODY_LIMIT, DEFAULT_SECURITY_HEADERS, type FabricHttpHardeningOptions } from './http/fabric-http-hardening.js';
export { DEFAULT_MAX_JSON_DEPTH, exceedsJsonDepth } from './http/json-depth.js';
export { DEFAULT_SERVER_TIMEOUTS, type FabricServerTimeouts } from './http/server-lifecycle.js';
export { ApiFabricAuth, ErrorResponseDto, SWAGGER_SCHEMES } from './http/api-docs.js';
export { withFabricAuthSecurity } from './http/swagger-security.js';
export { NoStore } from './http/no-store.decorator.js';
export { DisplayName, IdentityEmail, IntegerField, INVISIBLE_CHARACTERS, MaxStoredLength, NoInvisibleCharacters, StoredText, storedLength } from './core/field-rules.js';
export { type FabricNotification, type FabricNotifier, LoggingNotifier } from './core/ports/notifier.js';
export { FABRIC_NOTIFIER } from './core/fabric-auth.constants.js';
export { OneTimeTokensService } from './access/tokens/one-time-tokens.service.js';
export { UserManagementService } from './features/users/user-management.service.js';
export { FabricAuthError, type FabricAuthFailure } from './core/fabric-auth.error.js';
export type { FabricApiKeyAuthenticator } from './core/ports/api-key-authenticator.js';
export { FabricJwtStrategy } from './passport/jwt.strategy.js';
export { FabricCookieStrategy } from './passport/cookie.strategy.js';
export { FabricOidcStrategy, type OidcStrategyOptions } from './passport/oidc.strategy.js';
export { type OidcLoginResult, OidcLoginService } from './features/oidc/oidc-login.service.js';
export type { OidcFailureReason, SsoErrorCode } from './features/oidc/oidc-login.error.js';
export { OidcLogoutService } from './features/oidc/oidc-logout.service.js';
export { FabricApiKeyStrategy } from './passport/api-key.strategy.js';
export { ApiKeysService, type KeyOwner } from './features/api-keys/api-keys.service.js';
export { API_KEY_PREFIX } from './features/api-keys/api-key-format.js';
export { ServiceAccountsService } from './features/service-accounts/service-accounts.service.js';
export { type FabricRevocationBus, InMemoryRevocationBus, type RevocationEvent, type RevocationListener } from './core/ports/revocation-bus.js';

export { Revocations } from './access/sessions/revocations.js';
export { type FabricTransaction, FabricTransactions } from './data/transactions.js';

export { TokenService } from './access/tokens/token.service.js';
export { SigningKeysService, type SigningKeyInfo } from './access/signing/signing-keys.service.js';
export type { AsymmetricAlgorithm, PublicJwk, SigningAlgorithm } from './core/jws.js';
export { SigningKeyEntity } from './schema/entities/signing-key.entity.js';
export { MfaFactorEntity } from './schema/entities/mfa-factor.entity.js';
export { RecoveryCodeEntity } from './schema/entities/recovery-code.entity.js';
export { MfaChallengeEntity } from './schema/entities/mfa-challenge.entity.js';
export { SessionsService } from './access/sessions/sessions.service.js';
export { PruningService, type PruneResult } from './features/maintenance/pruning.service.js';
export { CLOCK_DIFFERENCE_WARNING_MS, ClockCheck, type ClockDifference } from './features/maintenance/clock-check.service.js';
export { UsersService, type CreateUserInput, PasswordPolicyError } from './access/accounts/users.service.js';
export { RolesService, UnknownRolesError } from './access/accounts/roles.service.js';
export { AuditService, type AuditRecord } from './data/audit.service.js';
export { PasswordHasher, PasswordChecksBusyException } from './access/passwords/password-hasher.js';
export { hashPassword, passwordHashSettings, type PasswordHashSettings, verifyPassword } from './core/password-hashes.js';
export { upsertSystemAdmin, SystemAdminConflictError, type SystemAdminSeed, type SystemAdminSeedResult } from './access/seeding/upsert-system-admin.js';

export { FABRIC_AUTH_ENTITIES } from './schema/entities.js';
export { UserEntity } from './schema/entities/user.entity.js';
export { RoleEntity } from './schema/entities/role.entity.js';
export { RoleAssignmentEntity } from './schema/entities/role-assignment.entity.js';
export { SessionEntity } from './schema/entities/session.entity.js';
export { RevocationEntity } from './schema/entities/revocation.entity.js';
export { ApiKeyEntity } from './schema/entities/api-key.entity.js';
export { ServiceAccountEntity } from './schema/entities/service-account.entity.js';
export { OneTimeTokenEntity, type OneTimeTokenPurpose } from './schema/entities/one-time-token.entity.js';
export { AuditEventEntity } from './schema/entities/audit-event.entity.js';
export { UserIdentityEntity } from './schema/entities/user-identity.entity.js';
export { OidcLogoutTokenEntity } from './schema/entities/oidc-logout-token.entity.js';
export { FABRIC_AUTH_POSTGRES_MIGRATIONS, FABRIC_AUTH_SQLITE_MIGRATIONS, fabricAuthMigrations } from './schema/migrations/index.js';
export { fabricSchema, type FabricSchemaNames } from './schema/migrations/fabric-schema.js';
export { fabricAuthTablePrefix, setFabricAuthTablePrefix } from './schema/table-prefix.js';
