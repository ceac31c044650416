import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** Routes anyone may call (SEC-36 allowlist). */
const PUBLIC_ROUTES = new Set([
  'post /api/v1/auth/token',
  'post /api/v1/auth/revoke',
  'post /api/v1/auth/passkey/begin',
  'post /api/v1/auth/passkey/finish',
  'get /.well-known/jwks.json',
  'get /.well-known/openid-configuration',
  'get /.well-known/oauth-authorization-server',
  'post /api/v1/auth/activate',
  'post /api/v1/auth/password-reset',
  'post /api/v1/auth/password-reset/confirm',
  'get /api/v1/auth/oidc/login',
  'get /api/v1/auth/oidc/callback',
  'get /api/v1/auth/oidc/{provider}/login',
  'get /api/v1/auth/oidc/{provider}/callback',
  'get /api/v1/auth/oidc/org/{id}/login',
  'get /api/v1/auth/oidc/org/{id}/callback',
  'get /api/v1/auth/oidc/error',
  'get /api/v1/auth/oidc/logout',
  'post /api/v1/auth/oidc/backchannel-logout',
  'post /api/v1/auth/oidc/{provider}/backchannel-logout',
  'post /api/v1/auth/oidc/org/{id}/backchannel-logout',
  'post /api/v1/auth/email/verify',
  'get /api/v1/demo/ping',
  'get /api/v1/demo/public',
]);

describe('every documented route requires a credential unless allowlisted (SEC-36)', () => {
  let t: TestApp;
  let routes: Array<[string, string]>;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    const doc = (await t.http.get('/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => [m, path] as [string, string]));
  });
  afterAll(() => t?.close());

  it('finds the library routes in the OpenAPI document', () => {
    expect(routes.length).toBeGreaterThan(20);
  });

  it('answers 401 without credentials on every other route', async () => {
    for (const [method, path] of routes) {
      const key = `${method} ${path}`;
      const url = path.replace(/\{[^}]+\}/g, (name) => (name === '{sessionId}' ? '00000000-0000-4000-8000-000000000000' : 'someone'));
      const res = await (t.http as unknown as Record<string, (u: string) => Promise<{ status: number }>>)[method](url);
      if (PUBLIC_ROUTES.has(key)) expect(res.status, key).not.toBe(401);
      else expect(res.status, key).toBe(401);
    }
  });
});
