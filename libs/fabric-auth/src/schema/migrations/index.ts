import { FabricAuthInitPostgres1764340000000 } from './postgres/1764340000000-FabricAuthInit.js';
import { OidcIdentitiesPostgres1764350000000 } from './postgres/1764350000000-OidcIdentities.js';
import { ApiKeyPinnedScopesPostgres1764360000000 } from './postgres/1764360000000-ApiKeyPinnedScopes.js';
import { ListIndexesPostgres1764370000000 } from './postgres/1764370000000-ListIndexes.js';
import { RevocationLogPostgres1764380000000 } from './postgres/1764380000000-RevocationLog.js';
import { FabricAuthInitSqlite1764340000000 } from './sqlite/1764340000000-FabricAuthInit.js';
import { OidcIdentitiesSqlite1764350000000 } from './sqlite/1764350000000-OidcIdentities.js';
import { ApiKeyPinnedScopesSqlite1764360000000 } from './sqlite/1764360000000-ApiKeyPinnedScopes.js';
import { ListIndexesSqlite1764370000000 } from './sqlite/1764370000000-ListIndexes.js';
import { RevocationLogSqlite1764380000000 } from './sqlite/1764380000000-RevocationLog.js';
import { SigningKeysPostgres1796163386679 } from './postgres/1796163386679-SigningKeys.js';
import { SigningKeysSqlite1796163386679 } from './sqlite/1796163386679-SigningKeys.js';
import { MultiFactorPostgres1796171724660 } from './postgres/1796171724660-MultiFactor.js';
import { OidcLogoutPostgres1796174136880 } from './postgres/1796174136880-OidcLogout.js';
import { MultiFactorSqlite1796171724660 } from './sqlite/1796171724660-MultiFactor.js';
import { OidcLogoutSqlite1796174136880 } from './sqlite/1796174136880-OidcLogout.js';
import { SessionOrganizationPostgres1796180000000 } from './postgres/1796180000000-SessionOrganization.js';
import { SessionOrganizationSqlite1796180000000 } from './sqlite/1796180000000-SessionOrganization.js';
import { OrganizationsPostgres1796533752136 } from './postgres/1796533752136-Organizations.js';
import { OrganizationsSqlite1796533752136 } from './sqlite/1796533752136-Organizations.js';
import { OrgServiceAccountsPostgres1796537399179 } from './postgres/1796537399179-OrgServiceAccounts.js';
import { OrgServiceAccountsSqlite1796537399179 } from './sqlite/1796537399179-OrgServiceAccounts.js';
import { ScimTokensPostgres1796546261998 } from './postgres/1796546261998-ScimTokens.js';
import { ScimTokensSqlite1796546261998 } from './sqlite/1796546261998-ScimTokens.js';
import { SamlAssertionsPostgres1796546418202 } from './postgres/1796546418202-SamlAssertions.js';
import { SamlAssertionsSqlite1796546418202 } from './sqlite/1796546418202-SamlAssertions.js';
import { ScimUsersPostgres1796547947635 } from './postgres/1796547947635-ScimUsers.js';
import { ScimUsersSqlite1796547947635 } from './sqlite/1796547947635-ScimUsers.js';
import { ScimListIndexesPostgres1796557715084 } from './postgres/1796557715084-ScimListIndexes.js';
import { ScimGroupsPostgres1796549188074 } from './postgres/1796549188074-ScimGroups.js';
import { ScimListIndexesSqlite1796557715084 } from './sqlite/1796557715084-ScimListIndexes.js';
import { EventOutboxPostgres1796557827494 } from './postgres/1796557827494-EventOutbox.js';
import { ScimGroupsSqlite1796549188074 } from './sqlite/1796549188074-ScimGroups.js';
import { DomainVerificationPostgres1796557799415 } from './postgres/1796557799415-DomainVerification.js';
import { DomainVerificationSqlite1796557799415 } from './sqlite/1796557799415-DomainVerification.js';
import { EventOutboxSqlite1796557827494 } from './sqlite/1796557827494-EventOutbox.js';
import { OrganizationSsoConnectionsPostgres1796559727329 } from './postgres/1796559727329-OrganizationSsoConnections.js';
import { OrganizationSsoConnectionsSqlite1796559727329 } from './sqlite/1796559727329-OrganizationSsoConnections.js';
import { WebhooksPostgres1796560542618 } from './postgres/1796560542618-Webhooks.js';
import { WebhooksSqlite1796560542618 } from './sqlite/1796560542618-Webhooks.js';
import { WebhookAttemptLogPostgres1796571050004 } from './postgres/1796571050004-WebhookAttemptLog.js';
import { WebhookAttemptLogSqlite1796571050004 } from './sqlite/1796571050004-WebhookAttemptLog.js';
import { WebhookDeliveriesByEventPostgres1796571969522 } from './postgres/1796571969522-WebhookDeliveriesByEvent.js';
import { WebhookDeliveriesByEventSqlite1796571969522 } from './sqlite/1796571969522-WebhookDeliveriesByEvent.js';

/**
 * Migrations for `TypeOrmModule.forRoot({ migrations, migrationsRun: true })`, per driver.
 *
 * @publicApi
 */
export const FABRIC_AUTH_POSTGRES_MIGRATIONS = [
  FabricAuthInitPostgres1764340000000,
  OidcIdentitiesPostgres1764350000000,
  ApiKeyPinnedScopesPostgres1764360000000,
  ListIndexesPostgres1764370000000,
  RevocationLogPostgres1764380000000,
  SigningKeysPostgres1796163386679,
  MultiFactorPostgres1796171724660,
  OidcLogoutPostgres1796174136880,
  SessionOrganizationPostgres1796180000000,
  OrganizationsPostgres1796533752136,
  OrgServiceAccountsPostgres1796537399179,
  ScimTokensPostgres1796546261998,
  SamlAssertionsPostgres1796546418202,
  ScimUsersPostgres1796547947635,
  ScimGroupsPostgres1796549188074,
  ScimListIndexesPostgres1796557715084,
  DomainVerificationPostgres1796557799415,
  EventOutboxPostgres1796557827494,
  OrganizationSsoConnectionsPostgres1796559727329,
  WebhooksPostgres1796560542618,
  WebhookAttemptLogPostgres1796571050004,
  WebhookDeliveriesByEventPostgres1796571969522,
];
/** @publicApi */
export const FABRIC_AUTH_SQLITE_MIGRATIONS = [
  FabricAuthInitSqlite1764340000000,
  OidcIdentitiesSqlite1764350000000,
  ApiKeyPinnedScopesSqlite1764360000000,
  ListIndexesSqlite1764370000000,
  RevocationLogSqlite1764380000000,
  SigningKeysSqlite1796163386679,
  MultiFactorSqlite1796171724660,
  OidcLogoutSqlite1796174136880,
  SessionOrganizationSqlite1796180000000,
  OrganizationsSqlite1796533752136,
  OrgServiceAccountsSqlite1796537399179,
  ScimTokensSqlite1796546261998,
  SamlAssertionsSqlite1796546418202,
  ScimUsersSqlite1796547947635,
  ScimGroupsSqlite1796549188074,
  ScimListIndexesSqlite1796557715084,
  DomainVerificationSqlite1796557799415,
  EventOutboxSqlite1796557827494,
  OrganizationSsoConnectionsSqlite1796559727329,
  WebhooksSqlite1796560542618,
  WebhookAttemptLogSqlite1796571050004,
  WebhookDeliveriesByEventSqlite1796571969522,
];

/** @publicApi */
export function fabricAuthMigrations(driver: 'postgres' | 'better-sqlite3' | 'sqlite') {
  return driver === 'postgres' ? FABRIC_AUTH_POSTGRES_MIGRATIONS : FABRIC_AUTH_SQLITE_MIGRATIONS;
}
