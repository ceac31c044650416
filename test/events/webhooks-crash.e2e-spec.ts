import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callDemo, type DemoProcess, loginToDemo, startDemo } from '../support/demo-process.js';
import { createScratchDatabase } from '../support/postgres.js';
import { eventually } from './events-app.js';
import { Receiver } from './receiver.js';

const ADMIN_PASSWORD = 'Crash-admin-pass-1';
const CHANGES = 50;
/** The receiver's pace before the kill: with one attempt in flight per endpoint, about one delivery a second. */
const SLOW_MS = 1000;
// One attempt at a time per endpoint, each answered after SLOW_MS: the burst outruns the
// deliveries, so most events are still waiting in the database when the instance dies.
const CONFIG = `auth:
  webhooks:
    enabled: true
    allow_private_targets: true
    max_concurrency_per_endpoint: 1
    request_timeout: 3
    poll_interval_ms: 100
    retry_schedule: [1, 1, 1]
`;

interface Payload {
  id: string;
  type: string;
  data: { target: { type: string; id: string } };
}

/**
 * SPEC §18 "a crash loses nothing": the demo as a real process, a burst of changes through the
 * API, SIGKILL right after the last one is acknowledged, a restart on the same database.
 */
describe.each(['postgres', 'sqlite'] as const)('webhooks survive kill -9 after a burst (%s)', (database) => {
  let dir: string;
  let db: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  let receiver: Receiver;
  const started: DemoProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fabric-webhook-crash-'));
    writeFileSync(join(dir, 'config.yaml'), CONFIG);
    if (database === 'postgres') db = await createScratchDatabase();
    receiver = await new Receiver().start();
  });

  afterAll(async () => {
    for (const demo of started) if (demo.child.exitCode === null && demo.child.signalCode === null) demo.child.kill('SIGKILL');
    await receiver?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async () => {
    const demo = await startDemo({
      DATA_DIR: join(dir, 'data'),
      CONFIG_FILE: join(dir, 'config.yaml'),
      ...(db ? { DATABASE_URL: db.url } : {}),
      FABRIC_AUTH__SECRET_KEY: 'webhook-crash-suite-secret-5e1f0a9c3b7d2e64',
      FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: ADMIN_PASSWORD,
    });
    started.push(demo);
    return demo;
  };

  it(`every one of ${CHANGES} acknowledged changes reaches the endpoint after a restart, signed, and nothing else does`, async () => {
    const first = await start();
    const admin = (await loginToDemo(first, 'admin', ADMIN_PASSWORD)).access_token;
    const hook = await callDemo(first, 'POST', '/webhooks', admin, { url: receiver.url, events: ['user.created'] });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    const { id: hookId, secret } = hook.body as { id: string; secret: string };

    receiver.delayMs = SLOW_MS;
    const userIds = new Set<string>();
    for (let batch = 0; batch < CHANGES / 10; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => {
          const username = `crash${batch * 10 + i}`;
          return callDemo(first, 'POST', '/users', admin, { username, email: `${username}@example.test`, password: 'Corr3ct-horse-battery' });
        }),
      );
      for (const answer of answers) {
        expect(answer.status, JSON.stringify(answer.body)).toBe(201);
        userIds.add((answer.body as { id: string }).id);
      }
    }
    first.child.kill('SIGKILL');
    const answeredAtKill = new Set(receiver.received.filter((r) => r.status === 200).map((r) => r.headers['webhook-id']));
    await new Promise<void>((resolve) => (first.child.exitCode !== null || first.child.signalCode !== null ? resolve() : first.child.once('exit', () => resolve())));
    expect(first.child.signalCode).toBe('SIGKILL');
    // Otherwise the test proves nothing: most events were still in the database, undelivered.
    expect(CHANGES - answeredAtKill.size).toBeGreaterThanOrEqual(10);

    receiver.delayMs = 0;
    const second = await start();
    const delivered = () => new Set(receiver.received.filter((r) => r.status === 200).map((r) => r.headers['webhook-id']));
    // An attempt in flight at the kill is claimed again once its lease (request_timeout + 30 s) ran out.
    await eventually(() => delivered().size >= CHANGES, `${CHANGES} distinct deliveries`, 90_000);

    const wh = new Webhook(secret);
    const payloads = receiver.received.map((r) => wh.verify(r.body, r.headers as Record<string, string>) as Payload);
    for (const [i, payload] of payloads.entries()) expect(payload.id).toBe(receiver.received[i].headers['webhook-id']);
    expect(payloads.every((p) => p.type === 'user.created' && p.data.target.type === 'user')).toBe(true);
    const byId = new Map(payloads.map((p) => [p.id, p.data.target.id]));
    expect(byId.size).toBe(CHANGES);
    // One event per created user, each user once: no event invented, none lost.
    expect(new Set(byId.values())).toEqual(userIds);

    const token = (await loginToDemo(second, 'admin', ADMIN_PASSWORD)).access_token;
    await eventually(
      async () => {
        const list = await callDemo(second, 'GET', `/webhooks/${hookId}/deliveries`, token);
        return (list.body as { items: Array<{ status: string }> }).items.filter((d) => d.status === 'succeeded').length === CHANGES;
      },
      'every delivery recorded as succeeded',
      40_000,
    );
    const deliveries = (await callDemo(second, 'GET', `/webhooks/${hookId}/deliveries`, token)).body as { items: Array<{ event_id: string; status: string }> };
    expect(deliveries.items).toHaveLength(CHANGES);
    expect(new Set(deliveries.items.map((d) => d.event_id))).toEqual(new Set(byId.keys()));
    await second.stop();
  }, 180_000);
});
