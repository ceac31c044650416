import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExternalSignIn } from '../../libs/fabric-auth/src/access/sign-in/external-sign-in.service.js';
import type { SignInProvider } from '../../libs/fabric-auth/src/core/ports/sign-in-provider.js';
import { API, DATABASES, type DatabaseKind, databaseOf, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * A trigger, created by the test, that makes one INSERT of the operation fail: the writes
 * before it in the same operation must vanish with it.
 */
function failingInsert(kind: DatabaseKind, table: string, condition = 'true') {
  return kind === 'postgres'
    ? {
        create: [
          `CREATE OR REPLACE FUNCTION fabric_injected_failure() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql`,
          `CREATE TRIGGER fabric_injected_failure BEFORE INSERT ON ${table} FOR EACH ROW WHEN (${condition}) EXECUTE FUNCTION fabric_injected_failure()`,
        ],
        drop: `DROP TRIGGER IF EXISTS fabric_injected_failure ON ${table}`,
      }
    : {
        create: [
          `CREATE TRIGGER fabric_injected_failure BEFORE INSERT ON ${table} WHEN ${condition === 'true' ? '1' : condition} BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
        ],
        drop: `DROP TRIGGER IF EXISTS fabric_injected_failure`,
      };
}

/** SEC-93: every multi-row operation commits whole or not at all, its audit event with it. */
describe.each(DATABASES)('multi-row operations are atomic on %s', (kind) => {
  // Names cannot hold the '/' of 'sqlite/express'.
  const tag = kind.replace('/', '-');
  let t: TestApp;
  let admin: string;
  let drop: string | undefined;
  const p = (n: number) => (databaseOf(kind) === 'postgres' ? `$${n}` : '?');

  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.adminToken();
  });
  afterEach(async () => {
    if (drop) await t.dataSource.query(drop);
    drop = undefined;
  });
  afterAll(async () => {
    await t?.close();
  });

  async function inject(table: string, condition?: string): Promise<void> {
    const trigger = failingInsert(databaseOf(kind), table, condition);
    for (const statement of trigger.create) await t.dataSource.query(statement);
    drop = trigger.drop;
  }
  async function heal(): Promise<void> {
    await t.dataSource.query(drop!);
    drop = undefined;
  }
  async function count(sql: string, ...params: unknown[]): Promise<number> {
    const rows: Array<{ n: number | string }> = await t.dataSource.query(sql, params);
    return Number(rows[0].n);
  }
  const auditCount = (action: string, targetId: string) => count(`SELECT count(*) AS n FROM audit_events WHERE action = ${p(1)} AND target_id = ${p(2)}`, action, targetId);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('user creation: a failed audit write leaves no user, no roles, no activation token, no mail; the retry is a 201', async () => {
    await inject('audit_events', `NEW.action = 'user.create'`);
    const sent = t.notifications.length;
    const body = { username: `atomic-${tag}`, email: `atomic-${tag}@example.test`, roles: ['viewer', 'auditor'] };
    const failed = await t.http.post(`${API}/users`).set(bearer(admin)).send(body);
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(failed.text).not.toMatch(/injected|QueryFailed|at /);
    expect(await count(`SELECT count(*) AS n FROM users WHERE username = ${p(1)}`, body.username)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM role_assignments WHERE user_id NOT IN (SELECT id FROM users)`)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM one_time_tokens WHERE user_id NOT IN (SELECT id FROM users)`)).toBe(0);
    expect(t.notifications.length).toBe(sent);
    await heal();
    const retried = await t.http.post(`${API}/users`).set(bearer(admin)).send(body);
    expect(retried.status).toBe(201);
    expect(retried.body.roles).toEqual(['auditor', 'viewer']);
    expect(await auditCount('user.create', retried.body.id)).toBe(1);
    expect(t.notifications.at(-1)?.user.username).toBe(body.username);
  });

  it('user creation: a failed activation token leaves nothing either', async () => {
    await inject('one_time_tokens');
    const failed = await t.http
      .post(`${API}/users`)
      .set(bearer(admin))
      .send({ username: `atomic-token-${tag}`, email: `atomic-token-${tag}@example.test`, roles: ['viewer'] });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(await count(`SELECT count(*) AS n FROM users WHERE username = ${p(1)}`, `atomic-token-${tag}`)).toBe(0);
  });

  it('role replacement: a failed audit write keeps the old roles', async () => {
    const { user } = await t.createUser({ roles: ['viewer'] });
    await inject('audit_events', `NEW.action = 'user.modify'`);
    const failed = await t.http
      .patch(`${API}/users/${user.username}`)
      .set(bearer(admin))
      .send({ roles: ['auditor'] });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    await heal();
    expect((await t.http.get(`${API}/users/${user.username}`).set(bearer(admin))).body.roles).toEqual(['viewer']);
  });

  it('password change: a failed audit write keeps the old password and every session', async () => {
    const { user, password } = await t.createUser();
    const mine = await t.login(user.username, password);
    const other = await t.login(user.username, password);
    await inject('audit_events', `NEW.action = 'user.password_change'`);
    const failed = await t.http
      .post(`${API}/users/${user.username}/password`)
      .set(bearer(mine.access_token))
      .send({ current_password: password, new_password: 'A-brand-new-passw0rd' });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    await heal();
    expect((await t.http.get(`${API}/auth/me`).set(bearer(other.access_token))).status).toBe(200);
    await t.login(user.username, password);
  });

  it('deactivation: a failed audit write leaves the user active with its sessions', async () => {
    const { user, password } = await t.createUser();
    const session = await t.login(user.username, password);
    await inject('audit_events', `NEW.action = 'user.deactivate'`);
    const failed = await t.http.post(`${API}/users/${user.username}/deactivate`).set(bearer(admin));
    expect(failed.status).toBeGreaterThanOrEqual(500);
    await heal();
    expect((await t.http.get(`${API}/auth/me`).set(bearer(session.access_token))).status).toBe(200);
    expect((await t.http.get(`${API}/users/${user.username}`).set(bearer(admin))).body.is_active).toBe(true);
  });

  it('key creation and reroll: a failed audit write leaves no key, and the old secret of a reroll', async () => {
    const { user } = await t.createUser({ roles: ['viewer'] });
    await inject('audit_events', `NEW.action = 'api_key.create'`);
    expect((await t.http.post(`${API}/users/${user.username}/api-keys`).set(bearer(admin)).send({ name: 'atomic' })).status).toBeGreaterThanOrEqual(500);
    await heal();
    expect(await count(`SELECT count(*) AS n FROM api_keys WHERE user_id = ${p(1)}`, user.id)).toBe(0);
    const key = await t.http.post(`${API}/users/${user.username}/api-keys`).set(bearer(admin)).send({ name: 'atomic' });
    expect(key.status).toBe(201);
    await inject('audit_events', `NEW.action = 'api_key.reroll'`);
    expect((await t.http.post(`${API}/users/${user.username}/api-keys/${key.body.id}/reroll`).set(bearer(admin))).status).toBeGreaterThanOrEqual(500);
    await heal();
    expect((await t.http.get(`${API}/auth/me`).set('x-api-key', key.body.key)).status).toBe(200);
    expect(await count(`SELECT count(*) AS n FROM api_keys WHERE id = ${p(1)} AND previous_key_hash IS NULL`, key.body.id)).toBe(1);
  });

  it('service-account creation with roles: a failed role assignment leaves no account', async () => {
    await inject('role_assignments');
    const failed = await t.http
      .post(`${API}/service-accounts`)
      .set(bearer(admin))
      .send({ name: `atomic-sa-${tag}`, roles: ['viewer'] });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    await heal();
    expect(await count(`SELECT count(*) AS n FROM service_accounts WHERE name = ${p(1)}`, `atomic-sa-${tag}`)).toBe(0);
    expect(
      (
        await t.http
          .post(`${API}/service-accounts`)
          .set(bearer(admin))
          .send({ name: `atomic-sa-${tag}`, roles: ['viewer'] })
      ).status,
    ).toBe(201);
  });

  it('SSO first login: a failed identity link leaves no user, no roles, no audit event', async () => {
    const accounts = t.app.get(ExternalSignIn);
    const provider: SignInProvider = {
      name: 'atomic',
      protocol: 'oidc',
      accounts: { jitProvisioning: true, linkVerifiedEmail: false, defaultRoles: ['viewer'], roleMapping: {} },
    };
    const profile = {
      issuer: 'https://idp.example.test',
      subject: `atomic-${tag}`,
      email: `sso-atomic-${tag}@example.test`,
      emailVerified: true,
      name: 'Atomic Person',
      preferredUsername: `sso-atomic-${tag}`,
      groups: [],
    };
    const request = { headers: {}, socket: { remoteAddress: '127.0.0.1' } } as never;
    await inject('user_identities');
    await expect(accounts.resolve(provider, profile, request)).rejects.toThrow();
    await heal();
    expect(await count(`SELECT count(*) AS n FROM users WHERE username = ${p(1)}`, `sso-atomic-${tag}`)).toBe(0);
    const user = await accounts.resolve(provider, profile, request);
    expect(user.username).toBe(`sso-atomic-${tag}`);
    expect(await count(`SELECT count(*) AS n FROM role_assignments WHERE user_id = ${p(1)}`, user.id)).toBe(1);
    expect(await auditCount('user.create', user.id)).toBe(1);
  });

  it('unlock: a failed audit write leaves the account locked', async () => {
    const locked = await startTestApp(kind, { options: { rateLimits: true } });
    try {
      const { user, password } = await locked.createUser();
      for (let i = 0; i < 5; i++) {
        await locked.http.post(`${API}/auth/token`).send({ grant_type: 'password', username: user.username, password: 'Wrong-password-1' });
      }
      const refused = await locked.http.post(`${API}/auth/token`).send({ grant_type: 'password', username: user.username, password });
      expect(refused.status).toBe(400);
      const trigger = failingInsert(databaseOf(kind), 'audit_events', `NEW.action = 'user.unlock'`);
      for (const statement of trigger.create) await locked.dataSource.query(statement);
      const lockedAdmin = await locked.adminToken();
      expect((await locked.http.post(`${API}/users/${user.username}/unlock`).set(bearer(lockedAdmin))).status).toBeGreaterThanOrEqual(500);
      await locked.dataSource.query(trigger.drop);
      expect((await locked.http.post(`${API}/auth/token`).send({ grant_type: 'password', username: user.username, password })).status).toBe(400);
      expect((await locked.http.post(`${API}/users/${user.username}/unlock`).set(bearer(lockedAdmin))).status).toBe(204);
      expect((await locked.http.post(`${API}/auth/token`).send({ grant_type: 'password', username: user.username, password })).status).toBe(200);
    } finally {
      await locked.close();
    }
  });
});
