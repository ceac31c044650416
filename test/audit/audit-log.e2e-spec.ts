import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

interface Event {
  action: string;
  actor_id: string | null;
  actor_name: string | null;
  target_id: string | null;
  outcome: string;
  occurred_at: string;
  details: Record<string, unknown> | null;
}

describe.each(DATABASES)('audit log on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const audit = async (query: string): Promise<{ items: Event[]; total: number }> => {
    const res = await t.http.get(`${API}/audit?${query}`).auth(admin, { type: 'bearer' });
    expect(res.status).toBe(200);
    return res.body;
  };

  it('records the lifecycle of a user, filterable by target and action', async () => {
    const created = await t.http
      .post(`${API}/users`)
      .auth(admin, { type: 'bearer' })
      .send({ username: `audited${process.pid}`, email: `audited${process.pid}@example.test`, password: 'Audit-trail-99' });
    const id = created.body.id as string;
    await t.http.post(`${API}/auth/token`).send({ grant_type: 'password', username: `audited${process.pid}`, password: 'Wrong-password-1' });
    const tokens = await t.login(`audited${process.pid}`, 'Audit-trail-99');
    await t.http.post(`${API}/auth/token`).send({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    await t.http
      .post(`${API}/users/${created.body.username}/password`)
      .auth(tokens.access_token, { type: 'bearer' })
      .send({ current_password: 'Audit-trail-99', new_password: 'Audit-trail-100' });
    await t.http.patch(`${API}/users/${created.body.username}`).auth(admin, { type: 'bearer' }).send({ full_name: 'Audited' });
    await t.http.post(`${API}/users/${created.body.username}/deactivate`).auth(admin, { type: 'bearer' });
    await t.http.post(`${API}/users/${created.body.username}/reactivate`).auth(admin, { type: 'bearer' });
    const byTarget = await audit(`target=${id}&limit=500`);
    expect(byTarget.items.map((e) => e.action)).toEqual(
      expect.arrayContaining(['user.create', 'login.failure', 'user.password_change', 'user.modify', 'user.deactivate', 'user.reactivate']),
    );
    const byActor = await audit(`actor=${id}&limit=500`);
    expect(byActor.items.map((e) => e.action)).toEqual(expect.arrayContaining(['login.success', 'token.refresh', 'user.password_change']));
    const failures = await audit(`action=login.failure&actor=${id}`);
    expect(failures.items.every((e) => e.action === 'login.failure' && e.outcome === 'failure')).toBe(true);
    const text = JSON.stringify(await audit('limit=500'));
    for (const secret of ['Audit-trail-99', 'Audit-trail-100', 'Wrong-password-1', tokens.refresh_token, tokens.access_token, ADMIN_PASSWORD]) {
      expect(text).not.toContain(secret);
    }
  });

  it('records the system admin bypass on writes', async () => {
    await t.http
      .post(`${API}/roles`)
      .auth(admin, { type: 'bearer' })
      .send({ name: `bypass${process.pid}`, permissions: [] });
    const events = await audit('action=authz.system_admin_bypass');
    expect(events.items.some((e) => e.details?.permission === 'roles:manage')).toBe(true);
  });

  it('paginates newest first and filters by time', async () => {
    const page = await audit('limit=2');
    expect(page.items).toHaveLength(2);
    expect(page.items[0].occurred_at >= page.items[1].occurred_at).toBe(true);
    const future = await audit(`since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`);
    expect(future.total).toBe(0);
    const past = await audit(`until=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}&limit=1`);
    expect(past.total).toBeGreaterThan(0);
  });

  it.each(['limit=501', 'since=yesterday', 'sort=actor_id', 'action=DROP TABLE', 'foo=bar'])('refuses ?%s with 400', async (query) => {
    expect((await t.http.get(`${API}/audit?${query}`).auth(admin, { type: 'bearer' })).status).toBe(400);
  });

  it('needs audit:read', async () => {
    const viewer = await t.actor(['viewer']);
    expect((await t.http.get(`${API}/audit`).auth(viewer.token, { type: 'bearer' })).status).toBe(403);
    const auditor = await t.actor(['auditor']);
    expect((await t.http.get(`${API}/audit`).auth(auditor.token, { type: 'bearer' })).status).toBe(200);
  });
});
