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
    const res = await t.http.post(`${API}/auth/token`).set('content-type', 'application/json').send('{"grant_type":');
    expect(res.status).toBe(400);
    expect(res.body.statusCode).toBe(400);
    expectNoLeak(res.text);
    expectSecurityHeaders(res.headers);
  });

  it('a body over the limit is a 413', async () => {
    const res = await t.http
      .post(`${API}/auth/token`)
      .set('content-type', 'application/json')
      .send(JSON.stringify({ grant_type: 'password', username: 'x'.repeat(200_000), password: 'y' }));
    expect(res.status).toBe(413);
    expectNoLeak(res.text);
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
