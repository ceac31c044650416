import type { DynamicModule } from '@nestjs/common';
import { FabricEvents } from '../../core/ports/fabric-events.js';
import { hookEntry } from '../../core/ports/hook-entry.js';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { EventOutboxWriter } from './event-outbox.writer.js';

/** Signed webhooks (SPEC §18): opt-in, loaded only with `auth.webhooks.enabled`; every audited change goes to the outbox in its transaction. */
export class WebhooksFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    const outbox = hookEntry(FabricEvents, 'webhooks');
    return featureModule(mount, {
      providers: [EventOutboxWriter, { provide: outbox, useExisting: EventOutboxWriter }],
      exports: [outbox],
      providesPorts: true,
    });
  }
}
