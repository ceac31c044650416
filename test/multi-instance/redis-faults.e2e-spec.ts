import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoCluster, startDemoCluster } from '../support/demo-cluster.js';
import { callDemo, type DemoProcess, loginToDemo } from '../support/demo-process.js';

const ADMIN_PASSWORD = 'Redis-faults-admin-1';
/** SPEC §11: a revocation committed on one instance is refused on every instance within 2 s, whatever Redis does. */
const REVOCATION_BOUND_MS = 2_000;

/** SEC-92, SEC-93: two demo instances on one PostgreSQL and a private redis-server that the tests break. */
describe('revocation and writes under Redis faults and crashes (two instances)', () => {
  let cluster: DemoCluster;
  let db: DemoCluster['db'];
  let redis: DemoCluster['redis'];
  let admin: Redis;
  let a: DemoProcess;
  let b: DemoProcess;
  let adminToken: string;

  beforeAll(async () => {
    cluster = await startDemoCluster({ name: 'faults', adminPassword: ADMIN_PASSWORD });
    ({ a, b, db, redis, adminToken } = cluster);
    admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    // The demo declares `viewer` only: the tests need a few more roles.
    for (const name of ['auditor', 'user_admin', 'role_admin']) {
      expect((await callDemo(a, 'POST', '/roles', adminToken, { name, permissions: ['users:list'] })).status).toBe(201);
    }
  }, 120_000);

  afterAll(async () => {
    if (redis?.pid) process.kill(redis.pid, 'SIGCONT');
    admin?.disconnect();
    await cluster?.stop();
  });

  let seq = 0;
  async function newUser(roles: string[] = ['viewer']) {
    const username = `fault${++seq}`;
    const password = 'Fault-instance-pass-1';
    const res = await callDemo(a, 'POST', '/users', adminToken, { username, email: `${username}@example.test`, password, roles });
    expect(res.status).toBe(201);
    return { username, password };
  }

  /** Polls until the probe answers `expected`; how long it took. */
  async function timeUntil(probe: () => Promise<number>, expected: number, limitMs: number): Promise<number> {
    const started = Date.now();
    let status = await probe();
    while (status !== expected && Date.now() - started < limitMs) {
      await new Promise((r) => setTimeout(r, 25));
      status = await probe();
    }
    expect(status).toBe(expected);
    return Date.now() - started;
  }

  /** Kills A's Redis command connection again and again while `work` runs, so nothing A publishes meanwhile gets out. */
  async function withCommandConnectionOfAKilled<T>(work: () => Promise<T>): Promise<T> {
    const name = `fabric-auth:${a.child.pid}:commands`;
    let stop = false;
    const killing = (async () => {
      while (!stop) {
        const list = await admin.client('LIST');
        for (const line of String(list).split('\n')) {
          if (!line.includes(` name=${name} `)) continue;
          const id = /(?:^|\s)id=(\d+)/.exec(line)?.[1];
          if (id) await admin.client('KILL', 'ID', id).catch(() => undefined);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    try {
      return await work();
    } finally {
      stop = true;
      await killing;
    }
  }

  it('(a) with A’s command connection reset, a logout and a key revocation on A are refused on B within 2 s', async () => {
    const { username, password } = await newUser();
    const tokens = await loginToDemo(a, username, password);
    const key = await callDemo(a, 'POST', `/users/${username}/api-keys`, adminToken, { name: 'fault' });
    expect(key.status).toBe(201);
    // Both are now cached on B.
    expect((await callDemo(b, 'GET', '/auth/me', tokens.access_token)).status).toBe(200);
    expect((await callDemo(b, 'GET', '/auth/me', undefined, undefined, { 'x-api-key': key.body.key })).status).toBe(200);
    const before = a.output().split('not broadcast').length;
    await withCommandConnectionOfAKilled(async () => {
      expect((await callDemo(a, 'POST', '/auth/logout', tokens.access_token)).status).toBe(204);
      expect((await callDemo(a, 'DELETE', `/users/${username}/api-keys/${key.body.id}`, adminToken)).status).toBe(204);
    });
    // The broadcasts were really lost: only the revocation log can tell B.
    expect(a.output().split('not broadcast').length - before).toBeGreaterThanOrEqual(2);
    expect(await timeUntil(async () => (await callDemo(b, 'GET', '/auth/me', tokens.access_token)).status, 401, REVOCATION_BOUND_MS)).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
    await timeUntil(async () => (await callDemo(b, 'GET', '/auth/me', undefined, undefined, { 'x-api-key': key.body.key })).status, 401, REVOCATION_BOUND_MS);
  });

  it('(a) a deactivation and a role change on A, their broadcasts lost, bite on B within 2 s', async () => {
    const role = `fault-role-${seq}`;
    expect((await callDemo(a, 'POST', '/roles', adminToken, { name: role, permissions: ['users:list'] })).status).toBe(201);
    const holder = await newUser([role]);
    const holderTokens = await loginToDemo(b, holder.username, holder.password);
    const victim = await newUser();
    const victimTokens = await loginToDemo(b, victim.username, victim.password);
    expect((await callDemo(b, 'GET', '/users', holderTokens.access_token)).status).toBe(200);
    expect((await callDemo(b, 'GET', '/auth/me', victimTokens.access_token)).status).toBe(200);
    await withCommandConnectionOfAKilled(async () => {
      expect((await callDemo(a, 'PATCH', `/roles/${role}`, adminToken, { permissions: [] })).status).toBe(200);
      expect((await callDemo(a, 'POST', `/users/${victim.username}/deactivate`, adminToken)).status).toBe(200);
    });
    await timeUntil(async () => (await callDemo(b, 'GET', '/users', holderTokens.access_token)).status, 403, REVOCATION_BOUND_MS);
    await timeUntil(async () => (await callDemo(b, 'GET', '/auth/me', victimTokens.access_token)).status, 401, REVOCATION_BOUND_MS);
  });

  it('(b) Redis frozen for 10 s: revocations still reach B within 2 s, logins answer 503 at once, nothing hangs', async () => {
    const { username, password } = await newUser();
    const tokens = await loginToDemo(a, username, password);
    const kept = await loginToDemo(a, username, password);
    expect((await callDemo(b, 'GET', '/auth/me', tokens.access_token)).status).toBe(200);
    const frozenAt = Date.now();
    process.kill(redis.pid!, 'SIGSTOP');
    try {
      expect((await callDemo(a, 'POST', '/auth/logout', tokens.access_token)).status).toBe(204);
      await timeUntil(async () => (await callDemo(b, 'GET', '/auth/me', tokens.access_token)).status, 401, REVOCATION_BOUND_MS);
      // Logins need the shared counters: refused (fail closed) in about a second, not after the freeze.
      for (const instance of [a, b, a]) {
        const started = Date.now();
        const refused = await callDemo(instance, 'POST', '/auth/token', undefined, { grant_type: 'password', username, password });
        expect(refused.status).toBe(503);
        expect(refused.body.error).toBe('temporarily_unavailable');
        expect(Date.now() - started).toBeLessThan(5_000);
      }
      // What does not need Redis keeps working, from the database.
      const started = Date.now();
      expect((await callDemo(b, 'GET', '/auth/me', kept.access_token)).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(Date.now() - frozenAt).toBeLessThan(10_000);
      await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - frozenAt))));
    } finally {
      process.kill(redis.pid!, 'SIGCONT');
    }
    await timeUntil(async () => (await callDemo(b, 'POST', '/auth/token', undefined, { grant_type: 'password', username, password })).status, 200, 10_000);
    expect((await callDemo(a, 'GET', '/auth/me', tokens.access_token)).status).toBe(401);
    expect((await callDemo(b, 'GET', '/auth/me', kept.access_token)).status).toBe(200);
  }, 60_000);

  it('(c) 20 parallel role replacements on one user, split over both instances, end in one requested set', async () => {
    const { username } = await newUser([]);
    const sets = [['viewer'], ['auditor'], ['viewer', 'auditor'], ['user_admin'], []];
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => callDemo(i % 2 ? a : b, 'PATCH', `/users/${username}`, adminToken, { roles: sets[i % sets.length] })));
    for (const answer of answers) expect([200, 409]).toContain(answer.status);
    const roles = (await callDemo(b, 'GET', `/users/${username}`, adminToken)).body.roles as string[];
    expect(sets.map((set) => [...set].sort().join(','))).toContain(roles.join(','));
  });

  // Last: it kills A.
  it('(e) kill -9 during 16 parallel user creations leaves only whole users, and a retry completes the rest', async () => {
    const victim = a;
    const victimToken = adminToken;
    const names = Array.from({ length: 16 }, (_, i) => `crash${i}`);
    const create = (instance: DemoProcess, token: string, username: string) =>
      callDemo(instance, 'POST', '/users', token, { username, email: `${username}@example.test`, roles: ['viewer', 'auditor'] }).catch(() => ({ status: 0, body: null }));
    const inFlight = names.map((username) => create(victim, victimToken, username));
    await new Promise((r) => setTimeout(r, 40));
    victim.child.kill('SIGKILL');
    await Promise.all(inFlight);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const rows = await client.query<{ username: string; roles: string; tokens: string; audits: string }>(
        `SELECT u.username,
                (SELECT count(*) FROM role_assignments ra WHERE ra.user_id = u.id) AS roles,
                (SELECT count(*) FROM one_time_tokens t WHERE t.user_id = u.id AND t.purpose = 'activation') AS tokens,
                (SELECT count(*) FROM audit_events e WHERE e.target_id = u.id::text AND e.action = 'user.create') AS audits
         FROM users u WHERE u.username LIKE 'crash%'`,
      );
      for (const row of rows.rows)
        expect({ ...row, roles: Number(row.roles), tokens: Number(row.tokens), audits: Number(row.audits) }).toEqual({ username: row.username, roles: 2, tokens: 1, audits: 1 });
    } finally {
      await client.end();
    }
    // A client retrying every creation on B: the ones that made it are 409s on whole users, the others are made now.
    const retried = await Promise.all(names.map((username) => create(b, adminToken, username)));
    for (const answer of retried) expect([201, 409]).toContain(answer.status);
    for (const username of names) {
      const user = await callDemo(b, 'GET', `/users/${username}`, adminToken);
      expect(user.status).toBe(200);
      expect(user.body.roles).toEqual(['auditor', 'viewer']);
    }
  }, 60_000);
});
