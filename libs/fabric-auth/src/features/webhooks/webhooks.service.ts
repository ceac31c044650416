import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { FabricClock } from '../../core/clock.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import { fabricError } from '../../core/fabric-error.js';
import { KeyEncryption } from '../../core/key-encryption.js';
import type { Principal } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { AuditService } from '../../data/audit.service.js';
import { type FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import { encryptionKeyOf, type ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { OrganizationEntity } from '../../schema/entities/organization.entity.js';
import { WebhookDeliveryEntity } from '../../schema/entities/webhook-delivery.entity.js';
import { WebhookEndpointEntity } from '../../schema/entities/webhook-endpoint.entity.js';
import type { CreatedWebhookDto, CreateWebhookDto, UpdateWebhookDto, WebhookDeliveryDto, WebhookDto } from './dto/webhook.dto.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { webhookUrlProblem } from './webhook-targets.js';

/** Endpoints at most: each is read on every fan-out. */
const MAX_ENDPOINTS = 100;
/** Deliveries a listing shows at most, newest first. */
const DELIVERIES_LISTED = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function toWebhookDto(e: WebhookEndpointEntity): WebhookDto {
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    org: e.organizationId,
    description: e.description,
    enabled: e.enabled,
    disabled_reason: e.disabledReason,
    failure_streak: e.failureStreak,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  };
}

/** Webhook endpoints (SPEC §18): registered, changed and deleted with their audit events, in one transaction each. */
@Injectable()
export class WebhooksService {
  private readonly secrets: KeyEncryption;

  constructor(
    @InjectRepository(WebhookEndpointEntity) private readonly endpoints: Repository<WebhookEndpointEntity>,
    @InjectRepository(WebhookDeliveryEntity) private readonly deliveryRows: Repository<WebhookDeliveryEntity>,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly transactions: FabricTransactions,
    private readonly audit: AuditService,
    private readonly clock: FabricClock,
    private readonly dispatcher: WebhookDispatcher,
  ) {
    this.secrets = new KeyEncryption(encryptionKeyOf(options), 'webhook-secret');
  }

  /** The signing secret's bytes (what `whsec_` encodes), or undefined when it does not decrypt (another key). */
  secretOf(endpoint: Pick<WebhookEndpointEntity, 'id' | 'secretEncrypted'>): Buffer | undefined {
    return this.secrets.open(endpoint.secretEncrypted, endpoint.id);
  }

  async create(actor: Principal, dto: CreateWebhookDto, request: HttpRequestLike): Promise<CreatedWebhookDto> {
    this.checkUrl(dto.url);
    const id = randomUUID();
    const secret = randomBytes(24);
    const now = new Date(this.clock.now());
    const endpoint: WebhookEndpointEntity = {
      id,
      url: dto.url,
      events: [...new Set(dto.events)],
      organizationId: dto.org ?? null,
      description: dto.description ?? null,
      secretEncrypted: this.secrets.seal(secret, id),
      enabled: true,
      disabledReason: null,
      failureStreak: 0,
      createdAt: now,
      updatedAt: now,
    };
    await this.transactions.run(async (tx) => {
      if ((await tx.manager.count(WebhookEndpointEntity)) >= MAX_ENDPOINTS) throw fabricError('invalid_request', `At most ${MAX_ENDPOINTS} webhook endpoints`);
      // An endpoint of an organization that does not exist would wait, unseen, for events that never come.
      if (endpoint.organizationId !== null && !(await tx.manager.exists(OrganizationEntity, { where: { id: endpoint.organizationId } }))) {
        throw fabricError('organization_not_found', 'org: no organization has this id');
      }
      await tx.manager.insert(WebhookEndpointEntity, endpoint);
      await this.recordChange(tx, 'webhook.create', actor, request, endpoint, this.details(endpoint));
    });
    return { ...toWebhookDto(endpoint), secret: `whsec_${secret.toString('base64')}` };
  }

  async list(): Promise<WebhookDto[]> {
    return (await this.endpoints.find({ order: { createdAt: 'ASC', id: 'ASC' }, take: MAX_ENDPOINTS })).map(toWebhookDto);
  }

  async get(id: string): Promise<WebhookDto> {
    return toWebhookDto(await this.find(id));
  }

  async update(actor: Principal, id: string, dto: UpdateWebhookDto, request: HttpRequestLike): Promise<WebhookDto> {
    if (dto.url !== undefined) this.checkUrl(dto.url);
    const updated = await this.transactions.run(async (tx) => {
      const current = await this.find(id, tx.manager);
      const next: WebhookEndpointEntity = {
        ...current,
        url: dto.url ?? current.url,
        events: dto.events ? [...new Set(dto.events)] : current.events,
        description: dto.description ?? current.description,
        enabled: dto.enabled ?? current.enabled,
        // Re-enabled by hand: the streak that disabled it starts over.
        ...(dto.enabled === true && !current.enabled && { disabledReason: null, failureStreak: 0 }),
        ...(dto.enabled === false && { disabledReason: null }),
        updatedAt: new Date(this.clock.now()),
      };
      await tx.manager.save(WebhookEndpointEntity, next);
      await this.recordChange(tx, 'webhook.modify', actor, request, next, this.details(next));
      return next;
    });
    if (updated.enabled) this.dispatcher.wake();
    return toWebhookDto(updated);
  }

  async remove(actor: Principal, id: string, request: HttpRequestLike): Promise<void> {
    await this.transactions.run(async (tx) => {
      const current = await this.find(id, tx.manager);
      await tx.manager.delete(WebhookEndpointEntity, { id });
      await this.recordChange(tx, 'webhook.delete', actor, request, current, this.details(current));
    });
  }

  async deliveries(id: string): Promise<WebhookDeliveryDto[]> {
    await this.find(id);
    const rows = await this.deliveryRows.find({ where: { endpointId: id }, order: { occurredAt: 'DESC', id: 'DESC' }, take: DELIVERIES_LISTED });
    return rows.map((d) => ({
      id: d.id,
      event_id: d.eventId,
      event_type: d.eventType,
      status: d.status,
      attempts: d.attempts,
      last_status_code: d.lastStatusCode,
      last_error: d.lastError,
      last_attempt_at: d.lastAttemptAt?.toISOString() ?? null,
      next_attempt_at: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
      created_at: d.createdAt.toISOString(),
      recent_attempts: d.attemptLog ?? [],
    }));
  }

  /** Sends the delivery again from its first attempt, with the same `webhook-id`; one in flight is left alone. */
  async redeliver(actor: Principal, id: string, deliveryId: string, request: HttpRequestLike): Promise<void> {
    if (!UUID.test(deliveryId)) throw fabricError('webhook_not_found', 'Delivery not found');
    await this.transactions.run(async (tx) => {
      const endpoint = await this.find(id, tx.manager);
      const delivery = await tx.manager.findOne(WebhookDeliveryEntity, { where: { id: deliveryId, endpointId: id } });
      if (!delivery) throw fabricError('webhook_not_found', 'Delivery not found');
      if (delivery.status === 'delivering') throw fabricError('concurrent_change', 'The delivery is being attempted; retry once it ends');
      await tx.manager.update(WebhookDeliveryEntity, { id: deliveryId }, { status: 'pending', attempts: 0, nextAttemptAt: new Date(this.clock.now()), leaseUntil: null });
      await this.recordChange(tx, 'webhook.redeliver', actor, request, endpoint, { delivery: deliveryId, event: delivery.eventId });
    });
    this.dispatcher.wake();
  }

  private async find(id: string, manager = this.endpoints.manager): Promise<WebhookEndpointEntity> {
    const found = UUID.test(id) ? await manager.findOne(WebhookEndpointEntity, { where: { id } }) : null;
    if (!found) throw fabricError('webhook_not_found');
    return found;
  }

  private checkUrl(url: string): void {
    const problem = webhookUrlProblem(url, this.options.webhooks.allowPrivateTargets);
    if (problem) throw fabricError('invalid_request', problem);
  }

  /** The audit event of a change to an endpoint, in the change's transaction. */
  private recordChange(
    tx: FabricTransaction,
    action: 'webhook.create' | 'webhook.modify' | 'webhook.delete' | 'webhook.redeliver',
    actor: Principal,
    request: HttpRequestLike,
    endpoint: Pick<WebhookEndpointEntity, 'id' | 'organizationId'>,
    details: Record<string, string | boolean>,
  ): Promise<void> {
    return this.audit.recordIn(tx, { action, outcome: 'success', actor, target: { type: 'webhook', id: endpoint.id }, request, organizationId: endpoint.organizationId, details });
  }

  private details(e: WebhookEndpointEntity): Record<string, string | boolean> {
    return { url: e.url.slice(0, 200), events: e.events.join(',').slice(0, 500), enabled: e.enabled };
  }
}
