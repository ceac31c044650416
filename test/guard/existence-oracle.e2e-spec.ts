import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

/** A body each route validates, so that what answers is the permission check, not the pipe. */
const BODIES: Record<string, object> = {
  'patch /api/v1/users/{username}': { full_name: 'x' },
  'post /api/v1/users/{username}/password': { new_password: 'Whatever-pass-12' },
  'post /api/v1/users/{username}/api-keys': { name: 'x' },
  'patch /api/v1/roles/{name}': { description: 'x' },
  'patch /api/v1/service-accounts/{id}': { description: 'x' },
  'post /api/v1/service-accounts/{id}/api-keys': { name: 'x' },
  'post /api/v1/users/{username}/mfa/totp/confirm': { code: '123456' },
  'post /api/v1/users/{username}/mfa/passkeys': { name: 'x', credential: {} },
  'patch /api/v1/users/{username}/mfa/passkeys/{passkeyId}': { name: 'x' },
};

/**
 * SEC-85: a caller without the permission gets the same answer (403) for an existing and an
 * unknown `{username}` / `{id}` on every route of the OpenAPI document that names one.
 */
describe.each(DATABASES)('no existence oracle for the unprivileged on %s (SEC-85)', (kind) => {
  let t: TestApp;
  let routes: Array<[string, string]>;
  let existing: Record<string, string>;
  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = await t.adminToken();
    const doc = (await t.http.get('/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(doc.paths)
      // Sign-in routes are public: a configured provider's name, or an organization connection's id
      // that home-realm discovery hands to anyone, is no secret (an unknown one is 404 to everyone).
      .filter(([path]) => path.includes('{') && !path.includes('{provider}') && !/\/auth\/(oidc|saml)\/org\//.test(path))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => [m, path] as [string, string]));
    const { user, password } = await t.createUser({ roles: ['viewer'], prefix: 'victim' });
    const sid = JSON.parse(Buffer.from((await t.login(user.username, password)).access_token.split('.')[1], 'base64url').toString()).sid;
    const key = await t.http.post(`${API}/users/${user.username}/api-keys`).set('authorization', `Bearer ${admin}`).send({ name: 'k' });
    const sa = await t.http
      .post(`${API}/service-accounts`)
      .set('authorization', `Bearer ${admin}`)
      .send({ name: `svc-oracle-${process.pid}` });
    const saKey = await t.http.post(`${API}/service-accounts/${sa.body.id}/api-keys`).set('authorization', `Bearer ${admin}`).send({ name: 'k' });
    existing = { username: user.username, passkeyId: randomUUID(), sessionId: sid, name: 'viewer', users_id: key.body.id, 'service-accounts_id': sa.body.id, keyId: saKey.body.id };
  });
  afterAll(() => t?.close());

  function fill(path: string, values: (param: string, path: string) => string): string {
    return path.replace(/\{([^}]+)\}/g, (_, param: string) => values(param, path));
  }

  const existingValue = (param: string, path: string) => (param === 'id' ? existing[path.includes('/service-accounts/') ? 'service-accounts_id' : 'users_id'] : existing[param]);

  it('covers the routes that name an account or a resource', () => {
    expect(routes.length).toBeGreaterThan(20);
  });

  it.each(['missing-name', 'uuid', 'malformed'] as const)('403 for an existing and an unknown target alike (%s)', async (unknownKind) => {
    const nobody = await t.actor();
    const unknownValue = (param: string) =>
      unknownKind === 'uuid' ? randomUUID() : unknownKind === 'malformed' ? 'not-a-%20uuid' : param === 'username' ? `ghost${process.pid}` : 'ghost';
    for (const [method, path] of routes) {
      const key = `${method} ${path}`;
      const send = (url: string) =>
        (t.http as any)
          [method](url)
          .set('authorization', `Bearer ${nobody.token}`)
          .send(BODIES[key] ?? (method === 'get' || method === 'delete' ? undefined : {}));
      const known = await send(fill(path, existingValue));
      const unknown = await send(fill(path, unknownValue));
      expect(known.status, `${key} (existing)`).toBe(403);
      expect(unknown.status, `${key} (${unknownKind})`).toBe(403);
    }
  });
});
