import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoCluster, startDemoCluster } from '../support/demo-cluster.js';
import { callDemo, type DemoProcess, loginToDemo } from '../support/demo-process.js';

const ADMIN_PASSWORD = 'Two-instances-scim-admin-1';
const CONFIG = `auth:
  system_admin_username: admin
  scim:
    enabled: true
server:
  secure_cookies: false
`;

/** SPEC §17 "Effects": a deprovisioning on A is refused on B (which cached the session) within 2 s. */
describe('SCIM deprovisioning across two instances on one PostgreSQL and one Redis', () => {
  let cluster: DemoCluster;
  let a: DemoProcess;
  let b: DemoProcess;
  let admin: string;

  beforeAll(async () => {
    cluster = await startDemoCluster({ name: 'two-scim', adminPassword: ADMIN_PASSWORD, config: CONFIG });
    ({ a, b, adminToken: admin } = cluster);
  }, 90_000);

  afterAll(() => cluster?.stop());

  it("active: false through A's SCIM route refuses the user's Bearer and API key on B within 2 s", async () => {
    const token = await callDemo(a, 'POST', '/scim-tokens', admin, { name: 'idp' });
    expect(token.status).toBe(201);
    const username = 'scimmulti1';
    const password = 'Scim-multi-instance-pass-1';
    expect((await callDemo(a, 'POST', '/users', admin, { username, email: `${username}@example.test`, password })).status).toBe(201);
    const session = (await loginToDemo(a, username, password)).access_token;
    const created = await callDemo(a, 'POST', `/users/${username}/api-keys`, admin, { name: 'k' });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect((await callDemo(b, 'GET', '/auth/me', session)).status).toBe(200);
    expect((await callDemo(b, 'GET', '/auth/me', undefined, undefined, { 'x-api-key': key })).status).toBe(200);
    const resource = await callDemo(a, 'POST', '/scim/v2/Users', token.body.key as string, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: username });
    expect(resource.status).toBe(201);
    const off = await callDemo(a, 'PATCH', `/scim/v2/Users/${resource.body.id}`, token.body.key as string, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    expect(off.status).toBe(200);
    const started = Date.now();
    let bearer = 200;
    let apiKey = 200;
    while ((bearer !== 401 || apiKey !== 401) && Date.now() - started < 2000) {
      bearer = (await callDemo(b, 'GET', '/auth/me', session)).status;
      apiKey = (await callDemo(b, 'GET', '/auth/me', undefined, undefined, { 'x-api-key': key })).status;
      if (bearer !== 401 || apiKey !== 401) await new Promise((r) => setTimeout(r, 25));
    }
    expect([bearer, apiKey]).toEqual([401, 401]);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
