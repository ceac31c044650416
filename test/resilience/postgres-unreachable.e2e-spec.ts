import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { type PrivatePostgres, startPrivatePostgres } from '../support/private-postgres.js';

const ADMIN_PASSWORD = 'Pg-unreachable-admin-1';
const API = '/api/v1';
const WELL_FORMED_TOKEN = 'A'.repeat(43);

/** SEC-95: a PostgreSQL that goes away turns every route into a 503 in the usual shape; it comes back without a restart. */
describe('PostgreSQL unreachable', () => {
  let dir: string;
  let postgres: PrivatePostgres;
  let demo: DemoProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fabric-pg-down-'));
    postgres = await startPrivatePostgres();
    demo = await startDemo({
      DATA_DIR: dir,
      DATABASE_URL: postgres.url,
      FABRIC_AUTH__SECRET_KEY: 'pg-unreachable-secret-4b1d7e9c2a5f8e3d6c0a',
      FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: ADMIN_PASSWORD,
    });
  }, 90_000);

  afterAll(async () => {
    await demo?.stop();
    await postgres?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(method: string, path: string, token?: string, body?: object) {
    const res = await fetch(`${demo.url}${API}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : null };
  }

  it('handlers answer 503 (never 500) while it is down, and work again once it is back', async () => {
    const login = await call('POST', '/auth/token', undefined, { grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD });
    expect(login.status).toBe(200);
    const token = login.body.access_token as string;
    expect((await call('GET', '/users', token)).status).toBe(200);

    await postgres.stop();
    const handlers: Array<[string, string, object | undefined]> = [
      ['POST', '/auth/activate', { token: WELL_FORMED_TOKEN, password: 'Some-new-passw0rd-1' }],
      ['POST', '/auth/password-reset/confirm', { token: WELL_FORMED_TOKEN, new_password: 'Some-new-passw0rd-1' }],
      ['POST', '/auth/password-reset', { email: 'someone@example.test' }],
    ];
    for (const [method, path, body] of handlers) {
      const answer = await call(method, path, undefined, body);
      if (path === '/auth/password-reset') {
        // Answers the same whether or not the account exists: nothing to refuse, nothing to leak.
        expect([202, 503]).toContain(answer.status);
        continue;
      }
      expect({ path, status: answer.status, body: answer.body }).toEqual({
        path,
        status: 503,
        body: { statusCode: 503, message: expect.any(String), error: 'Service Unavailable' },
      });
      expect(answer.text).not.toMatch(/ECONNREFUSED|QueryFailed|stack|at /);
    }
    const refusedLogin = await call('POST', '/auth/token', undefined, { grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD });
    expect(refusedLogin.status).toBe(503);
    expect(refusedLogin.body.error).toBe('temporarily_unavailable');
    for (const path of ['/users', '/roles', '/audit', '/service-accounts', '/users/admin/api-keys']) {
      const answer = await call('GET', path, token);
      expect({ path, status: answer.status, error: answer.body?.error }).toEqual({ path, status: 503, error: 'Service Unavailable' });
    }
    const write = await call('POST', '/users', token, { username: 'while-down', email: 'while-down@example.test', password: 'Meanwhile-Zebra-42x' });
    expect(write.status).toBe(503);
    // A route that needs nothing but the principal is served from the cache only while the
    // revocation log was read lately (< 2 s): then it is a 503 as well, not a stale grant.
    let me = 0;
    for (const started = Date.now(); Date.now() - started < 10_000;) {
      me = (await call('GET', '/auth/me', token)).status;
      if (me !== 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(me).toBe(503);

    await postgres.start();
    let back = 0;
    for (const started = Date.now(); Date.now() - started < 20_000;) {
      back = (await call('GET', '/users', token)).status;
      if (back === 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(back).toBe(200);
    const created = await call('POST', '/users', token, { username: 'after-down', email: 'after-down@example.test', password: 'Recovered-Zebra-42x' });
    expect(created.status, created.text).toBe(201);
    expect((await call('POST', '/auth/token', undefined, { grant_type: 'password', username: 'after-down', password: 'Recovered-Zebra-42x' })).status).toBe(200);
  }, 90_000);
});
