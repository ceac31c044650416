import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_NAMES } from '../../libs/fabric-auth/src/fabric-auth.features.js';
import { OrganizationEntity } from '../../libs/fabric-auth/src/schema/entities/organization.entity.js';
import { WebhookEndpointEntity } from '../../libs/fabric-auth/src/schema/entities/webhook-endpoint.entity.js';
import { API, DATABASES, startTestApp, type TestApp, TEST_OPTIONS } from '../support/test-app.js';
import { eventually } from './events-app.js';
import { Receiver } from './receiver.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const PASSWORD = 'Corr3ct-horse-battery';
const FEATURES = [...DEFAULT_FEATURE_NAMES, 'webhooks'] as const;
const ROLES = { ...TEST_OPTIONS.roles, hook_admin: ['webhooks:manage', 'webhooks:read'], hook_reader: ['webhooks:read'] };

describe.each(DATABASES)('webhooks (%s)', (target) => {
  let t: TestApp;
  let admin: string;
  let receiver: Receiver;
  let userCount = 0;

  beforeAll(async () => {
    t = await startTestApp(target, {
      options: { roles: ROLES, webhooks: { enabled: true, allowPrivateTargets: true, retrySchedule: [1, 1], disableAfterFailures: 2, pollIntervalMs: 100 } },
      features: FEATURES,
    });
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());
  afterEach(() => receiver?.stop());

  async function register(url: string, events: string[] = ['user.created']): Promise<{ id: string; secret: string }> {
    const created = await t.http.post(`${API}/webhooks`).set(bearer(admin)).send({ url, events });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body as { id: string; secret: string };
  }

  async function createUser(): Promise<string> {
    const username = `hooked${++userCount}`;
    const res = await t.http
      .post(`${API}/users`)
      .set(bearer(admin))
      .send({ username, email: `${username}@example.test`, password: PASSWORD });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  it('registers an endpoint: the secret once (whsec_, no-store), never again; a created user reaches it signed per Standard Webhooks', async () => {
    receiver = await new Receiver().start();
    const created = await t.http
      .post(`${API}/webhooks`)
      .set(bearer(admin))
      .send({ url: receiver.url, events: ['user.created'], description: 'CRM' });
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toContain('no-store');
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const read = await t.http.get(`${API}/webhooks/${created.body.id}`).set(bearer(admin));
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: created.body.id, url: receiver.url, events: ['user.created'], enabled: true, description: 'CRM' });
    expect(JSON.stringify(read.body)).not.toContain(created.body.secret.slice(6));
    expect(JSON.stringify((await t.http.get(`${API}/webhooks`).set(bearer(admin))).body)).not.toContain(created.body.secret.slice(6));
    const stored = await t.dataSource.query<Array<{ secret_encrypted: string }>>('SELECT secret_encrypted FROM webhook_endpoints');
    for (const row of stored) expect(row.secret_encrypted).not.toContain(created.body.secret.slice(6));

    const userId = await createUser();
    await eventually(() => receiver.of('user.created').length === 1, 'the delivery');
    const [delivery] = receiver.received;
    const verified = new Webhook(created.body.secret).verify(delivery.body, delivery.headers as Record<string, string>) as {
      id: string;
      type: string;
      data: { target: { id: string } };
    };
    expect(verified).toMatchObject({ type: 'user.created', data: { target: { type: 'user', id: userId } } });
    expect(delivery.headers['webhook-id']).toBe(verified.id);
    expect(delivery.headers['content-type']).toBe('application/json');
    // Another secret does not verify it: the test checks the signature, not only the shape.
    expect(() => new Webhook(`whsec_${Buffer.alloc(24, 1).toString('base64')}`).verify(delivery.body, delivery.headers as Record<string, string>)).toThrow();

    await eventually(async () => (await t.http.get(`${API}/webhooks/${created.body.id}/deliveries`).set(bearer(admin))).body.items[0]?.status === 'succeeded', 'succeeded');
    const list = await t.http.get(`${API}/webhooks/${created.body.id}/deliveries`).set(bearer(admin));
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ event_id: verified.id, event_type: 'user.created', status: 'succeeded', attempts: 1, last_status_code: 200 });
    expect(list.body.items[0].recent_attempts).toEqual([{ at: expect.any(String), status_code: 200, error: null, duration_ms: expect.any(Number) }]);
    const attemptedAt = Date.parse(list.body.items[0].recent_attempts[0].at);
    expect(attemptedAt).toBeGreaterThanOrEqual(delivery.at - 5000);
    expect(attemptedAt).toBeLessThanOrEqual(delivery.at);
    await t.http.delete(`${API}/webhooks/${created.body.id}`).set(bearer(admin)).expect(204);
  });

  it('retries a failing receiver on the schedule with the same webhook-id, then succeeds', async () => {
    receiver = await new Receiver().start();
    receiver.answer = (_r, i) => (i < 2 ? 503 : 204);
    const hook = await register(receiver.url);
    await createUser();
    await eventually(() => receiver.received.length === 3, 'three attempts', 15_000);
    const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    // The schedule is [1, 1] seconds, stretched by up to 20 %.
    expect(receiver.received[1].at - receiver.received[0].at).toBeGreaterThanOrEqual(950);
    expect(receiver.received[2].at - receiver.received[1].at).toBeGreaterThanOrEqual(950);
    for (const r of receiver.received) new Webhook(hook.secret).verify(r.body, r.headers as Record<string, string>);
    await eventually(async () => (await t.http.get(`${API}/webhooks/${hook.id}/deliveries`).set(bearer(admin))).body.items[0]?.status === 'succeeded', 'succeeded');
    const [row] = (await t.http.get(`${API}/webhooks/${hook.id}/deliveries`).set(bearer(admin))).body.items;
    expect(row).toMatchObject({ status: 'succeeded', attempts: 3, last_status_code: 204 });
    // Each attempt with its own time, status code and duration, oldest first.
    const attempts = row.recent_attempts as Array<{ at: string; status_code: number | null; error: string | null; duration_ms: number }>;
    expect(attempts.map((a) => [a.status_code, a.error])).toEqual([
      [503, null],
      [503, null],
      [204, null],
    ]);
    expect(attempts.every((a) => a.duration_ms >= 0 && a.duration_ms < 5000)).toBe(true);
    expect(Date.parse(attempts[1].at) - Date.parse(attempts[0].at)).toBeGreaterThanOrEqual(950);
    expect(Date.parse(attempts[2].at) - Date.parse(attempts[1].at)).toBeGreaterThanOrEqual(950);
    await t.http.delete(`${API}/webhooks/${hook.id}`).set(bearer(admin)).expect(204);
  });

  it('a receiver failing every attempt: its deliveries fail, the endpoint is disabled after the streak (audited), and a redelivery after the fix arrives with the same webhook-id', async () => {
    receiver = await new Receiver().start();
    receiver.answer = () => 500;
    const hook = await register(receiver.url);
    await createUser();
    await createUser();
    await eventually(async () => (await t.http.get(`${API}/webhooks/${hook.id}`).set(bearer(admin))).body.enabled === false, 'disabled', 20_000);
    const endpoint = (await t.http.get(`${API}/webhooks/${hook.id}`).set(bearer(admin))).body;
    expect(endpoint).toMatchObject({ enabled: false, disabled_reason: '2 deliveries in a row failed', failure_streak: 2 });
    const audit = await t.http.get(`${API}/audit`).query({ action: 'webhook.disable' }).set(bearer(admin));
    expect(audit.body.items.some((e: { target_id: string }) => e.target_id === hook.id)).toBe(true);
    const deliveries = (await t.http.get(`${API}/webhooks/${hook.id}/deliveries`).set(bearer(admin))).body.items as Array<{
      id: string;
      event_id: string;
      status: string;
      attempts: number;
    }>;
    expect(deliveries.map((d) => [d.status, d.attempts])).toEqual([
      ['failed', 3],
      ['failed', 3],
    ]);
    expect(receiver.received).toHaveLength(6);

    // Disabled: a new event is not sent to it.
    await createUser();
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.received).toHaveLength(6);

    receiver.answer = () => 200;
    await t.http.patch(`${API}/webhooks/${hook.id}`).set(bearer(admin)).send({ enabled: true }).expect(200);
    const redelivered = await t.http.post(`${API}/webhooks/${hook.id}/deliveries/${deliveries[0].id}/redeliver`).set(bearer(admin));
    expect(redelivered.status).toBe(202);
    // Each change to an endpoint is audited, with its target and the organization it belongs to.
    const audited = async (action: string) =>
      (
        (await t.http.get(`${API}/audit`).query({ action }).set(bearer(admin))).body.items as Array<{
          target_type: string;
          target_id: string;
          actor_name: string;
          details: Record<string, unknown>;
        }>
      ).find((e) => e.target_id === hook.id);
    expect(await audited('webhook.create')).toMatchObject({ target_type: 'webhook', details: { url: receiver.url, events: 'user.created', enabled: true } });
    expect(await audited('webhook.modify')).toMatchObject({ target_type: 'webhook', details: { enabled: true } });
    expect(await audited('webhook.redeliver')).toMatchObject({ target_type: 'webhook', details: { delivery: deliveries[0].id, event: deliveries[0].event_id } });
    await eventually(() => receiver.received.length === 7, 'the redelivery');
    expect(receiver.received[6].headers['webhook-id']).toBe(deliveries[0].event_id);
    new Webhook(hook.secret).verify(receiver.received[6].body, receiver.received[6].headers as Record<string, string>);
    // The redelivery's attempt is added to those before it.
    await eventually(
      async () =>
        ((await t.http.get(`${API}/webhooks/${hook.id}/deliveries`).set(bearer(admin))).body.items as Array<{ id: string; status: string }>).find((d) => d.id === deliveries[0].id)
          ?.status === 'succeeded',
      'the redelivery recorded',
    );
    const after = (
      (await t.http.get(`${API}/webhooks/${hook.id}/deliveries`).set(bearer(admin))).body.items as Array<{ id: string; recent_attempts: Array<{ status_code: number }> }>
    ).find((d) => d.id === deliveries[0].id)!;
    expect(after.recent_attempts.map((a) => a.status_code)).toEqual([500, 500, 500, 200]);
    await t.http.delete(`${API}/webhooks/${hook.id}`).set(bearer(admin)).expect(204);
    expect(await audited('webhook.delete')).toMatchObject({ target_type: 'webhook', details: { url: receiver.url } });
  });

  it('one subject’s events reach an endpoint in the order they happened', async () => {
    receiver = await new Receiver().start();
    // A slow receiver: with four attempts allowed in flight, only the per-subject rule keeps the order.
    const hook = await register(receiver.url, ['user.updated']);
    const userId = await createUser();
    const username = `hooked${userCount}`;
    for (let i = 1; i <= 5; i++)
      await t.http
        .patch(`${API}/users/${username}`)
        .set(bearer(admin))
        .send({ full_name: `Name ${i}` })
        .expect(200);
    await eventually(() => receiver.received.length === 5, 'five updates');
    const timestamps = receiver.received.map((r) => (JSON.parse(r.body) as { timestamp: string; data: { target: { id: string } } }).timestamp);
    expect([...timestamps].sort()).toEqual(timestamps);
    expect(receiver.received.every((r) => (JSON.parse(r.body) as { data: { target: { id: string } } }).data.target.id === userId)).toBe(true);
    await t.http.delete(`${API}/webhooks/${hook.id}`).set(bearer(admin)).expect(204);
  });

  it('refuses bad input with 400 and unknown ids with 404, and needs webhooks:manage / webhooks:read', async () => {
    for (const body of [
      { events: ['user.created'] },
      { url: 'not a url', events: ['*'] },
      { url: 'https://x.example/h', events: ['user.made'] },
      { url: 'https://x.example/h', events: [] },
      { url: 'ftp://x.example', events: ['*'] },
      { url: 'https://u:p@x.example/h', events: ['*'] },
    ]) {
      const res = await t.http.post(`${API}/webhooks`).set(bearer(admin)).send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    // An organization that does not exist: 404, nothing written; one that exists is accepted.
    const before = await t.dataSource.getRepository(WebhookEndpointEntity).count();
    const unknownOrg = await t.http
      .post(`${API}/webhooks`)
      .set(bearer(admin))
      .send({ url: 'https://x.example/h', events: ['*'], org: randomUUID() });
    expect(unknownOrg.status).toBe(404);
    expect(unknownOrg.body).toMatchObject({ message: 'org: no organization has this id' });
    expect(await t.dataSource.getRepository(WebhookEndpointEntity).count()).toBe(before);
    const orgId = randomUUID();
    const at = new Date();
    await t.dataSource
      .getRepository(OrganizationEntity)
      .insert({ id: orgId, slug: `hooked-${orgId.slice(0, 8)}`, slugKey: `hooked-${orgId.slice(0, 8)}`, name: 'Hooked', mfaRequired: false, createdAt: at, updatedAt: at });
    const ofOrg = await t.http
      .post(`${API}/webhooks`)
      .set(bearer(admin))
      .send({ url: 'https://x.example/h', events: ['*'], org: orgId });
    expect(ofOrg.status, JSON.stringify(ofOrg.body)).toBe(201);
    expect(ofOrg.body.org).toBe(orgId);
    await t.http.delete(`${API}/webhooks/${ofOrg.body.id}`).set(bearer(admin)).expect(204);
    expect((await t.http.get(`${API}/webhooks/00000000-0000-4000-8000-000000000000`).set(bearer(admin))).status).toBe(404);
    expect((await t.http.get(`${API}/webhooks/nope`).set(bearer(admin))).status).toBe(404);
    const reader = await t.actor(['hook_reader']);
    expect((await t.http.get(`${API}/webhooks`).set(bearer(reader.token))).status).toBe(200);
    expect(
      (
        await t.http
          .post(`${API}/webhooks`)
          .set(bearer(reader.token))
          .send({ url: 'https://x.example/h', events: ['*'] })
      ).status,
    ).toBe(403);
    const viewer = await t.actor(['viewer']);
    expect((await t.http.get(`${API}/webhooks`).set(bearer(viewer.token))).status).toBe(403);
  });
});

describe.each(DATABASES)('webhook targets in production settings (%s)', (target) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(target, { options: { webhooks: { enabled: true } }, features: FEATURES });
  });
  afterAll(() => t?.close());

  it('refuses http and private, loopback and link-local addresses', async () => {
    const admin = await t.adminToken();
    for (const url of [
      'http://hooks.example.com/h',
      'https://127.0.0.1/h',
      'https://10.1.2.3/h',
      'https://192.168.1.1/h',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/h',
      'https://[::ffff:127.0.0.1]/h',
      'https://[fe80::1]/h',
      'https://localhost/h',
    ]) {
      const res = await t.http
        .post(`${API}/webhooks`)
        .set(bearer(admin))
        .send({ url, events: ['*'] });
      expect(res.status, url).toBe(400);
    }
    expect(await t.dataSource.query('SELECT id FROM webhook_endpoints')).toEqual([]);
  });
});
