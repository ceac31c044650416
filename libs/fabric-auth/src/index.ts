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
export {
  FabricConfigError,
  FabricStartupError,
} from './options/fabric-config.error.js';
export {
  resolveFabricAuthOptions,
} from './options/resolve-options.js';
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
} from './fabric-auth.constants.js';
export {
  type FabricConfigSource,
  type FabricConfigTree,
  fabricAuthOptionsFromTree,
  fabricConfigLoader,
  readFabricConfigTree,
} from './options/fabric-config.loader.js';
export { DATABASE_URL_FORMS, type FabricDatabaseChoice, parseDatabaseUrl } from './storage/database-url.js';
export { type FabricDatabaseRetry, withFabricDatabaseRetry } from './storage/database-connect.js';

export { FabricGuard } from './authz/fabric.guard.js';
export { RequirePermission } from './authz/require-permission.decorator.js';
export { Public } from './authz/public.decorator.js';
export { AllowDuringMfaEnrolment, RequireMfa } from './authz/require-mfa.decorator.js';
export { MfaService, type LoginFactor, type MfaStateDto } from './mfa/mfa.service.js';
export { AccountCeiling, type AccountRef, isSelf } from './authz/account-ceiling.service.js';
export { BUILT_IN_PERMISSIONS, PermissionRegistry } from './authz/permission-registry.js';
export { CurrentPrincipal } from './principal/current-principal.decorator.js';
export { type AuthMethod, type Principal, type PrincipalKind, principalHasPermission } from './principal/principal.js';
export { systemActor } from './principal/system-actor.js';
export type { HttpRequestLike } from './common/request-info.js';
export { type ListEnvelope, ListQueryDto } from './common/list-query.js';
export {
  ChangePasswordDto,
  CreateUserDto,
  ListUsersQueryDto,
  SessionDto,
  SessionListDto,
  UpdateUserDto,
  UserDto,
  UserListDto,
} from './users/dto/user.dto.js';
export { ApiKeyDto, ApiKeyListDto, CreateApiKeyDto, CreatedApiKeyDto } from './api-keys/dto/api-key.dto.js';
export { CreateRoleDto, RoleDto, RoleListDto, UpdateRoleDto } from './roles/dto/role.dto.js';
export {
  CreateServiceAccountDto,
  ListServiceAccountsQueryDto,
  ServiceAccountDto,
  ServiceAccountListDto,
  UpdateServiceAccountDto,
} from './service-accounts/dto/service-account.dto.js';
export { ActivateDto, PasswordResetConfirmDto, PasswordResetRequestDto } from './auth/dto/recovery.dto.js';

export { FabricClock, SystemClock } from './common/clock.js';
export { FabricExceptionFilter } from './common/fabric-exception.filter.js';
export {
  applyFabricHttpHardening,
  DEFAULT_BODY_LIMIT,
  DEFAULT_SECURITY_HEADERS,
  type FabricHttpHardeningOptions,
} from './http/fabric-http-hardening.js';
export { DEFAULT_MAX_JSON_DEPTH, exceedsJsonDepth } from './http/json-depth.js';
export { DEFAULT_SERVER_TIMEOUTS, type FabricServerTimeouts } from './http/server-lifecycle.js';
export { ApiFabricAuth, ErrorResponseDto, SWAGGER_SCHEMES } from './common/api-docs.js';
export { withFabricAuthSecurity } from './http/swagger-security.js';
export { NoStore } from './common/no-store.decorator.js';
export {
  DisplayName,
  IdentityEmail,
  IntegerField,
  INVISIBLE_CHARACTERS,
  MaxStoredLength,
  NoInvisibleCharacters,
  StoredText,
  storedLength,
} from './common/field-rules.js';
export { type FabricNotification, type FabricNotifier, LoggingNotifier } from './notifications/notifier.js';
export { FABRIC_NOTIFIER } from './fabric-auth.constants.js';
export { OneTimeTokensService } from './one-time-tokens/one-time-tokens.service.js';
export { UserManagementService } from './users/user-management.service.js';
export { FabricAuthError, type FabricAuthFailure } from './tokens/fabric-auth.error.js';
export type { FabricApiKeyAuthenticator } from './strategies/api-key-authenticator.js';
export { FabricJwtStrategy } from './strategies/jwt.strategy.js';
export { FabricCookieStrategy } from './strategies/cookie.strategy.js';
export { FabricOidcStrategy, type OidcStrategyOptions } from './strategies/oidc.strategy.js';
export { type OidcLoginResult, OidcLoginService } from './oidc/oidc-login.service.js';
export type { OidcFailureReason, SsoErrorCode } from './oidc/oidc-login.error.js';
export { OidcLogoutService } from './oidc/oidc-logout.service.js';
export { FabricApiKeyStrategy } from './strategies/api-key.strategy.js';
export { ApiKeysService, type KeyOwner } from './api-keys/api-keys.service.js';
export { API_KEY_PREFIX } from './api-keys/api-key-format.js';
export { ServiceAccountsService } from './service-accounts/service-accounts.service.js';
export {
  type FabricRevocationBus,
  InMemoryRevocationBus,
  type RevocationEvent,
  type RevocationListener,
} from './sessions/revocation-bus.js';

export { Revocations } from './sessions/revocations.js';
export { type FabricTransaction, FabricTransactions } from './common/transactions.js';

export { TokenService } from './tokens/token.service.js';
export { SigningKeysService, type SigningKeyInfo } from './signing/signing-keys.service.js';
export type { AsymmetricAlgorithm, PublicJwk, SigningAlgorithm } from './signing/jws.js';
export { SigningKeyEntity } from './signing/signing-key.entity.js';
export { MfaFactorEntity } from './mfa/mfa-factor.entity.js';
export { RecoveryCodeEntity } from './mfa/recovery-code.entity.js';
export { MfaChallengeEntity } from './mfa/mfa-challenge.entity.js';
export { SessionsService } from './sessions/sessions.service.js';
export { PruningService, type PruneResult } from './maintenance/pruning.service.js';
export { CLOCK_DIFFERENCE_WARNING_MS, ClockCheck, type ClockDifference } from './maintenance/clock-check.service.js';
export { UsersService, type CreateUserInput, PasswordPolicyError } from './users/users.service.js';
export { RolesService, UnknownRolesError } from './roles/roles.service.js';
export { AuditService, type AuditRecord } from './audit/audit.service.js';
export { PasswordHasher, PasswordChecksBusyException } from './passwords/password-hasher.js';
export { hashPassword, passwordHashSettings, type PasswordHashSettings, verifyPassword } from './passwords/password-hashes.js';
export {
  upsertSystemAdmin,
  SystemAdminConflictError,
  type SystemAdminSeed,
  type SystemAdminSeedResult,
} from './seeding/upsert-system-admin.js';

export { FABRIC_AUTH_ENTITIES } from './entities.js';
export { UserEntity } from './users/user.entity.js';
export { RoleEntity } from './roles/role.entity.js';
export { RoleAssignmentEntity } from './roles/role-assignment.entity.js';
export { SessionEntity } from './sessions/session.entity.js';
export { RevocationEntity } from './sessions/revocation.entity.js';
export { ApiKeyEntity } from './api-keys/api-key.entity.js';
export { ServiceAccountEntity } from './service-accounts/service-account.entity.js';
export { OneTimeTokenEntity, type OneTimeTokenPurpose } from './one-time-tokens/one-time-token.entity.js';
export { AuditEventEntity } from './audit/audit-event.entity.js';
export { UserIdentityEntity } from './oidc/user-identity.entity.js';
export { OidcLogoutTokenEntity } from './oidc/oidc-logout-token.entity.js';
export { FABRIC_AUTH_POSTGRES_MIGRATIONS, FABRIC_AUTH_SQLITE_MIGRATIONS, fabricAuthMigrations } from './migrations/index.js';
export { fabricSchema, type FabricSchemaNames } from './migrations/fabric-schema.js';
export { fabricAuthTablePrefix, setFabricAuthTablePrefix } from './storage/table-prefix.js';
