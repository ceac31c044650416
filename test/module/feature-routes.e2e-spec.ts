import type { FabricAuthFeatureName } from 'nestjs-fabric-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, API, startTestApp, type TestApp } from '../support/test-app.js';

/** The library's routes in an app's OpenAPI document (the demo’s own are under /api/v1/demo). */
async function libraryRoutes(t: TestApp): Promise<string[]> {
  const doc = (await t.http.get('/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths)
    .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`))
    .filter((route) => !/ \/api\/v1\/demo\b/.test(route) && !route.endsWith(' /'))
    .sort();
}

/** One route each feature owns, and a request that reaches it when the feature is mounted. */
const OWNED: Record<FabricAuthFeatureName, string | null> = {
  login: 'post /api/v1/auth/token',
  users: 'get /api/v1/users',
  mfa: 'get /api/v1/users/{username}/mfa',
  roles: 'get /api/v1/roles',
  audit: 'get /api/v1/audit',
  apiKeys: 'get /api/v1/users/{username}/api-keys',
  serviceAccounts: 'get /api/v1/service-accounts',
  oidc: 'get /api/v1/auth/oidc/login',
  signingKeys: 'get /.well-known/jwks.json',
  maintenance: null,
  organizations: 'get /api/v1/orgs',
  scim: 'get /api/v1/scim-tokens',
  events: null,
  webhooks: 'get /api/v1/webhooks',
  saml: 'get /api/v1/auth/saml/{connection}/login',
  // Served outside the API and its OpenAPI document: test/console checks where.
  console: null,
};
const ALL = Object.keys(OWNED) as FabricAuthFeatureName[];
/** Opt-in: loaded only with its option on (`auth.organizations.enabled`, `auth.scim.enabled`, `auth.webhooks.enabled`, a SAML connection, `auth.console.enabled`), never by default. */
const OPT_IN: readonly FabricAuthFeatureName[] = ['organizations', 'scim', 'webhooks', 'saml', 'console'];
const IDP_METADATA =
  '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
  '<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>MIIB</X509Certificate></X509Data></KeyInfo></KeyDescriptor>' +
  '<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/></IDPSSODescriptor></EntityDescriptor>';
const switchedOn = (feature: FabricAuthFeatureName) =>
  feature === 'organizations'
    ? { organizations: { enabled: true } }
    : feature === 'scim'
      ? { scim: { enabled: true } }
      : feature === 'webhooks'
        ? { webhooks: { enabled: true } }
        : feature === 'saml'
          ? { providers: { corp: { type: 'saml' as const, idpMetadata: IDP_METADATA } } }
          : feature === 'console'
            ? { console: { enabled: true } }
            : {};

describe.each(ADAPTERS)('forRoot({ features }) on sqlite/%s', (adapter) => {
  let full: TestApp;
  let loginOnly: TestApp;
  let fullRoutes: string[];
  beforeAll(async () => {
    full = await startTestApp(`sqlite/${adapter}`);
    loginOnly = await startTestApp(`sqlite/${adapter}`, { features: ['login'] });
    fullRoutes = await libraryRoutes(full);
  });
  afterAll(async () => {
    await loginOnly?.close();
    await full?.close();
  });

  it('all features by default: every feature’s routes, but the opt-in ones', () => {
    for (const [feature, route] of Object.entries(OWNED)) if (route) expect(fullRoutes.includes(route), route).toBe(!OPT_IN.includes(feature as FabricAuthFeatureName));
    expect(fullRoutes.some((route) => route.includes('/orgs') || route.includes('scim'))).toBe(false);
    expect(fullRoutes.length).toBeGreaterThan(40);
  });

  it('login only: the /auth routes and nothing else of the library (no OIDC, passkeys come with login)', async () => {
    const routes = await libraryRoutes(loginOnly);
    expect(routes.length).toBeGreaterThan(5);
    for (const route of routes) {
      expect(route).toMatch(/^(get|post|put|patch|delete) \/api\/v1\/auth\//);
      expect(route).not.toContain('/auth/oidc');
      expect(fullRoutes).toContain(route);
    }
  });

  it('login only: a left-out feature’s paths answer 404 even to the admin, not 401 or 403', async () => {
    const token = await loginOnly.adminToken();
    for (const path of [
      `${API}/users`,
      `${API}/users/admin/mfa`,
      `${API}/roles`,
      `${API}/audit`,
      `${API}/service-accounts`,
      `${API}/users/admin/api-keys`,
      `${API}/auth/oidc/login`,
      '/.well-known/jwks.json',
    ]) {
      const res = await loginOnly.http.get(path).set('authorization', `Bearer ${token}`);
      expect(res.status, path).toBe(404);
    }
  });

  it('login only: the core still signs in, guards the app’s routes and answers /auth/me', async () => {
    const { token } = await loginOnly.actor(['viewer']);
    expect((await loginOnly.http.get(`${API}/auth/me`).set('authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await loginOnly.http.get(`${API}/demo/protected`)).status).toBe(401);
    expect((await loginOnly.http.get(`${API}/demo/protected`).set('authorization', `Bearer ${token}`)).status).not.toBe(401);
  });
});

describe('each feature alone mounts its own routes and no other feature’s (sqlite/express)', () => {
  it.each(ALL)('%s', async (feature) => {
    const t = await startTestApp('sqlite/express', { features: [feature], options: switchedOn(feature) });
    try {
      const routes = await libraryRoutes(t);
      for (const [other, route] of Object.entries(OWNED)) {
        if (route) expect(routes.includes(route), `${feature}: ${route}`).toBe(other === feature);
      }
    } finally {
      await t.close();
    }
  });
});

describe('an unknown feature name', () => {
  it('stops startup with a configuration error naming it and the known ones', async () => {
    await expect(startTestApp('sqlite', { features: ['login', 'organisations' as FabricAuthFeatureName] })).rejects.toThrow(
      /features: unknown "organisations"; known: login, users, mfa/,
    );
  });
});
