import type { DynamicModule } from '@nestjs/common';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { CONSOLE_ROUTE_PREFIX, ConsoleServer } from './console-server.js';

/** The admin console in the browser (`auth.console`, SPEC §19): opt-in, loaded only with `auth.console.enabled`. */
export class ConsoleFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    return featureModule(mount, {
      providers: [{ provide: CONSOLE_ROUTE_PREFIX, useValue: mount.routePrefix }, ConsoleServer],
    });
  }
}
