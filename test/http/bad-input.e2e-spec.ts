import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

function expectSecurityHeaders(headers: Record<string, string>) {
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['strict-transport-security']).toMatch(/max-age=31536000/);
  expect(headers['x-powered-by']).toBeUndefined();
}

function expectNoLeak(text: string) {
  for (const marker of ['at ', 'QueryFailedError', '/work/', 'node_modules', 'SELECT', 'stack']) {
    expect(text).not.toContain(marker);
  }
}

describe.each(DATABASES)('bad input and HTTP hygiene on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(() => t?.close());

  it('malformed JSON is a 400 in Nest shape, without a stack', async () => {
    const res = await t.http.post(`${API}/roles`).set('content-type', 'application/json').send('{"name":');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expectNoLeak(res.text);
    expectSecurityHeaders(res.headers);
  });

  it('a bodiless POST sent with a JSON content type is an empty body, as on Express (logout → 204)', async () => {
    const { user, password } = await t.createUser();
    const session = await t.login(user.username, password);
    const res = await t.http.post(`${API}/auth/logout`).set('content-type', 'application/json').auth(session.access_token, { type: 'bearer' });
    expect(res.status).toBe(204);
    expect((await t.http.get(`${API}/auth/me`).auth(session.access_token, { type: 'bearer' })).status).toBe(401);
  });

  it('malformed JSON on the token endpoint keeps the RFC 6749 shape', async () => {
    const res = await t.http.post(`${API}/auth/token`).set('content-type', 'application/json').send('{"grant_type":');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(typeof res.body.error_description).toBe('string');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('a body over the limit is a 413 in Nest shape', async () => {
    const res = await t.http
      .post(`${API}/roles`)
      .set('content-type', 'application/json')
      .send(JSON.stringify({ name: 'x'.repeat(200_000), permissions: [] }));
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ statusCode: 413, message: 'request entity too large', error: 'Payload Too Large' });
    expectNoLeak(res.text);
  });

  it('prototype keys in a body are refused, not silently dropped', async () => {
    const admin = await t.adminToken();
    const res = await t.http
      .post(`${API}/roles`)
      .auth(admin, { type: 'bearer' })
      .set('content-type', 'application/json')
      .send('{"name":"proto-role","permissions":[],"__proto__":{"is_system_admin":true}}');
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('body must not contain the key __proto__');
  });

  const deepJson = (depth: number) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;

  it('JSON nested 10,000 deep is a 400 on the token endpoint, in RFC 6749 shape (SEC-81)', async () => {
    const res = await t.http.post(`${API}/auth/token`).set('content-type', 'application/json').send(deepJson(10_000));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'body must not be nested deeper than 32 levels' });
  });

  it.each([
    ['a library route', `${API}/roles`],
    ['a host app route', `${API}/demo/reports`],
    ['an unknown route', `${API}/nowhere`],
  ])('JSON nested 10,000 deep is a 400 on %s (SEC-81)', async (_, path) => {
    const res = await t.http.post(path).set('content-type', 'application/json').send(deepJson(10_000));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, message: 'body must not be nested deeper than 32 levels', error: 'Bad Request' });
    expectNoLeak(res.text);
  });

  it('JSON nested within the limit reaches validation', async () => {
    const admin = await t.adminToken();
    const res = await t.http
      .post(`${API}/roles`)
      .auth(admin, { type: 'bearer' })
      .send({ name: 'deep-ok', permissions: [], extra: [[[[]]]] });
    expect(res.status).toBe(400);
    expect(res.body.message).toEqual(['property extra should not exist']);
  });

  it('NUL characters are a 400, never a failed query', async () => {
    const token = await t.http.post(`${API}/auth/token`).send({ grant_type: 'password', username: 'ad\u0000min', password: 'x' });
    expect(token.status).toBe(400);
    expect(token.body).toEqual({ error: 'invalid_request', error_description: 'username must not contain control characters' });
    const reset = await t.http.post(`${API}/auth/password-reset`).send({ username: 'ad\u0000min' });
    expect(reset.status).toBe(400);
  });

  it('an unknown route is a 404 in Nest shape with security headers', async () => {
    const res = await t.http.get(`${API}/nowhere`);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    expectSecurityHeaders(res.headers);
  });

  it('401, 403 and 200 answers all carry the security headers', async () => {
    expectSecurityHeaders((await t.http.get(`${API}/auth/me`)).headers);
    const { user, password } = await t.createUser();
    const token = (await t.login(user.username, password)).access_token;
    expectSecurityHeaders((await t.http.get(`${API}/demo/reports`).auth(token, { type: 'bearer' })).headers);
    expectSecurityHeaders((await t.http.get(`${API}/auth/me`).auth(token, { type: 'bearer' })).headers);
  });

  it('GET on the logout route is not a logout', async () => {
    const res = await t.http.get(`${API}/auth/logout`);
    expect(res.status).toBe(404);
  });

  it('the OpenAPI document describes the auth routes', async () => {
    const res = await t.http.get('/docs-json');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining([`${API}/auth/token`, `${API}/auth/logout`, `${API}/auth/me`]));
    expect(res.body.paths[`${API}/auth/token`].post.requestBody.content).toHaveProperty('application/x-www-form-urlencoded');
  });

  it('Swagger UI is served at /docs', async () => {
    const res = await t.http.get('/docs/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger-ui');
  });
});
