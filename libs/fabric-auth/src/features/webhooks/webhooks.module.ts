import type { DynamicModule } from '@nestjs/common';
import { FabricEvents } from '../../core/ports/fabric-events.js';
import { hookEntry } from '../../core/ports/hook-entry.js';
import { featureModule, type FeatureMount } from '../../http/feature-module.js';
import { EventOutboxWriter } from './event-outbox.writer.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookPruner } from './webhook-pruner.js';
import { WebhookWakeup } from './webhook-wakeup.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/**
 * Signed webhooks (`<prefix>/webhooks`, SPEC §18): opt-in, loaded only with `auth.webhooks.enabled`.
 * Every audited change goes to the outbox in its transaction; the dispatcher delivers it.
 */
export class WebhooksFeatureModule {
  static register(mount: FeatureMount): DynamicModule {
    const outbox = hookEntry(FabricEvents, 'webhooks');
    return featureModule(mount, {
      controllers: [{ controller: WebhooksController }],
      providers: [WebhookWakeup, WebhookDispatcher, WebhookPruner, WebhooksService, EventOutboxWriter, { provide: outbox, useExisting: EventOutboxWriter }],
      exports: [outbox],
      providesPorts: true,
    });
  }
}
