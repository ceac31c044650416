import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { In } from 'typeorm';
import { FabricClock } from '../../core/clock.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import { KeyEncryption } from '../../core/key-encryption.js';
import { AuditService } from '../../data/audit.service.js';
import { type FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import { encryptionKeyOf, type ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { EventOutboxEntity } from '../../schema/entities/event-outbox.entity.js';
import { type WebhookAttemptRecord, WebhookDeliveryEntity } from '../../schema/entities/webhook-delivery.entity.js';
import { WebhookEndpointEntity } from '../../schema/entities/webhook-endpoint.entity.js';
import { checkedAddress, webhookUrlProblem } from './webhook-targets.js';
import { pinnedLookup } from '../../core/checked-address.js';
import { WebhookWakeup } from './webhook-wakeup.js';

/** Outbox rows turned into deliveries per transaction. */
const FAN_OUT_BATCH = 200;
/** Bytes of a receiver's answer read at most (it is only drained: its status is what counts). */
const RESPONSE_CAP = 4096;
/** Random stretch of each retry delay, so that endpoints failing together do not retry together. */
const JITTER = 0.2;
/** Attempts a delivery's log keeps, the latest: its row stays small however long the retry schedule. */
const ATTEMPTS_KEPT = 10;

interface Outcome {
  status?: number;
  error?: string;
}

/**
 * Delivers the outbox (SPEC §18). Each round, in every instance: outbox rows not yet dispatched
 * become one delivery per matching enabled endpoint (claimed with `FOR UPDATE SKIP LOCKED` on
 * PostgreSQL, so each event is fanned out once however many instances poll); then due deliveries are
 * claimed the same way and leased (`delivering` until `lease_until`: an instance that dies mid-attempt
 * loses the lease and another claims the delivery again, so delivery is at-least-once with a stable
 * `webhook-id`). A delivery waits while an earlier one of its endpoint for the same subject is
 * unfinished, which keeps one subject's events in order per endpoint. SQLite is one instance: the
 * same rounds, serialised by its single writer.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('FabricWebhooks');
  private readonly secrets: KeyEncryption;
  private readonly perEndpoint = new Map<string, number>();
  private readonly active = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private running = false;
  private wokenWhileRunning = false;

  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly transactions: FabricTransactions,
    private readonly audit: AuditService,
    private readonly clock: FabricClock,
    wakeup: WebhookWakeup,
  ) {
    this.secrets = new KeyEncryption(encryptionKeyOf(options), 'webhook-secret');
    wakeup.listen(() => this.wake());
  }

  private get settings() {
    return this.options.webhooks;
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling; attempts in flight get `request_timeout` + 1 s to end (one cut short is claimed again after its lease). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const drained = Promise.allSettled([...this.active]);
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise((resolve) => (timeout = setTimeout(resolve, (this.settings.requestTimeout + 1) * 1000)))]);
    clearTimeout(timeout);
  }

  /** A commit of this instance wrote to the outbox (or a delivery was made due): look now rather than at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.wokenWhileRunning = true;
    else this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.round(), delayMs);
    this.timer.unref();
  }

  private async round(): Promise<void> {
    this.running = true;
    try {
      while ((await this.fanOut()) === FAN_OUT_BATCH && !this.stopped);
      await this.claimAndDeliver();
    } catch (error) {
      this.logger.warn(`webhook round failed: ${(error as Error).message}`);
    } finally {
      this.running = false;
      const again = this.wokenWhileRunning;
      this.wokenWhileRunning = false;
      this.schedule(again ? 0 : this.settings.pollIntervalMs);
    }
  }

  private async fanOut(): Promise<number> {
    return this.transactions.run(async (tx) => {
      const query = tx.manager
        .createQueryBuilder(EventOutboxEntity, 'o')
        .where('o.dispatchedAt IS NULL')
        .orderBy('o.occurredAt', 'ASC')
        .addOrderBy('o.id', 'ASC')
        .limit(FAN_OUT_BATCH);
      if (this.transactions.isPostgres) query.setLock('pessimistic_write').setOnLocked('skip_locked');
      const events = await query.getMany();
      if (events.length === 0) return 0;
      const now = new Date(this.clock.now());
      const endpoints = await tx.manager.find(WebhookEndpointEntity, { where: { enabled: true } });
      const rows = events.flatMap((event) =>
        endpoints
          .filter((e) => (e.events.includes('*') || e.events.includes(event.type)) && (e.organizationId === null || e.organizationId === event.organizationId))
          .map((e): Omit<WebhookDeliveryEntity, 'id'> => ({
            endpointId: e.id,
            eventId: event.id,
            eventType: event.type,
            subject: event.subject,
            occurredAt: event.occurredAt,
            status: 'pending',
            attempts: 0,
            nextAttemptAt: now,
            leaseUntil: null,
            lastAttemptAt: null,
            lastStatusCode: null,
            lastError: null,
            attemptLog: null,
            createdAt: now,
          })),
      );
      for (let i = 0; i < rows.length; i += 100) await tx.manager.insert(WebhookDeliveryEntity, rows.slice(i, i + 100));
      await tx.manager.update(EventOutboxEntity, { id: In(events.map((e) => e.id)) }, { dispatchedAt: now });
      return events.length;
    });
  }

  private async claimAndDeliver(): Promise<void> {
    const free = this.settings.maxConcurrency - this.active.size;
    if (free <= 0 || this.stopped) return;
    const claimed = await this.transactions.run((tx) => this.claim(tx, free));
    for (const delivery of claimed) {
      this.perEndpoint.set(delivery.endpointId, (this.perEndpoint.get(delivery.endpointId) ?? 0) + 1);
      const attempt: Promise<void> = this.attempt(delivery)
        .catch((error: unknown) => this.logger.warn(`webhook delivery ${delivery.id} failed: ${(error as Error).message}`))
        .finally(() => {
          this.active.delete(attempt);
          const left = (this.perEndpoint.get(delivery.endpointId) ?? 1) - 1;
          if (left === 0) this.perEndpoint.delete(delivery.endpointId);
          else this.perEndpoint.set(delivery.endpointId, left);
          // A slot is free, and the next event of this subject may now be due.
          this.wake();
        });
      this.active.add(attempt);
    }
  }

  private async claim(tx: FabricTransaction, free: number): Promise<WebhookDeliveryEntity[]> {
    const now = new Date(this.clock.now());
    const query = tx.manager.createQueryBuilder(WebhookDeliveryEntity, 'd');
    const earlierUnfinished = query
      .subQuery()
      .select('1')
      .from(WebhookDeliveryEntity, 'e')
      .where('e.endpointId = d.endpointId')
      .andWhere('e.subject = d.subject')
      .andWhere("e.status IN ('pending', 'delivering')")
      .andWhere('(e.occurredAt < d.occurredAt OR (e.occurredAt = d.occurredAt AND e.id < d.id))')
      .getQuery();
    const enabledEndpoints = query.subQuery().select('w.id').from(WebhookEndpointEntity, 'w').where('w.enabled = :enabled').getQuery();
    query
      .where("((d.status = 'pending' AND d.nextAttemptAt <= :now) OR (d.status = 'delivering' AND d.leaseUntil < :now))", { now })
      .andWhere(`d.endpointId IN ${enabledEndpoints}`, { enabled: true })
      .andWhere(`NOT EXISTS ${earlierUnfinished}`)
      .orderBy('d.occurredAt', 'ASC')
      .addOrderBy('d.id', 'ASC')
      .limit(Math.min(free * 4, 200));
    const full = [...this.perEndpoint].filter(([, n]) => n >= this.settings.maxConcurrencyPerEndpoint).map(([id]) => id);
    if (full.length > 0) query.andWhere('d.endpointId NOT IN (:...full)', { full });
    if (this.transactions.isPostgres) query.setLock('pessimistic_write').setOnLocked('skip_locked');
    const candidates = await query.getMany();
    const picked: WebhookDeliveryEntity[] = [];
    const taken = new Map<string, number>();
    for (const d of candidates) {
      const used = (this.perEndpoint.get(d.endpointId) ?? 0) + (taken.get(d.endpointId) ?? 0);
      if (used >= this.settings.maxConcurrencyPerEndpoint) continue;
      taken.set(d.endpointId, (taken.get(d.endpointId) ?? 0) + 1);
      picked.push(d);
      if (picked.length >= free) break;
    }
    if (picked.length === 0) return [];
    const leaseUntil = new Date(now.getTime() + (this.settings.requestTimeout + 30) * 1000);
    await tx.manager.update(WebhookDeliveryEntity, { id: In(picked.map((d) => d.id)) }, { status: 'delivering', leaseUntil });
    return picked;
  }

  private async attempt(delivery: WebhookDeliveryEntity): Promise<void> {
    const [endpoint, event] = await Promise.all([
      this.transactions.run((tx) => tx.manager.findOne(WebhookEndpointEntity, { where: { id: delivery.endpointId } })),
      this.transactions.run((tx) => tx.manager.findOne(EventOutboxEntity, { where: { id: delivery.eventId } })),
    ]);
    if (!endpoint) return; // Deleted meanwhile: its deliveries went with it.
    const secret = this.secrets.open(endpoint.secretEncrypted, endpoint.id);
    const startedAt = this.clock.now();
    const started = performance.now();
    const outcome: Outcome = !event
      ? { error: 'the event is no longer kept' }
      : !secret
        ? { error: 'the signing secret does not decrypt (encryption key changed?)' }
        : await this.send(endpoint.url, event.id, event.payload, secret);
    const entry: WebhookAttemptRecord = {
      at: new Date(startedAt).toISOString(),
      status_code: outcome.status ?? null,
      error: outcome.error ?? null,
      duration_ms: Math.round(performance.now() - started),
    };
    await this.record(delivery, endpoint, outcome, entry);
  }

  /** One signed POST (Standard Webhooks), to the address that was checked, no redirect followed, the answer read up to a cap. */
  private async send(rawUrl: string, id: string, body: string, secret: Buffer): Promise<Outcome> {
    const allowPrivate = this.settings.allowPrivateTargets;
    const problem = webhookUrlProblem(rawUrl, allowPrivate);
    if (problem) return { error: problem };
    const url = new URL(rawUrl);
    let target: { address: string; family: number };
    try {
      target = await checkedAddress(url.hostname, allowPrivate);
    } catch (error) {
      return { error: `target refused: ${(error as Error).message}`.slice(0, 200) };
    }
    const timestamp = Math.floor(this.clock.now() / 1000);
    const signature = createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('base64');
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const done = (outcome: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const request = client.request(
        url,
        {
          method: 'POST',
          agent: false,
          lookup: pinnedLookup(target),
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'nestjs-fabric-auth-webhooks',
            'webhook-id': id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': `v1,${signature}`,
          },
        },
        (response) => {
          let read = 0;
          const status = response.statusCode ?? 0;
          response.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > RESPONSE_CAP) {
              response.destroy();
              done({ status });
            }
          });
          response.on('end', () => done({ status }));
          response.on('error', () => done({ status }));
          response.on('close', () => done({ status }));
        },
      );
      const timer = setTimeout(() => {
        request.destroy();
        done({ error: `no answer within ${this.settings.requestTimeout} s` });
      }, this.settings.requestTimeout * 1000);
      request.on('error', (error) => done({ error: error.message.slice(0, 200) }));
      request.end(body);
    });
  }

  private async record(delivery: WebhookDeliveryEntity, endpoint: WebhookEndpointEntity, outcome: Outcome, entry: WebhookAttemptRecord): Promise<void> {
    const succeeded = outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300;
    const attempts = delivery.attempts + 1;
    const schedule = this.settings.retrySchedule;
    const now = this.clock.now();
    // A finished delivery's next_attempt_at records when it finished: its retention counts from it.
    const last = {
      attempts,
      lastAttemptAt: new Date(now),
      lastStatusCode: outcome.status ?? null,
      lastError: outcome.error ?? null,
      leaseUntil: null,
      // The delivery is leased to this instance: no other writer appends meanwhile.
      attemptLog: [...(delivery.attemptLog ?? []), entry].slice(-ATTEMPTS_KEPT),
    };
    await this.transactions.run(async (tx) => {
      if (succeeded) {
        await tx.manager.update(WebhookDeliveryEntity, { id: delivery.id, status: 'delivering' }, { ...last, status: 'succeeded', nextAttemptAt: new Date(now) });
        await tx.manager.update(WebhookEndpointEntity, { id: endpoint.id }, { failureStreak: 0 });
        return;
      }
      if (attempts <= schedule.length) {
        const delay = schedule[attempts - 1] * 1000 * (1 + Math.random() * JITTER);
        await tx.manager.update(WebhookDeliveryEntity, { id: delivery.id, status: 'delivering' }, { ...last, status: 'pending', nextAttemptAt: new Date(now + delay) });
        return;
      }
      await tx.manager.update(WebhookDeliveryEntity, { id: delivery.id, status: 'delivering' }, { ...last, status: 'failed', nextAttemptAt: new Date(now) });
      await tx.manager.increment(WebhookEndpointEntity, { id: endpoint.id }, 'failureStreak', 1);
      const current = await tx.manager.findOne(WebhookEndpointEntity, { where: { id: endpoint.id } });
      if (!current || !current.enabled || current.failureStreak < this.settings.disableAfterFailures) return;
      const reason = `${current.failureStreak} deliveries in a row failed`;
      await tx.manager.update(WebhookEndpointEntity, { id: endpoint.id }, { enabled: false, disabledReason: reason, updatedAt: new Date(now) });
      await this.audit.recordIn(tx, {
        action: 'webhook.disable',
        outcome: 'success',
        actor: { kind: 'system', id: 'webhooks', username: 'webhooks' },
        target: { type: 'webhook', id: endpoint.id },
        organizationId: endpoint.organizationId,
        details: { reason, last_status: outcome.status ?? null, last_error: outcome.error ?? null },
      });
      this.logger.warn(`webhook ${endpoint.id} disabled: ${reason}`);
    });
  }
}
