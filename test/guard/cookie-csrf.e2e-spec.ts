import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

interface CookieSession {
  cookies: Map<string, { value: string; attributes: string }>;
  header: string;
  csrf: string;
}

function readCookies(setCookie: string[] | string | undefined): CookieSession {
  const cookies = new Map<string, { value: string; attributes: string }>();
  for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
    const [pair, ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    cookies.set(pair.slice(0, eq), { value: decodeURIComponent(pair.slice(eq + 1)), attributes: attributes.join(';').trim() });
  }
  const header = [...cookies].map(([name, c]) => `${name}=${c.value}`).join('; ');
  return { cookies, header, csrf: cookies.get('csrf_token')?.value ?? '' };
}

describe.each(DATABASES)('cookie sessions and CSRF on %s (SEC-51…SEC-54)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(() => t?.close());

  async function cookieLogin(): Promise<CookieSession> {
    const { user, password } = await t.createUser({ roles: ['viewer'] });
    const res = await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'password', username: user.username, password, set_cookies: 'true' });
    expect(res.status).toBe(200);
    return readCookies(res.headers['set-cookie']);
  }

  it('set_cookies=true sets HttpOnly token cookies and a readable CSRF cookie', async () => {
    const session = await cookieLogin();
    expect([...session.cookies.keys()].sort()).toEqual(['access_token', 'csrf_token', 'fabric_device', 'refresh_token']);
    for (const name of ['access_token', 'refresh_token', 'fabric_device']) {
      const attrs = session.cookies.get(name)!.attributes;
      expect(attrs).toContain('HttpOnly');
      expect(attrs).toContain('SameSite=Lax');
      expect(attrs).toContain('Path=/');
      expect(attrs).not.toContain('Domain');
    }
    expect(session.cookies.get('access_token')!.attributes).toContain('Max-Age=900');
    expect(session.cookies.get('csrf_token')!.attributes).not.toContain('HttpOnly');
  });

  it('without set_cookies no cookie is set', async () => {
    const { user, password } = await t.createUser();
    const res = await t.http.post(`${API}/auth/token`).send({ grant_type: 'password', username: user.username, password });
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('cookies carry Secure when secure_cookies is on', async () => {
    const secure = await startTestApp(kind, { options: { secureCookies: true } });
    try {
      const { user, password } = await secure.createUser();
      const res = await secure.http.post(`${API}/auth/token`).send({ grant_type: 'password', username: user.username, password, set_cookies: true });
      for (const line of res.headers['set-cookie'] as unknown as string[]) expect(line).toContain('Secure');
    } finally {
      await secure.close();
    }
  });

  it('a safe request needs only the access cookie, and reports auth_method cookie', async () => {
    const session = await cookieLogin();
    const res = await t.http.get(`${API}/auth/me`).set('cookie', session.header);
    expect(res.status).toBe(200);
    expect(res.body.auth_method).toBe('cookie');
    expect((await t.http.get(`${API}/demo/reports`).set('cookie', session.header)).status).toBe(200);
  });

  it('an unsafe request without X-CSRF-Token is 403', async () => {
    const session = await cookieLogin();
    const res = await t.http.post(`${API}/auth/logout`).set('cookie', session.header);
    expect(res.status).toBe(403);
    expect(res.body.message).toBe('Missing or invalid CSRF token');
    expect((await t.http.get(`${API}/auth/me`).set('cookie', session.header)).status).toBe(200);
  });

  it('a wrong X-CSRF-Token is 403', async () => {
    const session = await cookieLogin();
    const res = await t.http.post(`${API}/auth/logout`).set('cookie', session.header).set('x-csrf-token', 'wrong');
    expect(res.status).toBe(403);
  });

  it("another session's CSRF token (header and cookie both) is 403", async () => {
    const mine = await cookieLogin();
    const theirs = await cookieLogin();
    const header = `access_token=${mine.cookies.get('access_token')!.value}; csrf_token=${theirs.csrf}`;
    const res = await t.http.post(`${API}/auth/logout`).set('cookie', header).set('x-csrf-token', theirs.csrf);
    expect(res.status).toBe(403);
  });

  it('a cross-site request is 403 even with the right token', async () => {
    const session = await cookieLogin();
    const crossSite = await t.http.post(`${API}/auth/logout`).set('cookie', session.header).set('x-csrf-token', session.csrf).set('sec-fetch-site', 'cross-site');
    expect(crossSite.status).toBe(403);
    const evilOrigin = await t.http.post(`${API}/auth/logout`).set('cookie', session.header).set('x-csrf-token', session.csrf).set('origin', 'https://evil.example');
    expect(evilOrigin.status).toBe(403);
  });

  it('the right CSRF token logs out, clears the cookies, and the cookie stops working', async () => {
    const session = await cookieLogin();
    const res = await t.http.post(`${API}/auth/logout`).set('cookie', session.header).set('x-csrf-token', session.csrf);
    expect(res.status).toBe(204);
    const cleared = readCookies(res.headers['set-cookie']);
    for (const name of ['access_token', 'refresh_token', 'csrf_token']) {
      expect(cleared.cookies.get(name)?.attributes).toContain('Max-Age=0');
    }
    expect((await t.http.get(`${API}/auth/me`).set('cookie', session.header)).status).toBe(401);
  });

  it('Bearer requests need no CSRF token', async () => {
    const { user, password } = await t.createUser();
    const tokens = await t.login(user.username, password);
    expect((await t.http.post(`${API}/auth/logout`).auth(tokens.access_token, { type: 'bearer' })).status).toBe(204);
  });

  it('a refresh may take its token from the cookie, and sets new cookies', async () => {
    const session = await cookieLogin();
    const res = await t.http.post(`${API}/auth/token`).set('cookie', session.header).send({ grant_type: 'refresh_token' });
    expect(res.status).toBe(200);
    const renewed = readCookies(res.headers['set-cookie']);
    expect(renewed.cookies.get('refresh_token')!.value).toBe(res.body.refresh_token);
    expect(renewed.cookies.get('refresh_token')!.value).not.toBe(session.cookies.get('refresh_token')!.value);
    expect(renewed.csrf).toBe(session.csrf);
  });

  it('a cookie refresh or cookie login from another site is refused (login CSRF)', async () => {
    const session = await cookieLogin();
    const refresh = await t.http.post(`${API}/auth/token`).set('cookie', session.header).set('origin', 'https://evil.example').send({ grant_type: 'refresh_token' });
    expect(refresh.status).toBe(403);
    const { user, password } = await t.createUser();
    const login = await t.http
      .post(`${API}/auth/token`)
      .set('origin', 'https://evil.example')
      .send({ grant_type: 'password', username: user.username, password, set_cookies: true });
    expect(login.status).toBe(403);
    expect(login.headers['set-cookie']).toBeUndefined();
    const bodyRefresh = await t.http
      .post(`${API}/auth/token`)
      .set('sec-fetch-site', 'cross-site')
      .send({ grant_type: 'refresh_token', refresh_token: (await t.login(user.username, password)).refresh_token, set_cookies: true });
    expect(bodyRefresh.status).toBe(403);
    expect(bodyRefresh.headers['set-cookie']).toBeUndefined();
  });

  it('an access cookie sent twice with different values is refused (cookie tossing)', async () => {
    const mine = await cookieLogin();
    const theirs = await cookieLogin();
    const header = `access_token=${theirs.cookies.get('access_token')!.value}; access_token=${mine.cookies.get('access_token')!.value}`;
    expect((await t.http.get(`${API}/auth/me`).set('cookie', header)).status).toBe(401);
  });
});
