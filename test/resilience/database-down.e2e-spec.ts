import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../libs/fabric-auth/src/access/api-keys/api-key-format.js';
import { claimsFor, forge } from '../support/jwt-forge.js';
import { API, DATABASES, startTestApp, TEST_SECRET, type TestApp } from '../support/test-app.js';

describe.each(DATABASES)('the database going away on %s fails closed (SEC-78)', (kind) => {
  let t: TestApp;
  let userId: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    userId = (await t.createUser()).user.id;
    await t.dataSource.destroy();
  });
  afterAll(async () => {
    await t?.close().catch(() => undefined);
  });

  it('a credential that needs the database gets 503, never a 200 or a 500', async () => {
    const token = forge({ alg: 'HS256', typ: 'JWT' }, claimsFor(userId, randomUUID()), TEST_SECRET);
    const res = await t.http.get(`${API}/auth/me`).auth(token, { type: 'bearer' });
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ statusCode: 503, message: 'Authentication is temporarily unavailable', error: 'Service Unavailable' });
  });

  it('a login gets 503 temporarily_unavailable', async () => {
    const res = await t.http.post(`${API}/auth/token`).send({ grant_type: 'password', username: 'admin', password: 'whatever-it-is' });
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('temporarily_unavailable');
    expect(res.text).not.toMatch(/QueryFailed|stack|at /);
  });

  it('an API key gets 503', async () => {
    const res = await t.http.get(`${API}/auth/me`).set('x-api-key', generateApiKey().key);
    expect(res.status).toBe(503);
  });
});
