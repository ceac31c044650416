import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FabricClock } from '../../libs/fabric-auth/src/core/clock.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../libs/fabric-auth/src/core/fabric-auth.internal-constants.js';
import { AuditService } from '../../libs/fabric-auth/src/data/audit.service.js';
import { FabricTransactions } from '../../libs/fabric-auth/src/data/transactions.js';
import { DEFAULT_FEATURE_NAMES } from '../../libs/fabric-auth/src/fabric-auth.features.js';
import { WebhookPruner } from '../../libs/fabric-auth/src/features/webhooks/webhook-pruner.js';
import { EventOutboxEntity } from '../../libs/fabric-auth/src/schema/entities/event-outbox.entity.js';
import { WebhookDeliveryEntity } from '../../libs/fabric-auth/src/schema/entities/webhook-delivery.entity.js';
import { In } from 'typeorm';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';
import { eventually } from './events-app.js';
import { Receiver } from './receiver.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const DAY = 86_400;

// auth.webhooks.retention_days (30 by default): finished deliveries go 30 days after they finished,
// events once no delivery refers to them any more.
describe.each(DATABASES)('pruning webhook deliveries and events (%s)', (target) => {
  let t: TestApp;
  let admin: string;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    // One retry, an hour after the first attempt: a failing receiver's delivery stays pending meanwhile.
    t = await startTestApp(target, {
      options: { webhooks: { enabled: true, allowPrivateTargets: true, retrySchedule: [3600], pollIntervalMs: 100 } },
      features: [...DEFAULT_FEATURE_NAMES, 'webhooks'],
    });
    admin = await t.adminToken();
  });
  afterAll(async () => {
    for (const r of receivers) await r.stop();
    await t?.close();
  });

  it('deletes deliveries finished beyond the retention and events no delivery needs, keeps the rest, audits each batch', async () => {
    const ok = await new Receiver().start();
    const failing = await new Receiver().start();
    failing.answer = () => 500;
    receivers.push(ok, failing);
    const register = async (url: string) =>
      (
        await t.http
          .post(`${API}/webhooks`)
          .set(bearer(admin))
          .send({ url, events: ['user.created'] })
          .expect(201)
      ).body.id as string;
    const [good, bad] = [await register(ok.url), await register(failing.url)];
    await t.http.post(`${API}/users`).set(bearer(admin)).send({ username: 'pruned1', email: 'pruned1@example.test', password: 'Corr3ct-horse-battery' }).expect(201);
    const deliveries = t.dataSource.getRepository(WebhookDeliveryEntity);
    const outbox = t.dataSource.getRepository(EventOutboxEntity);
    await eventually(async () => (await deliveries.countBy({ endpointId: good, status: 'succeeded' })) === 1, 'the delivery');
    await eventually(async () => (await deliveries.findOneBy({ endpointId: bad }))?.attempts === 1, 'the first failed attempt');
    const [delivered] = await deliveries.findBy({ endpointId: good });
    const eventId = delivered.eventId;
    // Events no endpoint wants (the registrations, the admin's login): dispatched, no delivery.
    const unwanted = (await outbox.find({ select: { id: true } })).map((e) => e.id).filter((id) => id !== eventId);
    expect(unwanted.length).toBeGreaterThan(0);
    const pruner = t.app.get(WebhookPruner);
    expect(await pruner.prune()).toEqual({ deliveries: 0, events: 0 });

    // Day 29: the failing delivery's retry is due, fails, and the delivery is failed for good now.
    t.clock.advance(29 * DAY);
    await eventually(async () => (await deliveries.findOneBy({ endpointId: bad }))?.status === 'failed', 'the retry', 15_000);
    expect(await pruner.prune()).toEqual({ deliveries: 0, events: 0 });

    // Day 31: the delivery that succeeded on day 0 goes, and the events nothing refers to; the event
    // the failed delivery (finished on day 29) still refers to stays.
    t.clock.advance(2 * DAY);
    const second = await pruner.prune();
    expect(second.deliveries).toBe(1);
    expect(second.events).toBeGreaterThanOrEqual(unwanted.length);
    expect(await deliveries.countBy({ endpointId: good })).toBe(0);
    expect(await deliveries.countBy({ endpointId: bad })).toBe(1);
    expect(await outbox.existsBy({ id: eventId })).toBe(true);
    for (const id of unwanted) expect(await outbox.existsBy({ id })).toBe(false);
    // The test clock moved past the access token's lifetime: a fresh login.
    admin = await t.adminToken();
    expect((await t.http.get(`${API}/webhooks/${good}/deliveries`).set(bearer(admin))).body.items).toEqual([]);

    // A redelivery makes a finished delivery due again: it is no longer finished, so it stays.
    const [failed] = await deliveries.findBy({ endpointId: bad });
    t.clock.advance(29 * DAY);
    failing.answer = () => 200;
    admin = await t.adminToken();
    const redeliver = await t.http.post(`${API}/webhooks/${bad}/deliveries/${failed.id}/redeliver`).set(bearer(admin));
    expect(redeliver.status).toBe(202);
    await eventually(async () => (await deliveries.findOneBy({ id: failed.id }))?.status === 'succeeded', 'the redelivery');
    const third = await pruner.prune();
    expect(third.deliveries).toBe(0);
    expect(await outbox.existsBy({ id: eventId })).toBe(true);

    // 31 days after that success: the delivery goes, then its event.
    t.clock.advance(31 * DAY);
    const fourth = await pruner.prune();
    expect(fourth.deliveries).toBe(1);
    expect(await deliveries.countBy({})).toBe(0);
    expect(await outbox.existsBy({ id: eventId })).toBe(false);

    const audit = await t.http
      .get(`${API}/audit`)
      .query({ action: 'webhook.prune' })
      .set(bearer(await t.adminToken()));
    expect(audit.status).toBe(200);
    const pruned = (audit.body.items as Array<{ details: { deliveries: number; events: number } }>).map((e) => e.details);
    expect(pruned.reduce((n, d) => n + d.deliveries, 0)).toBe(2);
    expect(pruned.reduce((n, d) => n + d.events, 0)).toBe(second.events + third.events + fourth.events);
  });

  it('drains a backlog in batches of 1,000; two instances pruning at once delete each row once', async () => {
    const outbox = t.dataSource.getRepository(EventOutboxEntity);
    const old = new Date(t.clock.now() - 40 * DAY * 1000);
    const rows = Array.from({ length: 2500 }, (): EventOutboxEntity => {
      const id = randomUUID();
      return { id, type: 'user.updated', organizationId: null, subject: `user:${id}`, payload: '{}', occurredAt: old, dispatchedAt: old };
    });
    for (let i = 0; i < rows.length; i += 250) await outbox.insert(rows.slice(i, i + 250));
    const get = <T>(token: unknown) => t.app.get<T>(token as never, { strict: false });
    // Another instance's pruner on the same database.
    const other = new WebhookPruner(get(FABRIC_RESOLVED_OPTIONS), get(FabricClock), get(FabricTransactions), get(AuditService));
    const [a, b] = await Promise.all([t.app.get(WebhookPruner).prune(), other.prune()]);
    expect(a.events + b.events).toBe(2500);
    expect(await outbox.countBy({ id: In(rows.map((r) => r.id)) })).toBe(0);
  });
});
