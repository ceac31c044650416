import { type DynamicModule, Module } from '@nestjs/common';
import { fabricAuthCore, FabricAuthCoreModule } from './fabric-auth.core.js';
import { FABRIC_AUTH_FEATURES, type FabricAuthFeature } from './fabric-auth.features.js';
import {
  DEFAULT_EXTRAS,
  FABRIC_AUTH_ASYNC_OPTIONS_TYPE,
  FABRIC_AUTH_OPTIONS_TYPE,
  FabricAuthConfigurableModule,
  type FabricAuthModuleExtras,
} from './fabric-auth.module-definition.js';
import type { FabricAuthOptions } from './options/fabric-auth.options.js';
import { FabricConfigError } from './options/fabric-config.error.js';
import { setFabricAuthTablePrefix } from './schema/table-prefix.js';

/**
 * The module a host app imports: a façade that composes the core (`FabricAuthCoreModule`) and
 * the features the host enables (`features`, default all), each its own Nest module loaded only
 * when enabled. See libs/fabric-auth/ARCHITECTURE.md.
 *
 * @publicApi
 */
@Module({})
export class FabricAuthModule extends FabricAuthConfigurableModule {
  static override forRoot(options: typeof FABRIC_AUTH_OPTIONS_TYPE): DynamicModule {
    // The options themselves are known here: they may switch on an opt-in feature.
    return composeFabricAuth(super.forRoot(options), options, FABRIC_AUTH_FEATURES, options);
  }

  static override forRootAsync(options: typeof FABRIC_AUTH_ASYNC_OPTIONS_TYPE): DynamicModule {
    return composeFabricAuth(super.forRootAsync(options), options);
  }
}

/**
 * `features` when given; else every feature but the opt-in ones, and those whose option is on in
 * `options` (known with `forRoot` only; the core checks the choice against the resolved options).
 */
function enabledFeatures(
  extras: FabricAuthModuleExtras,
  catalogue: readonly FabricAuthFeature[],
  options?: Pick<FabricAuthOptions, 'organizations' | 'scim' | 'webhooks' | 'providers' | 'console'>,
): FabricAuthFeature[] {
  if (extras.features === undefined) return catalogue.filter((f) => f.switchedBy === undefined || (options !== undefined && f.switchedBy.isOn(options)));
  const wanted = new Set<string>(extras.features);
  const unknown = [...wanted].filter((name) => !catalogue.some((f) => f.name === name));
  if (unknown.length > 0) {
    throw new FabricConfigError([`features: unknown ${unknown.map((n) => `"${n}"`).join(', ')}; known: ${catalogue.map((f) => f.name).join(', ')}`]);
  }
  return catalogue.filter((f) => wanted.has(f.name));
}

/**
 * The façade's module: the core, with the options' provider the builder made, and each enabled
 * feature's module (a promise: its code loads while Nest scans the imports). Exported so the
 * guard and the public services reach whoever imports the façade.
 *
 * `catalogue` is the feature list; a test passes a longer one to try a feature of its own.
 */
export function composeFabricAuth(
  definition: DynamicModule,
  extras: FabricAuthModuleExtras,
  catalogue: readonly FabricAuthFeature[] = FABRIC_AUTH_FEATURES,
  options?: Pick<FabricAuthOptions, 'organizations' | 'scim' | 'webhooks' | 'providers' | 'console'>,
): DynamicModule {
  if (extras.tablePrefix !== undefined) setFabricAuthTablePrefix(extras.tablePrefix);
  const features = enabledFeatures(extras, catalogue, options);
  const core = fabricAuthCore({ definition, extras, features, catalogue });
  const mount = { routePrefix: extras.routePrefix ?? DEFAULT_EXTRAS.routePrefix, controllers: { ...DEFAULT_EXTRAS.controllers, ...extras.controllers } };
  return {
    module: definition.module,
    global: definition.global,
    imports: [core, ...features.map((f) => f.load({ ...mount, module: f.module }))],
    exports: [FabricAuthCoreModule, ...features.map((f) => f.module)],
  };
}
