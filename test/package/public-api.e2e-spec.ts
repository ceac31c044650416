import { resolve } from 'node:path';
import type { DynamicModule } from '@nestjs/common';
import { expectTypeOf } from 'expect-type';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type * as Root from 'nestjs-fabric-auth';
import type * as Entities from 'nestjs-fabric-auth/entities';
import type * as Migrations from 'nestjs-fabric-auth/migrations';
import type * as Testing from 'nestjs-fabric-auth/testing';

// The public surface, pinned. Adding, removing or renaming a name of an entry point fails here
// (the type assertions fail `npm run typecheck`, the lists fail this suite): say it in the
// CHANGELOG, then change the list. Everything not listed is internal and may move.

const ROOT_VALUES = [
  'AccountCeiling',
  'ApiFabricAuth',
  'ApiKeysService',
  'applyFabricHttpHardening',
  'BeforeFabricEvent',
  'CurrentOrg',
  'CurrentPrincipal',
  'DEFAULT_SECURITY_HEADERS',
  'ErrorResponseDto',
  'FABRIC_ERROR_CODES',
  'FABRIC_NOTIFIER',
  'FabricAuthError',
  'FabricAuthModule',
  'fabricAuthOptionsFromTree',
  'FabricClock',
  'FabricConfigError',
  'FabricError',
  'fabricErrorStatus',
  'FabricEventRefusal',
  'fabricConfigLoader',
  'FabricExceptionFilter',
  'FabricGuard',
  'FabricStartupError',
  'FabricTransactions',
  'hashPassword',
  'NoStore',
  'OnFabricEvent',
  'OrgScoped',
  'parseDatabaseUrl',
  'PasswordPolicyError',
  'passwordHashSettings',
  'principalHasPermission',
  'PruningService',
  'Public',
  'readFabricConfigTree',
  'RequireMfa',
  'RequirePermission',
  'RolesService',
  'ServiceAccountsService',
  'SessionsService',
  'SystemAdminConflictError',
  'systemActor',
  'TokenService',
  'UnknownRolesError',
  'upsertSystemAdmin',
  'UserManagementService',
  'UsersService',
  'verifyPassword',
  'withFabricAuthSecurity',
  'withFabricDatabaseRetry',
] as const;
const ROOT_TYPES = [
  'FabricAuthFailure',
  'FabricAuthFeatureName',
  'FabricAuthModuleExtras',
  'FabricErrorCode',
  'FabricErrorOptions',
  'FabricAuthOptions',
  'FabricBeforeEvent',
  'FabricDatabaseChoice',
  'FabricEventPayload',
  'FabricEventType',
  'FabricHttpHardeningOptions',
  'FabricInvitationNotification',
  'FabricNotification',
  'FabricNotifier',
  'OidcLoginResult',
  'OidcProviderOptions',
  'Principal',
  'PrincipalOrganization',
  'ResolvedFabricAuthOptions',
  'SamlProviderOptions',
] as const;
const ENTITIES_VALUES = [
  'ApiKeyEntity',
  'AuditEventEntity',
  'EventOutboxEntity',
  'FABRIC_AUTH_ENTITIES',
  'fabricAuthTablePrefix',
  'MfaChallengeEntity',
  'MfaFactorEntity',
  'OidcLogoutTokenEntity',
  'OneTimeTokenEntity',
  'OrganizationDomainEntity',
  'OrganizationSsoConnectionEntity',
  'OrganizationEntity',
  'OrganizationInvitationEntity',
  'OrganizationMemberEntity',
  'OrganizationMemberRoleEntity',
  'OrganizationRoleEntity',
  'RecoveryCodeEntity',
  'RevocationEntity',
  'RoleAssignmentEntity',
  'RoleEntity',
  'SamlUsedAssertionEntity',
  'ScimGroupEntity',
  'ScimGroupMemberEntity',
  'ScimUserEmailEntity',
  'ScimUserEntity',
  'ServiceAccountEntity',
  'SessionEntity',
  'setFabricAuthTablePrefix',
  'SigningKeyEntity',
  'UserEntity',
  'UserIdentityEntity',
  'WebhookDeliveryEntity',
  'WebhookEndpointEntity',
] as const;
const ENTITIES_TYPES = ['OneTimeTokenPurpose', 'ScimAttributes'] as const;
const MIGRATIONS_VALUES = ['FABRIC_AUTH_POSTGRES_MIGRATIONS', 'FABRIC_AUTH_SQLITE_MIGRATIONS', 'fabricAuthMigrations', 'fabricSchema'] as const;
const MIGRATIONS_TYPES = ['FabricSchemaNames'] as const;
const TESTING_VALUES = ['createTestCredential', 'testPrincipal'] as const;
const TESTING_TYPES = ['TestCredential', 'TestCredentialSpec'] as const;

// The value names, checked by the compiler (`npm run typecheck`): one name more or less fails.
expectTypeOf<keyof typeof Root>().toEqualTypeOf<(typeof ROOT_VALUES)[number]>();
expectTypeOf<keyof typeof Entities>().toEqualTypeOf<(typeof ENTITIES_VALUES)[number]>();
expectTypeOf<keyof typeof Migrations>().toEqualTypeOf<(typeof MIGRATIONS_VALUES)[number]>();
expectTypeOf<keyof typeof Testing>().toEqualTypeOf<(typeof TESTING_VALUES)[number]>();

// A few signatures a host app writes against.
expectTypeOf<typeof Root.FabricAuthModule.forRoot>().returns.toEqualTypeOf<DynamicModule>();
expectTypeOf<Root.FabricAuthFeatureName>().toEqualTypeOf<
  | 'login'
  | 'users'
  | 'mfa'
  | 'roles'
  | 'audit'
  | 'apiKeys'
  | 'serviceAccounts'
  | 'oidc'
  | 'signingKeys'
  | 'maintenance'
  | 'organizations'
  | 'scim'
  | 'events'
  | 'webhooks'
  | 'saml'
  | 'console'
>();
expectTypeOf<typeof Root.FabricAuthModule.forRoot>().parameter(0).toExtend<Root.FabricAuthOptions & Root.FabricAuthModuleExtras>();
expectTypeOf<typeof Root.RequirePermission>().parameters.toEqualTypeOf<string[]>();
expectTypeOf<Root.Principal['permissions']>().toEqualTypeOf<ReadonlySet<string>>();
expectTypeOf<Root.Principal['kind']>().toEqualTypeOf<'user' | 'service_account' | 'external' | 'system' | 'scim_token'>();
expectTypeOf<typeof Root.systemActor>().returns.toEqualTypeOf<Root.Principal>();
expectTypeOf<typeof Root.principalHasPermission>().parameters.toEqualTypeOf<[Root.Principal, string]>();
expectTypeOf<typeof Root.applyFabricHttpHardening>().parameter(1).toEqualTypeOf<Root.FabricHttpHardeningOptions | undefined>();
expectTypeOf<Root.FabricNotifier>().toHaveProperty('send');
expectTypeOf<typeof Root.FabricConfigError>().instance.toExtend<Root.FabricStartupError>();
expectTypeOf<typeof Migrations.fabricAuthMigrations>().parameter(0).toEqualTypeOf<'postgres' | 'better-sqlite3' | 'sqlite'>();
expectTypeOf<typeof Testing.createTestCredential>().returns.resolves.toEqualTypeOf<Testing.TestCredential>();
expectTypeOf<Testing.TestCredential['user']>().toEqualTypeOf<Entities.UserEntity>();

const SRC = resolve('libs/fabric-auth/src');
const ENTRY_POINTS = {
  'nestjs-fabric-auth': { file: 'index.ts', values: ROOT_VALUES, types: ROOT_TYPES },
  'nestjs-fabric-auth/entities': { file: 'entities.ts', values: ENTITIES_VALUES, types: ENTITIES_TYPES },
  'nestjs-fabric-auth/migrations': { file: 'migrations.ts', values: MIGRATIONS_VALUES, types: MIGRATIONS_TYPES },
  'nestjs-fabric-auth/testing': { file: 'testing/index.ts', values: TESTING_VALUES, types: TESTING_TYPES },
};

/** What an entry point exports, as the compiler sees it: each name, whether it is a value, and whether its declaration says `@publicApi`. */
function surfaceOf(program: ts.Program, file: string): Array<{ name: string; value: boolean; marked: boolean }> {
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(resolve(SRC, file))!)!;
  return checker.getExportsOfModule(moduleSymbol).map((exported) => {
    const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declaration = target.declarations![0];
    const typeOnly = exported.declarations!.some((d) => ts.isTypeOnlyImportOrExportDeclaration(d));
    return {
      name: exported.name,
      value: !typeOnly && (target.flags & ts.SymbolFlags.Value) !== 0,
      marked: ts.getJSDocTags(declaration).some((tag) => tag.tagName.text === 'publicApi'),
    };
  });
}

describe('the public API', () => {
  const program = ts.createProgram(
    Object.values(ENTRY_POINTS).map((entry) => resolve(SRC, entry.file)),
    { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2023, experimentalDecorators: true, noEmit: true },
  );
  const byName = (a: string, b: string) => a.localeCompare(b);

  describe.each(Object.entries(ENTRY_POINTS))('%s', (_entry, { file, values, types }) => {
    const surface = surfaceOf(program, file);

    it('exports exactly the listed values and types', () => {
      expect(
        surface
          .filter((s) => s.value)
          .map((s) => s.name)
          .sort(byName),
      ).toEqual([...values].sort(byName));
      expect(
        surface
          .filter((s) => !s.value)
          .map((s) => s.name)
          .sort(byName),
      ).toEqual([...types].sort(byName));
    });

    it('marks each exported declaration /** @publicApi */', () => {
      expect(surface.filter((s) => !s.marked).map((s) => s.name)).toEqual([]);
    });
  });

  // About fifty, plus what organizations add to the guard (OrgScoped, CurrentOrg, PrincipalOrganization)
  // and the events' six (two decorators, the refusal, the payload, its type names, the before-hooks' arguments).
  it('is about fifty names at the root', () => {
    expect(ROOT_VALUES.length + ROOT_TYPES.length).toBeLessThanOrEqual(70);
  });
});
