import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchBrowser, type Hop, jsonClient, parseSetCookies } from '../support/oidc/fetch-browser.js';
import { startAppWithOp } from '../support/oidc/fixtures.js';
import { counts } from '../support/oidc/refusals.js';
import { authorizeAt, loginUrl, OIDC_API, openProviderLogin, signIn, submitProviderLogin } from '../support/oidc/sign-in.js';
import type { TestOp } from '../support/oidc/test-op.js';
import { API, DATABASES, type TestApp } from '../support/test-app.js';

const HOST = '127.0.0.1';
const STATE_PREFIX = 'fabric_oidc_state_';
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** What a person's browser sends on a navigation. */
function person(): FetchBrowser {
  return new FetchBrowser({ accept: BROWSER_ACCEPT });
}

let subjects = 0;

describe.each(DATABASES)('SSO for people: error pages, several logins at once, prompt and login_hint on %s', (kind) => {
  let t: TestApp;
  let op: TestOp;
  beforeAll(async () => {
    ({ t, op } = await startAppWithOp(kind, {
      oidc: { jitProvisioning: true, defaultRoles: ['viewer'] },
      nojit: {},
      down: { issuer: 'http://127.0.0.1:9' },
    }));
  });
  afterAll(async () => {
    await t?.close();
    await op?.close();
  });

  function account(claims: Record<string, unknown> = {}): string {
    const subject = `page-subject-${++subjects}-${process.pid}`;
    op.accounts.set(subject, { preferred_username: subject, email: `${subject}@example.test`, email_verified: true, ...claims });
    return subject;
  }

  /** The refusal a person sees: a redirect to the module's error page with `code`, which renders that code's message. */
  async function expectErrorPage(browser: FetchBrowser, hop: Hop, code: string): Promise<string> {
    expect(hop.status, hop.body).toBe(302);
    const location = new URL(hop.location!);
    expect(`${location.origin}${location.pathname}`).toBe(`${t.url}${OIDC_API}/error`);
    expect(Object.fromEntries(location.searchParams)).toEqual({ error: code });
    for (const name of ['access_token', 'refresh_token', 'csrf_token']) expect(parseSetCookies(hop.setCookie).has(name), name).toBe(false);
    const page = await browser.request(location.href);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`data-error="${code}"`);
    return page.body;
  }

  it('access denied at the provider: the error page with access_denied, never the provider text', async () => {
    const browser = person();
    const { callbackUrl } = await authorizeAt(browser, t.url, account());
    const denied = new URL(callbackUrl);
    denied.searchParams.delete('code');
    denied.searchParams.set('error', 'access_denied');
    denied.searchParams.set('error_description', '<script>alert("owned")</script> the admin says no');
    const before = await counts(t);
    const page = await expectErrorPage(browser, await browser.request(denied.href), 'access_denied');
    expect(page).not.toContain('admin says no');
    expect(page).not.toContain('<script>');
    expect((await counts(t)).failures.get('idp_error')).toBe((before.failures.get('idp_error') ?? 0) + 1);
  });

  it('an identity without an account (JIT off): no_account', async () => {
    const browser = person();
    await expectErrorPage(browser, await signIn(browser, t.url, account(), { provider: 'nojit' }), 'no_account');
  });

  it('a deactivated account: account_disabled', async () => {
    const subject = account();
    const first = await signIn(jsonClient(), t.url, subject);
    expect(first.status).toBe(302);
    const user = (await t.users.findByUsername(subject))!;
    await t.users.deactivate(user.id);
    const browser = person();
    await expectErrorPage(browser, await signIn(browser, t.url, subject), 'account_disabled');
  });

  it('a verified email a local account already holds: account_exists, and no second account', async () => {
    const { user } = await t.createUser();
    const browser = person();
    const before = await counts(t);
    await expectErrorPage(browser, await signIn(browser, t.url, account({ email: user.email, email_verified: true })), 'account_exists');
    expect((await counts(t)).users).toBe(before.users);
  });

  it('a callback in a browser that did not start it, or a replayed one: invalid_state', async () => {
    const { callbackUrl } = await authorizeAt(person(), t.url, account());
    const other = person();
    await expectErrorPage(other, await other.request(callbackUrl), 'invalid_state');
    const browser = person();
    const fresh = await authorizeAt(browser, t.url, account());
    expect((await browser.request(fresh.callbackUrl)).status).toBe(302);
    await expectErrorPage(browser, await browser.request(fresh.callbackUrl), 'invalid_state');
  });

  it('a provider that cannot be reached: provider_unavailable, from the login route', async () => {
    const browser = person();
    await expectErrorPage(browser, await browser.request(loginUrl(t.url, 'down')), 'provider_unavailable');
  });

  it('asking for JSON keeps the JSON answers and statuses', async () => {
    const client = jsonClient();
    const down = await client.request(loginUrl(t.url, 'down'));
    expect(down.status).toBe(502);
    expect(JSON.parse(down.body)).toEqual({ statusCode: 502, message: expect.any(String), error: 'Bad Gateway' });
    const missing = await client.request(`${t.url}${OIDC_API}/callback?code=x&state=y`);
    expect(missing.status).toBe(400);
  });

  it('the error page shows a fixed text for an unknown or hostile code, and is not cached', async () => {
    for (const code of ['<img src=x onerror=alert(1)>', 'nope', '']) {
      const page = await t.http.get(`${OIDC_API}/error`).query({ error: code });
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
      expect(page.headers['cache-control']).toBe('no-store');
      expect(page.text).toContain('data-error="login_failed"');
      if (code) expect(page.text).not.toContain(code);
    }
  });

  it('an unconfigured provider is still a 404 (there is no login to speak of)', async () => {
    expect((await person().request(loginUrl(t.url, 'nope'))).status).toBe(404);
  });

  describe('several logins in one browser', () => {
    it("two tabs at the provider's sign-in page at once both complete, each in its own session", async () => {
      const browser = person();
      const firstTab = await openProviderLogin(browser, t.url, { returnTo: '/first' });
      const secondTab = await openProviderLogin(browser, t.url, { returnTo: '/second' });
      expect(browser.cookieNames(HOST, STATE_PREFIX)).toHaveLength(2);
      const subject = account();
      const secondDone = await browser.request(await submitProviderLogin(browser, t.url, secondTab, subject));
      expect(secondDone.location).toBe(`${t.url}/second`);
      const secondSession = browser.cookie(HOST, 'access_token');
      const firstDone = await browser.request(await submitProviderLogin(browser, t.url, firstTab, subject));
      expect(firstDone.status, firstDone.body).toBe(302);
      expect(firstDone.location).toBe(`${t.url}/first`);
      expect(browser.cookie(HOST, 'access_token')).not.toBe(secondSession);
      expect(browser.cookieNames(HOST, STATE_PREFIX)).toEqual([]);
    });

    it('a browser holds at most four attempts: a fifth drops the oldest, whose callback then fails', async () => {
      const browser = person();
      const oldest = await openProviderLogin(browser, t.url);
      for (let i = 0; i < 3; i++) await browser.request(loginUrl(t.url));
      expect(browser.cookieNames(HOST, STATE_PREFIX)).toHaveLength(4);
      t.clock.advance(1);
      const newest = await openProviderLogin(browser, t.url);
      expect(browser.cookieNames(HOST, STATE_PREFIX)).toHaveLength(4);
      const subject = account();
      const newestDone = await browser.request(await submitProviderLogin(browser, t.url, newest, subject));
      expect(newestDone.status).toBe(302);
      await expectErrorPage(browser, await browser.request(await submitProviderLogin(browser, t.url, oldest, subject)), 'invalid_state');
      t.clock.reset();
    });
  });

  describe('prompt and login_hint', () => {
    it('are passed to the provider', async () => {
      const login = await jsonClient().request(loginUrl(t.url, undefined, undefined, { prompt: 'login consent', login_hint: 'ann@example.test' }));
      expect(login.status).toBe(302);
      const target = new URL(login.location!);
      expect(target.searchParams.get('prompt')).toBe('login consent');
      expect(target.searchParams.get('login_hint')).toBe('ann@example.test');
      const plain = new URL((await jsonClient().request(loginUrl(t.url))).location!);
      expect(plain.searchParams.has('prompt')).toBe(false);
      expect(plain.searchParams.has('login_hint')).toBe(false);
    });

    it('prompt=login makes the provider ask again although its session is live; without it, it signs straight back in', async () => {
      const browser = person();
      const subject = account();
      expect((await signIn(browser, t.url, subject)).status).toBe(302);
      const again = await browser.follow(loginUrl(t.url), (next) => next.origin !== new URL(t.url).origin);
      expect(again.at(-1)!.location).toContain(`${OIDC_API}/callback?`);
      const asked = await browser.follow(loginUrl(t.url, undefined, undefined, { prompt: 'login' }), (next) => !next.pathname.startsWith('/interaction/'));
      expect(new URL(asked.at(-1)!.location!).pathname).toMatch(/^\/interaction\//);
    });

    it.each([
      ['prompt', 'none login'],
      ['prompt', 'bogus'],
      ['prompt', 'login login'],
      ['prompt', ''],
      ['login_hint', 'x'.repeat(257)],
      ['login_hint', 'ann\r\nSet-Cookie: x=1'],
    ])('refuses %s=%j: 400 for API clients, invalid_request for people, nothing sent to the provider', async (name, value) => {
      const url = loginUrl(t.url, undefined, undefined, { [name]: value });
      const auth = op.hits('/auth');
      const api = await jsonClient().request(url);
      expect(api.status).toBe(400);
      expect(JSON.parse(api.body)).toEqual({ statusCode: 400, message: 'Invalid login parameter', error: 'Bad Request' });
      const browser = person();
      const hop = await browser.request(url);
      expect(new URL(hop.location!).searchParams.get('error')).toBe('invalid_request');
      expect(browser.cookieNames(HOST, STATE_PREFIX)).toEqual([]);
      expect(op.hits('/auth')).toBe(auth);
    });
  });

  it('a role the provider grants cannot be deleted through the roles API (409)', async () => {
    const admin = await t.adminToken();
    const res = await t.http.delete(`${API}/roles/viewer`).auth(admin, { type: 'bearer' });
    expect(res.status).toBe(409);
    expect(res.body.message).toContain('auth.providers.oidc.default_roles');
  });
});

describe('auth.sso.error_url', () => {
  let t: TestApp;
  let op: TestOp;
  beforeAll(async () => {
    ({ t, op } = await startAppWithOp('sqlite/express', { nojit: {} }, [], { sso: { errorUrl: 'https://app.example/sign-in/problem?from=sso' } }));
  });
  afterAll(async () => {
    await t?.close();
    await op?.close();
  });

  it('sends the person to the configured page with the code added', async () => {
    const subject = `configured-${process.pid}`;
    op.accounts.set(subject, { email: 'nobody@example.test', email_verified: true });
    const hop = await signIn(person(), t.url, subject, { provider: 'nojit' });
    expect(hop.status).toBe(302);
    expect(hop.location).toBe('https://app.example/sign-in/problem?from=sso&error=no_account');
  });
});
