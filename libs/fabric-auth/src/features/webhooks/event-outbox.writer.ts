import { Injectable } from '@nestjs/common';
import { publish } from '../../core/fabric-event-catalog.js';
import type { FabricEvent, FabricEventListener, FabricEventTransaction } from '../../core/ports/fabric-events.js';
import { EventOutboxEntity } from '../../schema/entities/event-outbox.entity.js';
import { WebhookWakeup } from './webhook-wakeup.js';

/**
 * The `FabricEvents` listener of the webhooks feature: each audited action becomes an outbox row in
 * the action's own transaction (a rolled-back change leaves none, a crash after the commit loses
 * none).
 */
@Injectable()
export class EventOutboxWriter implements FabricEventListener {
  constructor(private readonly wakeup: WebhookWakeup) {}

  async emit(event: FabricEvent, tx: FabricEventTransaction): Promise<void> {
    const published = publish(event);
    await tx.manager.insert(EventOutboxEntity, {
      id: event.id,
      type: published.payload.type,
      organizationId: published.organizationId,
      subject: published.subject,
      payload: JSON.stringify(published.payload),
      occurredAt: event.occurredAt,
      dispatchedAt: null,
    });
    tx.afterCommit(() => this.wakeup.ring());
  }
}
