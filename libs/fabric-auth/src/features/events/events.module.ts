import type { DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { FabricEvents } from '../../core/ports/fabric-events.js';
import { hookEntry } from '../../core/ports/hook-entry.js';
import { SignInHooks } from '../../core/ports/sign-in-hook.js';
import { UserCreationHooks } from '../../core/ports/user-creation-hook.js';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { FabricEventHandlers } from './fabric-event-handlers.js';

/**
 * In-process events (SPEC §18): the app's `@OnFabricEvent` methods get every audited change after
 * its commit, its `@BeforeFabricEvent` methods may refuse a login or an account creation. No route.
 */
export class EventsFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    const entries = [hookEntry(FabricEvents, 'events'), hookEntry(SignInHooks, 'events'), hookEntry(UserCreationHooks, 'events')];
    return featureModule(mount, {
      imports: [DiscoveryModule],
      providers: [FabricEventHandlers, ...entries.map((entry) => ({ provide: entry, useExisting: FabricEventHandlers }))],
      exports: entries,
      providesPorts: true,
    });
  }
}
