import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_NAMES } from '../../libs/fabric-auth/src/fabric-auth.features.js';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';
import { eventually, EventRecorder } from './events-app.js';

interface OutboxRow {
  id: string;
  type: string;
  subject: string | null;
  organization_id: string | null;
  payload: string;
  dispatched_at: unknown;
}

async function outbox(t: TestApp): Promise<OutboxRow[]> {
  return t.dataSource.query<OutboxRow[]>('SELECT id, type, subject, organization_id, payload, dispatched_at FROM event_outbox ORDER BY occurred_at, id');
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const PASSWORD = 'Corr3ct-horse-battery';

describe.each(DATABASES)('events in the app and the transactional outbox (%s)', (target) => {
  let t: TestApp;
  let recorder: EventRecorder;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp(target, { options: { webhooks: { enabled: true } }, features: [...DEFAULT_FEATURE_NAMES, 'webhooks'], providers: [EventRecorder] });
    recorder = t.app.get(EventRecorder);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  it('a created user: the handler gets user.created after the commit, the outbox holds the same payload, and a failing handler never fails the request', async () => {
    const created = await t.http.post(`${API}/users`).set(bearer(admin)).send({ username: 'ada', email: 'ada@example.test', password: PASSWORD });
    expect(created.status).toBe(201);
    await eventually(() => recorder.of('user.created').length === 1, 'user.created');
    const [event] = recorder.of('user.created');
    expect(event.committed).toBe(true);
    expect(event).toMatchObject({
      type: 'user.created',
      data: { outcome: 'success', target: { type: 'user', id: created.body.id }, actor: { kind: 'user', username: 'admin' }, details: { username: 'ada' } },
    });
    expect(new Date(event.timestamp).toISOString()).toBe(event.timestamp);

    const row = (await outbox(t)).find((r) => r.id === event.id);
    expect(row).toMatchObject({ type: 'user.created', subject: `user:${created.body.id}`, organization_id: null });
    const { committed: _committed, ...published } = event;
    expect(JSON.parse(row!.payload)).toEqual(published);
    expect(row!.payload).not.toContain(PASSWORD);
  });

  it('a refused login and a successful one are published as login.failed and login.succeeded, without the password', async () => {
    const { user } = await t.createUser();
    const wrong = await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'password', username: user.username, password: 'Wrong-password-123' });
    expect(wrong.status).toBe(400);
    await t.login(user.username, PASSWORD);
    await eventually(() => recorder.of('login.succeeded').some((e) => e.data.actor?.id === user.id), 'login.succeeded');
    expect(recorder.of('login.failed').some((e) => e.data.target?.id === user.id || e.data.actor?.id === user.id)).toBe(true);
    const rows = (await outbox(t)).filter((r) => r.payload.includes(user.id));
    expect(rows.map((r) => r.type)).toEqual(expect.arrayContaining(['login.failed', 'login.succeeded']));
    for (const r of rows) expect(r.payload).not.toContain('Wrong-password-123');
  });

  it('@BeforeFabricEvent("user.create") refuses with its reason (403 action_refused): no user, no audit row, no outbox row, no event', async () => {
    const before = (await outbox(t)).length;
    const refused = await t.http.post(`${API}/users`).set(bearer(admin)).send({ username: 'mallory', email: 'mallory@blocked.test', password: PASSWORD });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'action_refused', message: 'Sign-ups from blocked.test are closed', statusCode: 403 });
    expect(await t.dataSource.query("SELECT id FROM users WHERE username = 'mallory'")).toEqual([]);
    expect(await t.dataSource.query("SELECT id FROM audit_events WHERE action = 'user.create' AND details LIKE '%mallory%'")).toEqual([]);
    // The admin's own request is audited (authz.system_admin_bypassed, a row of its own); nothing of the refused creation is.
    expect((await outbox(t)).slice(before).filter((r) => r.type !== 'authz.system_admin_bypassed')).toEqual([]);
    expect(recorder.of('user.created').some((e) => e.data.details.username === 'mallory')).toBe(false);
  });

  it('@BeforeFabricEvent("login") refuses after the password is proved: the login.success audit row and its outbox row written before the hook roll back with the session', async () => {
    const { user } = await t.createUser({ prefix: 'banned' });
    const refused = await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'password', username: user.username, password: PASSWORD });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ error: 'action_refused', error_description: 'This account is suspended; contact support' });
    expect(await t.dataSource.query(`SELECT id FROM sessions WHERE user_id = '${user.id}'`)).toEqual([]);
    expect(await t.dataSource.query(`SELECT id FROM audit_events WHERE action = 'login.success' AND actor_id = '${user.id}'`)).toEqual([]);
    // The refusal itself stays on record: a login.failure with the reason the person was shown, published as login.failed.
    const failures = await t.http
      .get(`${API}/audit`)
      .query({ action: 'login.failure' })
      .set(bearer(await t.adminToken()));
    expect(failures.body.items.find((e: { actor_id: string }) => e.actor_id === user.id)).toMatchObject({
      outcome: 'failure',
      details: { method: 'password', reason: 'refused_by_app', message: 'This account is suspended; contact support' },
    });
    await eventually(() => recorder.of('login.failed').some((e) => e.data.actor?.id === user.id), 'login.failed');
    expect((await outbox(t)).filter((row) => row.type === 'login.succeeded' && row.payload.includes(user.id))).toEqual([]);
    // Give a wrongly dispatched handler the time it would need.
    await new Promise((r) => setTimeout(r, 200));
    expect(recorder.of('login.succeeded').some((e) => e.data.actor?.id === user.id)).toBe(false);
  });
});

describe.each(DATABASES)('events without webhooks (the default) (%s)', (target) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(target, { providers: [EventRecorder] });
  });
  afterAll(() => t?.close());

  it('handlers still get the events; nothing is written to the outbox', async () => {
    const recorder = t.app.get(EventRecorder);
    const created = await t.http
      .post(`${API}/users`)
      .set(bearer(await t.adminToken()))
      .send({ username: 'grace', email: 'grace@example.test', password: PASSWORD });
    expect(created.status).toBe(201);
    await eventually(() => recorder.of('user.created').length === 1, 'user.created');
    expect(await outbox(t)).toEqual([]);
  });
});
