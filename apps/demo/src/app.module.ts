import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import { type FabricAuthFeatureName, FabricAuthModule, type FabricAuthOptions, withFabricDatabaseRetry } from 'nestjs-fabric-auth';
import { fabricAuthMigrations } from 'nestjs-fabric-auth/migrations';
import { BenchController } from './bench.controller.js';
import type { DatabaseChoice, DemoConfig } from './demo-config.js';
import { DEMO_PAGE_FACTS, DemoPageController, type DemoPageFacts } from './demo-page.controller.js';
import { DEMO_PERMISSIONS, PingController, ReportsController } from './reports.controller.js';

export function typeOrmOptions(database: DatabaseChoice): TypeOrmModuleOptions {
  const common = {
    autoLoadEntities: true,
    migrations: fabricAuthMigrations(database.type),
    migrationsRun: true,
    synchronize: false,
  } as const;
  return database.type === 'postgres'
    ? { ...common, type: 'postgres', url: database.url }
    : { ...common, type: 'better-sqlite3', database: database.database, enableWAL: database.database !== ':memory:', timeout: 5000 };
}

/**
 * The features `forRootAsync` loads. `auth.organizations.enabled` turns organizations on,
 * `auth.scim.enabled` SCIM, `auth.console.enabled` the admin console, `auth.webhooks.enabled` webhooks, and a SAML connection in `auth.providers` turns saml on, which `forRoot` reads itself; `forRootAsync`
 * cannot read the options before its routes are fixed, so the demo, which has read its config
 * already, names the features.
 */
function featuresOf(config: DemoConfig): readonly FabricAuthFeatureName[] | undefined {
  if (config.features !== undefined) return config.features;
  const optIn: FabricAuthFeatureName[] = [
    ...(config.options.organizations.enabled ? (['organizations'] as const) : []),
    ...(Object.values(config.options.providers).some((provider) => provider.type === 'saml') ? (['saml'] as const) : []),
    ...(config.options.scim.enabled ? (['scim'] as const) : []),
    ...(config.options.console.enabled ? (['console'] as const) : []),
    ...(config.options.webhooks.enabled ? (['webhooks'] as const) : []),
  ];
  if (optIn.length === 0) return undefined;
  return ['login', 'users', 'mfa', 'roles', 'audit', 'apiKeys', 'serviceAccounts', 'oidc', 'signingKeys', 'maintenance', ...optIn];
}

@Module({})
export class DemoAppModule {
  /** `registration: 'sync'` shows `forRoot`; the default shows `forRootAsync` fed by @nestjs/config. */
  static register(config: DemoConfig, registration: 'sync' | 'async' = 'async'): DynamicModule {
    const fabric =
      registration === 'sync'
        ? FabricAuthModule.forRoot({ ...config.options, appPermissions: DEMO_PERMISSIONS, features: config.features })
        : FabricAuthModule.forRootAsync({
            appPermissions: DEMO_PERMISSIONS,
            features: featuresOf(config),
            // Table names are fixed before the factory runs, so the prefix is given here too.
            tablePrefix: config.options.tablePrefix,
            inject: [ConfigService],
            useFactory: (settings: ConfigService) => settings.getOrThrow<FabricAuthOptions>('fabricAuth'),
          });
    const pageFacts: DemoPageFacts = {
      adminUsername: config.options.systemAdminUsername,
      adminPasswordGenerated: config.generatedAdminPassword !== undefined,
      ssoConfigured: config.options.providers.oidc !== undefined,
      samlConnections: Object.entries(config.options.providers)
        .filter(([, provider]) => provider.type === 'saml')
        .map(([name]) => name),
    };
    return {
      module: DemoAppModule,
      providers: [{ provide: DEMO_PAGE_FACTS, useValue: pageFacts }],
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ fabricAuth: config.options })] }),
        TypeOrmModule.forRootAsync(withFabricDatabaseRetry({ useFactory: () => typeOrmOptions(config.database) }, { attempts: config.databaseConnectAttempts })),
        fabric,
      ],
      controllers: [PingController, ReportsController, DemoPageController, ...(config.benchRoutes ? [BenchController] : [])],
    };
  }
}
