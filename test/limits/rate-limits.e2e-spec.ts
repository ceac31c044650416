import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, startTestApp, type TestApp } from '../support/test-app.js';

describe('rate limits (SEC-23, SEC-26)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { options: { rateLimits: true, trustedProxies: ['127.0.0.1'] } });
  });
  afterAll(() => t?.close());

  /** Each test counts under its own client addresses, forwarded by the trusted local proxy. */
  let net = 0;
  const clientAddress = () => `203.0.${++net}.7`;
  const bad = { grant_type: 'password', username: 'nobody', password: 'x' };

  it('failed logins from one address: 429 with Retry-After in RFC 6749 shape past 50', async () => {
    const ip = clientAddress();
    for (let i = 0; i < 50; i++) {
      expect((await t.http.post(`${API}/auth/token`).set('x-forwarded-for', ip).send(bad)).status).toBe(400);
    }
    const limited = await t.http.post(`${API}/auth/token`).set('x-forwarded-for', ip).send(bad);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.body.error).toBe('temporarily_unavailable');
    expect(limited.headers['cache-control']).toBe('no-store');
    expect((await t.http.post(`${API}/auth/token`).set('x-forwarded-for', clientAddress()).send(bad)).status).toBe(400);
  });

  it('path variants (trailing slash, case) count in the same bucket; // does not reach the handler', async () => {
    const ip = clientAddress();
    const variants = [`${API}/auth/token/`, `${API.toUpperCase()}/AUTH/TOKEN`, `${API}/auth/token`];
    for (let i = 0; i < 49; i++)
      await t.http
        .post(variants[i % 3])
        .set('x-forwarded-for', ip)
        .send(bad);
    expect((await t.http.post(`${API}/auth/token`).set('x-forwarded-for', ip).send(bad)).status).toBe(400);
    expect((await t.http.post(`${API}/auth/token/`).set('x-forwarded-for', ip).send(bad)).status).toBe(429);
    expect((await t.http.post(`/${API}/auth/token`).set('x-forwarded-for', ip).send(bad)).status).not.toBe(400);
  });

  it('IPv6 clients are limited per /64', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await t.http
        .post(`${API}/auth/password-reset`)
        .set('x-forwarded-for', `2001:db8:77:1::${i + 1}`)
        .send({ email: `a${i}@example.test` });
      expect(res.status).toBe(202);
    }
    const limited = await t.http.post(`${API}/auth/password-reset`).set('x-forwarded-for', '2001:db8:77:1:ffff::9').send({ email: 'z@example.test' });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('a password-reset target is limited whatever the address', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await t.http.post(`${API}/auth/password-reset`).set('x-forwarded-for', clientAddress()).send({ email: 'target@example.test' })).status).toBe(202);
    }
    const res = await t.http.post(`${API}/auth/password-reset`).set('x-forwarded-for', clientAddress()).send({ email: 'TARGET@example.test' });
    expect(res.status).toBe(429);
  });

  it('activation and reset confirmation are limited per address', async () => {
    for (const path of ['/auth/activate', '/auth/password-reset/confirm']) {
      const ip = clientAddress();
      const body = path === '/auth/activate' ? { token: 'A'.repeat(43), password: 'Whatever-pass-1' } : { token: 'A'.repeat(43), new_password: 'Whatever-pass-1' };
      for (let i = 0; i < 20; i++) expect((await t.http.post(`${API}${path}`).set('x-forwarded-for', ip).send(body)).status).toBe(400);
      expect((await t.http.post(`${API}${path}`).set('x-forwarded-for', ip).send(body)).status).toBe(429);
    }
  });

  it('refused API keys: 429 with Retry-After after 30 failures from one address', async () => {
    const ip = clientAddress();
    for (let i = 0; i < 29; i++) expect((await t.http.get(`${API}/auth/me`).set('x-forwarded-for', ip).set('x-api-key', `fab_guess${i}`)).status).toBe(401);
    const limited = await t.http.get(`${API}/auth/me`).set('x-forwarded-for', ip).set('x-api-key', 'fab_guess-last');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await t.http.get(`${API}/auth/me`).set('x-forwarded-for', clientAddress()).set('x-api-key', 'fab_other')).status).toBe(401);
  });
});

describe('X-Forwarded-For from an untrusted peer is ignored (SEC-23)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { options: { rateLimits: true } });
  });
  afterAll(() => t?.close());

  it('rotating the header does not reset the count', async () => {
    for (let i = 0; i < 10; i++) {
      await t.http
        .post(`${API}/auth/password-reset`)
        .set('x-forwarded-for', `198.51.100.${i}`)
        .send({ email: `r${i}@example.test` });
    }
    const res = await t.http.post(`${API}/auth/password-reset`).set('x-forwarded-for', '198.51.100.250').send({ email: 'q@example.test' });
    expect(res.status).toBe(429);
  });
});
