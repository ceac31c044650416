import type { OidcProviderOptions } from 'nestjs-fabric-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

type Schema = { $ref?: string; properties?: Record<string, { enum?: unknown[] }>; required?: string[] };
type Operation = { responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> };
type Document = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

/** Nothing listens on port 9: discovery of these providers fails at once, as when the provider is down. */
const UNREACHABLE: OidcProviderOptions = { issuer: 'http://127.0.0.1:9', clientId: 'app', redirectUri: 'http://127.0.0.1:3000/api/v1/auth/oidc/callback' };

/**
 * Bad input for every route: no credential, unknown ids, a JSON body missing what the route needs
 * and one with fields of the wrong type (a logout_token that cannot be checked while its provider is
 * down). `{provider}` names a configured provider, so that its routes go past "unknown provider".
 */
function badRequests(method: string, path: string): Array<{ url: string; body?: string }> {
  const url = path.replace(/\{[^}]+\}/g, (name) => (name === '{provider}' ? 'down' : 'someone'));
  if (method === 'get' || method === 'delete') return [{ url }];
  return [
    { url, body: '{}' },
    { url, body: '{"logout_token":"x.y.z","grant_type":7,"token":7,"username":7}' },
  ];
}

/** What in an error body disagrees with its documented schema: a missing required key, a key it does not declare, a value outside its enum. */
function disagreements(body: Record<string, unknown>, schema: Schema): string[] {
  const declared = schema.properties ?? {};
  return [
    ...(schema.required ?? []).filter((key) => !(key in body)).map((key) => `lacks ${key}`),
    ...Object.keys(body)
      .filter((key) => !(key in declared))
      .map((key) => `has undeclared ${key}`),
    ...Object.entries(body)
      .filter(([key, value]) => declared[key]?.enum && !declared[key].enum.includes(value))
      .map(([key, value]) => `${key} ${JSON.stringify(value)} is outside its enum`),
  ];
}

/**
 * Every error a route answers has the body its OpenAPI document gives that status: each route is
 * called with bad input, and each 4xx/5xx answer whose status the document declares with a schema is
 * compared, key by key, with that schema (after `withFabricAuthSecurity`, as the demo serves it).
 * The OAuth-shaped routes (OAuthErrorFilter: `{error, error_description}`) and the others
 * (`{statusCode, message, error}`) are told apart by what they answer, not by a list: a route
 * documented with the other shape fails, whichever route it is.
 */
describe.each(DATABASES)('documented error bodies are the ones answered on %s', (kind) => {
  let t: TestApp;
  let document: Document;
  beforeAll(async () => {
    t = await startTestApp(kind, { options: { providers: { oidc: UNREACHABLE, down: { type: 'oidc', ...UNREACHABLE } } } });
    document = (await t.http.get('/docs-json')).body as Document;
  });
  afterAll(() => t?.close());

  it('every documented error status answered to bad input has its documented keys', async () => {
    const mismatches: string[] = [];
    const compared = new Set<string>();
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const { url, body } of badRequests(method, path)) {
          const call = (t.http as unknown as Record<string, (u: string) => import('supertest').Test>)[method](url);
          const res = await (body === undefined ? call : call.set('content-type', 'application/json').send(body));
          if (res.status < 400) continue;
          const ref = operation.responses?.[res.status]?.content?.['application/json']?.schema?.$ref;
          if (!ref) continue;
          const name = ref.replace('#/components/schemas/', '');
          compared.add(`${method} ${path} ${res.status} ${name}`);
          const wrong = disagreements(res.body as Record<string, unknown>, document.components.schemas[name]);
          if (wrong.length > 0) mismatches.push(`${method} ${path} ${res.status} documented ${name}: ${wrong.join(', ')} (${JSON.stringify(res.body)})`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    // The bad input reached both shapes, on the routes of both features that answer OAuth errors.
    expect([...compared]).toEqual(
      expect.arrayContaining([
        'post /api/v1/auth/token 400 OAuthErrorDto',
        'post /api/v1/auth/revoke 400 OAuthErrorDto',
        'post /api/v1/auth/oidc/backchannel-logout 400 OAuthErrorDto',
        'post /api/v1/auth/oidc/backchannel-logout 503 OAuthErrorDto',
        'post /api/v1/auth/oidc/{provider}/backchannel-logout 400 OAuthErrorDto',
        'post /api/v1/auth/oidc/{provider}/backchannel-logout 503 OAuthErrorDto',
        'post /api/v1/auth/oidc/org/{id}/backchannel-logout 404 OAuthErrorDto',
        'post /api/v1/auth/password-reset/confirm 400 ErrorResponseDto',
      ]),
    );
  });
});
