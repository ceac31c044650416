import type { DynamicModule, Provider, Type } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';

/**
 * The library's controller switches (`FabricAuthModule.forRoot({ controllers })`): each feature
 * mounts a controller unless its key is `false`.
 */
export type ControllerKey = 'auth' | 'users' | 'mfa' | 'roles' | 'audit' | 'apiKeys' | 'serviceAccounts' | 'oidc' | 'signingKeys' | 'wellKnown';

/** What the façade hands a feature when it composes it. */
export interface FeatureMount {
  /**
   * The class that names the feature's module. It is declared in the feature list, so the
   * façade can import and export the module without loading the feature's code first.
   */
  module: Type;
  /** Prefix of the library's routes (`api/v1`). */
  routePrefix: string;
  /** The host's controller switches: a controller whose key is `false` is not mounted. */
  controllers: Partial<Record<ControllerKey, boolean>>;
  /** Providers the composing root adds, for what sits above the features (a feature's Passport strategy). */
  providers?: Provider[];
}

export interface FeatureParts {
  /** Modules the feature's providers need (Nest's `DiscoveryModule`), never another feature. */
  imports?: NonNullable<DynamicModule['imports']>;
  /**
   * Each controller with its switch (none: always mounted with the feature); `root` ones are
   * served outside the prefix (`/.well-known/…`).
   */
  controllers?: ReadonlyArray<{ key?: ControllerKey; controller: Type; at?: 'prefix' | 'root' }>;
  providers: Provider[];
  /** What the host app (or the core, for a port) may inject. */
  exports?: NonNullable<DynamicModule['exports']>;
  /**
   * The feature provides a port of the core (`core/ports/`). Its module is then global, so that
   * the core, which imports no feature, resolves the port through the globals, as it resolves
   * its own providers from any feature.
   */
  providesPorts?: boolean;
}

/** A subclass mounted under `<prefix>/<path>`, so two apps in one process can use different prefixes. */
export function mountedAt(prefix: string, controller: Type): Type {
  const path = [prefix, Reflect.getMetadata(PATH_METADATA, controller) as string]
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');
  const mounted = class extends (controller as new (...args: never[]) => object) {};
  Object.defineProperty(mounted, 'name', { value: controller.name });
  Reflect.defineMetadata(PATH_METADATA, path, mounted);
  return mounted;
}

/** A feature's Nest module: its providers, and its switched-on controllers under the route prefix. */
export function featureModule(mount: FeatureMount, parts: FeatureParts): DynamicModule {
  const controllers = (parts.controllers ?? [])
    .filter(({ key }) => key === undefined || mount.controllers[key] !== false)
    .map(({ controller, at }) => (at === 'root' ? controller : mountedAt(mount.routePrefix, controller)));
  return {
    module: mount.module,
    global: parts.providesPorts ?? false,
    imports: parts.imports ?? [],
    controllers,
    providers: [...parts.providers, ...(mount.providers ?? [])],
    exports: parts.exports ?? [],
  };
}
