import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_NAMES } from '../../libs/fabric-auth/src/fabric-auth.features.js';
import { API, startTestApp, type TestApp } from '../support/test-app.js';
import { eventually } from '../events/events-app.js';
import { Receiver } from '../events/receiver.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const options = { webhooks: { enabled: true, allowPrivateTargets: true, pollIntervalMs: 50 } };
const features = [...DEFAULT_FEATURE_NAMES, 'webhooks'] as const;

describe('webhooks with three instances on one PostgreSQL', () => {
  let instances: TestApp[];
  let receiver: Receiver;

  beforeAll(async () => {
    const first = await startTestApp('postgres', { options, features });
    instances = [
      first,
      await startTestApp('postgres', { options, features, sharedDatabase: first.database }),
      await startTestApp('postgres', { options, features, sharedDatabase: first.database }),
    ];
    receiver = await new Receiver().start();
  });
  afterAll(async () => {
    await receiver?.stop();
    for (const t of [...(instances ?? [])].reverse()) await t.close();
  });

  it('every instance polls the outbox, and each event reaches the endpoint once', async () => {
    const tokens = await Promise.all(instances.map((t) => t.adminToken()));
    const created = await instances[0].http
      .post(`${API}/webhooks`)
      .set(bearer(tokens[0]))
      .send({ url: receiver.url, events: ['user.created'] });
    expect(created.status).toBe(201);
    const writes = Array.from({ length: 45 }, (_, i) =>
      instances[i % 3].http
        .post(`${API}/users`)
        .set(bearer(tokens[i % 3]))
        .send({ username: `multi${i}`, email: `multi${i}@example.test`, password: 'Corr3ct-horse-battery' }),
    );
    for (const res of await Promise.all(writes)) expect(res.status).toBe(201);
    await eventually(() => receiver.received.length >= 45, '45 deliveries', 30_000);
    // Time for a duplicate to show up, had two instances claimed the same row.
    await new Promise((r) => setTimeout(r, 1500));
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(45);
    expect(new Set(ids).size).toBe(45);
    const rows = await instances[0].dataSource.query<Array<{ status: string; n: string }>>('SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status');
    expect(rows).toEqual([{ status: 'succeeded', n: '45' }]);
  });
});
