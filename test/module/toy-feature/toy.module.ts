import type { DynamicModule } from '@nestjs/common';
import { hookEntry } from '../../../libs/fabric-auth/src/core/ports/hook-entry.js';
import { SignOutHooks } from '../../../libs/fabric-auth/src/core/ports/sign-out-hook.js';
import { featureModule, type FeatureMount } from '../../../libs/fabric-auth/src/http/feature-module.js';
import { ToyController } from './toy.controller.js';
import { ToySignOuts } from './toy-sign-outs.js';

/** A feature as ARCHITECTURE.md's "To add a feature" describes one: a folder, its module's `register(mount)`. */
export class ToyFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    const entry = hookEntry(SignOutHooks, 'toy');
    return featureModule(mount, {
      controllers: [{ controller: ToyController }],
      providers: [ToySignOuts, { provide: entry, useExisting: ToySignOuts }],
      exports: [ToySignOuts, entry],
      providesPorts: true,
    });
  }
}
