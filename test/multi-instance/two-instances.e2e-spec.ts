import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoCluster, startDemoCluster } from '../support/demo-cluster.js';
import { callDemo, type DemoProcess, loginToDemo } from '../support/demo-process.js';

const ADMIN_PASSWORD = 'Two-instances-admin-1';

/** SPEC §11: two demo instances on one PostgreSQL and one Redis. */
describe('two instances on one PostgreSQL and one Redis', () => {
  let cluster: DemoCluster;
  let a: DemoProcess;
  let b: DemoProcess;
  let redis: DemoCluster['redis'];
  let adminToken: string;

  beforeAll(async () => {
    cluster = await startDemoCluster({ name: 'two', adminPassword: ADMIN_PASSWORD });
    ({ a, b, redis, adminToken } = cluster);
  }, 90_000);

  afterAll(() => cluster?.stop());

  let seq = 0;
  async function newUser(roles: string[] = []) {
    const username = `multi${++seq}`;
    const password = 'Multi-instance-pass-1';
    const res = await callDemo(a, 'POST', '/users', adminToken, { username, email: `${username}@example.test`, password, roles });
    expect(res.status).toBe(201);
    return { username, password };
  }

  /** Polls until `expected` (honoured "within one second"), returning how long it took. */
  async function within(ms: number, probe: () => Promise<number>, expected: number): Promise<number> {
    const started = Date.now();
    let status = await probe();
    while (status !== expected && Date.now() - started < ms) {
      await new Promise((r) => setTimeout(r, 25));
      status = await probe();
    }
    expect(status).toBe(expected);
    return Date.now() - started;
  }

  it('a logout on A is honoured by B within one second', async () => {
    const { username, password } = await newUser();
    const tokens = await loginToDemo(a, username, password);
    expect((await callDemo(b, 'GET', '/auth/me', tokens.access_token)).status).toBe(200);
    expect((await callDemo(a, 'POST', '/auth/logout', tokens.access_token)).status).toBe(204);
    expect(await within(1000, async () => (await callDemo(b, 'GET', '/auth/me', tokens.access_token)).status, 401)).toBeLessThan(1000);
  });

  it('a deactivation on A is honoured by B within one second', async () => {
    const { username, password } = await newUser();
    const tokens = await loginToDemo(b, username, password);
    expect((await callDemo(b, 'GET', '/auth/me', tokens.access_token)).status).toBe(200);
    expect((await callDemo(a, 'POST', `/users/${username}/deactivate`, adminToken)).status).toBe(200);
    await within(1000, async () => (await callDemo(b, 'GET', '/auth/me', tokens.access_token)).status, 401);
  });

  it('a role change on A is honoured by B within one second', async () => {
    const role = `multi-role-${seq}`;
    expect((await callDemo(a, 'POST', '/roles', adminToken, { name: role, permissions: ['users:list'] })).status).toBe(201);
    const { username, password } = await newUser([role]);
    const tokens = await loginToDemo(a, username, password);
    expect((await callDemo(b, 'GET', '/users', tokens.access_token)).status).toBe(200);
    expect((await callDemo(a, 'PATCH', `/roles/${role}`, adminToken, { permissions: [] })).status).toBe(200);
    await within(1000, async () => (await callDemo(b, 'GET', '/users', tokens.access_token)).status, 403);
  });

  it('a key revocation on A is honoured by B within one second', async () => {
    const { username } = await newUser(['viewer']);
    const created = await callDemo(a, 'POST', `/users/${username}/api-keys`, adminToken, { name: 'multi' });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect((await callDemo(b, 'GET', '/auth/me', undefined, undefined, { 'x-api-key': key })).status).toBe(200);
    expect((await callDemo(a, 'DELETE', `/users/${username}/api-keys/${created.body.id}`, adminToken)).status).toBe(204);
    await within(1000, async () => (await callDemo(b, 'GET', '/auth/me', undefined, undefined, { 'x-api-key': key })).status, 401);
  });

  it('lockout is counted across both instances', async () => {
    const { username, password } = await newUser();
    for (let i = 0; i < 5; i++) {
      const target = i % 2 === 0 ? a : b;
      expect((await callDemo(target, 'POST', '/auth/token', undefined, { grant_type: 'password', username, password: 'Wrong-password-1' })).status).toBe(400);
    }
    expect((await callDemo(a, 'POST', '/auth/token', undefined, { grant_type: 'password', username, password })).status).toBe(400);
    expect((await callDemo(b, 'POST', '/auth/token', undefined, { grant_type: 'password', username, password })).status).toBe(400);
    expect((await callDemo(a, 'POST', `/users/${username}/unlock`, adminToken)).status).toBe(204);
    expect((await callDemo(b, 'POST', '/auth/token', undefined, { grant_type: 'password', username, password })).status).toBe(200);
  });

  it('restarting Redis loses no session and grants nothing extra; logins fail closed while it is down', async () => {
    const { username, password } = await newUser();
    const kept = await loginToDemo(b, username, password);
    const revoked = await loginToDemo(b, username, password);
    expect((await callDemo(a, 'GET', '/auth/me', revoked.access_token)).status).toBe(200);
    await redis.stop();
    const down = await callDemo(b, 'POST', '/auth/token', undefined, { grant_type: 'password', username, password });
    expect(down.status).toBe(503);
    expect(down.body.error).toBe('temporarily_unavailable');
    const reset = await callDemo(b, 'POST', '/auth/password-reset', undefined, { email: `${username}@example.test` });
    expect(reset.status).toBe(503);
    expect((await callDemo(b, 'GET', '/auth/me', kept.access_token)).status).toBe(200);
    expect((await callDemo(b, 'POST', '/auth/logout', revoked.access_token)).status).toBe(204);
    // A missed the broadcast: with Redis down it must not trust its cache.
    expect((await callDemo(a, 'GET', '/auth/me', revoked.access_token)).status).toBe(401);
    await redis.restart();
    await within(5000, async () => (await callDemo(b, 'POST', '/auth/token', undefined, { grant_type: 'password', username, password })).status, 200);
    expect((await callDemo(a, 'GET', '/auth/me', kept.access_token)).status).toBe(200);
    expect((await callDemo(a, 'GET', '/auth/me', revoked.access_token)).status).toBe(401);
    expect((await callDemo(b, 'GET', '/auth/me', revoked.access_token)).status).toBe(401);
  });

  it('killing A loses no session for B', async () => {
    const { username, password } = await newUser();
    const tokens = await loginToDemo(a, username, password);
    a.child.kill('SIGKILL');
    await new Promise((resolve) => a.child.once('exit', resolve));
    expect((await callDemo(b, 'GET', '/auth/me', tokens.access_token)).status).toBe(200);
    const refreshed = await callDemo(b, 'POST', '/auth/token', undefined, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(200);
    expect((await callDemo(b, 'GET', '/auth/me', refreshed.body.access_token)).status).toBe(200);
  });
});
