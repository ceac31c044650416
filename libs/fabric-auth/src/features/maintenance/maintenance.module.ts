import type { DynamicModule } from '@nestjs/common';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { ClockCheck } from './clock-check.service.js';
import { PruningService } from './pruning.service.js';

/** Pruning of expired rows and the clock check; no routes. */
export class MaintenanceFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    return featureModule(mount, { providers: [PruningService, ClockCheck], exports: [PruningService, ClockCheck] });
  }
}
