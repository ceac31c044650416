import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { SessionEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FetchBrowser, jsonClient, parseSetCookies } from '../support/oidc/fetch-browser.js';
import { backchannelPath, startAppWithOp } from '../support/oidc/fixtures.js';
import { HostileOp, newSigningKey, type SigningKey } from '../support/oidc/hostile-op.js';
import { loginUrl, OIDC_API, signIn, submitProviderLogin } from '../support/oidc/sign-in.js';
import type { TestOp } from '../support/oidc/test-op.js';
import { API, DATABASES, type TestApp } from '../support/test-app.js';

const HOST = '127.0.0.1';
const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

let subjects = 0;

describe.each(DATABASES)('logout that reaches the provider (RP-initiated and back-channel) on %s', (kind) => {
  let t: TestApp;
  let op: TestOp;
  /** A provider of its own (own keys, own JWKS reads) for the key-rotation tests. */
  let rotating: TestOp;
  /** Providers whose JWKS a test breaks: one key set each, so no test inherits another's cooldown. */
  const hostile = { flaky: new HostileOp(), padded: new HostileOp() };
  beforeAll(async () => {
    await Promise.all(Object.values(hostile).map((h) => h.start()));
    const hostileProvider = (h: HostileOp) => ({ issuer: h.issuer, clientId: h.clientId, clientSecret: h.clientSecret, jitProvisioning: true });
    let ops: Record<string, TestOp>;
    ({ t, op, ops } = await startAppWithOp(
      kind,
      { oidc: { jitProvisioning: true }, rotating: { jitProvisioning: true }, flaky: hostileProvider(hostile.flaky), padded: hostileProvider(hostile.padded) },
      ['rotating'],
    ));
    rotating = ops.rotating;
    for (const h of Object.values(hostile)) h.now = () => t.clock.now();
  });
  afterAll(async () => {
    await t?.close();
    await op?.close();
    await rotating?.close();
    for (const h of Object.values(hostile)) await h.close();
  });
  afterEach(() => t.clock.reset());

  function account(): string {
    const subject = `logout-subject-${++subjects}-${process.pid}`;
    op.accounts.set(subject, { preferred_username: subject, email: `${subject}@idp.test`, email_verified: true });
    return subject;
  }

  async function ssoSession(subject = account()): Promise<{ browser: FetchBrowser; subject: string; sessionId: string }> {
    const browser = jsonClient();
    const callback = await signIn(browser, t.url, subject);
    expect(callback.status, callback.body).toBe(302);
    const sessions = await t.dataSource.getRepository(SessionEntity).find({ where: { oidcSubject: subject }, order: { createdAt: 'DESC' } });
    return { browser, subject, sessionId: sessions[0].id };
  }

  function me(browser: FetchBrowser) {
    return t.http.get(`${API}/auth/me`).set('cookie', `access_token=${browser.cookie(HOST, 'access_token')}`);
  }

  async function logoutLocally(browser: FetchBrowser) {
    const answer = await browser.request(`${t.url}${API}/auth/logout`, { method: 'POST', headers: { 'x-csrf-token': browser.cookie(HOST, 'csrf_token')! } });
    expect(answer.status, answer.body).toBe(204);
    return answer;
  }

  /** The provider's sign-out confirmation: its page, then "Yes, sign me out". */
  async function confirmAtProvider(browser: FetchBrowser, endSessionUrl: string): Promise<string> {
    const page = await browser.request(endSessionUrl);
    expect(page.status, page.body).toBe(200);
    const action = /<form[^>]*action="([^"]+)"/.exec(page.body)![1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)![1];
    const confirmed = await browser.request(new URL(action, endSessionUrl).href, {
      method: 'POST',
      body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect([302, 303]).toContain(confirmed.status);
    return confirmed.location!;
  }

  /** Does a new login at the provider ask who you are (true), or sign the old session straight back in? */
  async function providerAsksAgain(browser: FetchBrowser): Promise<boolean> {
    const hops = await browser.follow(loginUrl(t.url), (next) => next.origin !== new URL(t.url).origin && !next.pathname.startsWith('/interaction/'));
    return new URL(hops.at(-1)!.location!).pathname.startsWith('/interaction/');
  }

  describe('RP-initiated logout', () => {
    it('logout, then GET /auth/oidc/logout: the provider ends its session, and the next login asks who you are', async () => {
      const { browser, sessionId } = await ssoSession();
      const logout = await logoutLocally(browser);
      expect(parseSetCookies(logout.setCookie).get('fabric_oidc_logout')?.attributes).toContain('HttpOnly');
      const toProvider = await browser.request(`${t.url}${OIDC_API}/logout`);
      expect(toProvider.status).toBe(302);
      const endSession = new URL(toProvider.location!);
      expect(`${endSession.origin}${endSession.pathname}`).toBe(`${op.issuer}/session/end`);
      expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${t.url}/`);
      expect(endSession.searchParams.get('client_id')).toBe('oidc');
      expect(endSession.searchParams.get('id_token_hint')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      // The hint is used once: the session keeps no ID token afterwards.
      const row = await t.dataSource.getRepository(SessionEntity).findOneOrFail({ where: { id: sessionId }, select: { id: true, oidcIdToken: true } });
      expect(row.oidcIdToken).toBeNull();
      expect(await confirmAtProvider(browser, endSession.href)).toBe(`${t.url}/`);
      expect(await providerAsksAgain(browser)).toBe(true);
    });

    it('and the person signs in as someone else', async () => {
      const { browser } = await ssoSession();
      await logoutLocally(browser);
      await confirmAtProvider(browser, (await browser.request(`${t.url}${OIDC_API}/logout`)).location!);
      const other = account();
      const hops = await browser.follow(loginUrl(t.url), (next) => !next.pathname.startsWith('/interaction/'));
      const callback = await browser.request(await submitProviderLogin(browser, t.url, hops.at(-1)!.location!, other));
      expect(callback.status).toBe(302);
      expect((await me(browser)).body.username).toBe(other);
    });

    it('without it, the local logout leaves the provider session: the next login signs the same person straight back in', async () => {
      const { browser } = await ssoSession();
      await logoutLocally(browser);
      expect(await providerAsksAgain(browser)).toBe(false);
    });

    it('with no session ended here (or a forged marker), GET /auth/oidc/logout lands on return_to or /', async () => {
      const browser = jsonClient();
      expect((await browser.request(`${t.url}${OIDC_API}/logout`)).location).toBe(`${t.url}/`);
      expect((await browser.request(`${t.url}${OIDC_API}/logout?return_to=/bye`)).location).toBe(`${t.url}/bye`);
      expect((await browser.request(`${t.url}${OIDC_API}/logout?return_to=//evil.example`)).location).toBe(`${t.url}/`);
      const { browser: live, sessionId } = await ssoSession();
      // A marker naming a live session, signed with another key, does nothing.
      live.setCookie(HOST, 'fabric_oidc_logout', `${sessionId}.${Date.now() + 60_000}.AAAA`);
      expect((await live.request(`${t.url}${OIDC_API}/logout`)).location).toBe(`${t.url}/`);
      expect((await me(live)).status).toBe(200);
    });

    it('a password session leaves no marker', async () => {
      const { user, password } = await t.createUser();
      const browser = jsonClient();
      await browser.request(`${t.url}${API}/auth/token`, {
        method: 'POST',
        body: JSON.stringify({ grant_type: 'password', username: user.username, password, set_cookies: true }),
        headers: { 'content-type': 'application/json' },
      });
      const logout = await logoutLocally(browser);
      expect(parseSetCookies(logout.setCookie).has('fabric_oidc_logout')).toBe(false);
    });
  });

  describe('back-channel logout', () => {
    it('signing out at the provider makes it POST a logout token that ends our session of that sid at once', async () => {
      const { browser, sessionId } = await ssoSession();
      const row = await t.dataSource.getRepository(SessionEntity).findOneByOrFail({ id: sessionId });
      expect(row.oidcSid).toEqual(expect.any(String));
      expect((await me(browser)).status).toBe(200);
      const delivered = op.backchannel.length;
      // The person signs out at the provider itself (another app's logout link, say).
      await confirmAtProvider(browser, `${op.issuer}/session/end`);
      await expect.poll(() => op.backchannel.length, { timeout: 10_000 }).toBeGreaterThan(delivered);
      expect(op.backchannel.at(-1), op.backchannel.at(-1)?.error).toMatchObject({ clientId: 'oidc', sid: row.oidcSid, ok: true });
      expect((await me(browser)).status).toBe(401);
      const revoked = await t.dataSource.getRepository(SessionEntity).findOneByOrFail({ id: sessionId });
      expect(revoked.revokedReason).toBe('backchannel_logout');
    });

    async function post(token: string | undefined, provider = 'oidc') {
      const body = token === undefined ? '' : new URLSearchParams({ logout_token: token }).toString();
      return t.http
        .post(`${backchannelPath(provider)}`)
        .type('form')
        .send(body);
    }

    it('a token naming only sub ends every session of that subject at this provider; a replay of its jti is refused', async () => {
      const subject = account();
      const first = await ssoSession(subject);
      const second = await ssoSession(subject);
      const token = await op.signLogoutToken('oidc', { sub: subject });
      const answer = await post(token);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.headers['cache-control']).toBe('no-store');
      expect((await me(first.browser)).status).toBe(401);
      expect((await me(second.browser)).status).toBe(401);
      const replay = await post(token);
      expect(replay.status).toBe(400);
      expect(replay.body).toEqual({ error: 'invalid_request', error_description: 'Invalid logout token' });
    });

    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    it.each([
      ['another audience', { aud: 'someone-else' }],
      ['an extra audience', { aud: ['oidc', 'someone-else'] }],
      ['another issuer', { iss: 'http://127.0.0.1:9' }],
      ['no events claim', { events: undefined }],
      ['the wrong event', { events: { 'http://schemas.openid.net/event/other': {} } }],
      ['a nonce', { nonce: 'n-0S6_WzA2Mj' }],
      ['neither sid nor sub', { sid: undefined, sub: undefined }],
      ['no jti', { jti: undefined }],
      ['no iat', { iat: undefined }],
      ['an iat 11 minutes old', { iat: Math.floor(Date.now() / 1000) - 660, exp: undefined }],
      ['an expired exp', { exp: Math.floor(Date.now() / 1000) - 120 }],
    ] as Array<[string, Record<string, unknown>]>)('a logout token with %s is refused: 400, sessions untouched', async (_, claims) => {
      const { browser, subject } = await ssoSession();
      const answer = await post(await op.signLogoutToken('oidc', { sub: subject, ...claims }));
      expect(answer.status).toBe(400);
      expect((await me(browser)).status).toBe(200);
    });

    it('tokens not signed by the provider, of another type, or malformed are refused', async () => {
      const { browser, subject } = await ssoSession();
      const claims = { iss: op.issuer, aud: 'oidc', iat: Math.floor(Date.now() / 1000), jti: `j-${subjects}`, sub: subject, events: { [LOGOUT_EVENT]: {} } };
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'test-op-key', typ: 'logout+jwt' }).sign(otherKey);
      const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
      const unsigned = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
      const wrongType = await op.signLogoutToken('oidc', { sub: subject }, { typ: 'at+jwt' });
      for (const token of [forged, unsigned, wrongType, 'garbage', '', 'x'.repeat(20_000)]) {
        expect((await post(token)).status, token.slice(0, 40)).toBe(400);
      }
      expect((await post(undefined)).status).toBe(400);
      expect((await me(browser)).status).toBe(200);
      expect((await post(await op.signLogoutToken('oidc', { sub: subject }), 'nope')).status).toBe(404);
    });

    it('the server clock decides freshness: a token older than 10 minutes by it is refused', async () => {
      const { browser, subject } = await ssoSession();
      const token = await op.signLogoutToken('oidc', { sub: subject, exp: undefined });
      t.clock.advance(601 + 10);
      expect((await post(token)).status).toBe(400);
      t.clock.reset();
      expect((await me(browser)).status).toBe(200);
    });
  });

  // One key set per provider, shared with its logins (OidcClients.keyResolver): the same bound, the
  // same jwks_cooldown, the same keys kept through an outage; an outage is a 503 the provider retries.
  describe("back-channel logout: the provider's keys", () => {
    async function post(token: string, provider: string) {
      return t.http
        .post(backchannelPath(provider))
        .type('form')
        .send(new URLSearchParams({ logout_token: token }).toString());
    }

    function logoutToken(issuer: string, clientId: string, key: SigningKey, claims: Record<string, unknown>): Promise<string> {
      const iat = Math.floor(t.clock.now() / 1000);
      return new SignJWT({ iss: issuer, aud: clientId, iat, jti: randomUUID(), events: { [LOGOUT_EVENT]: {} }, ...claims })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'logout+jwt' })
        .sign(key.privateKey);
    }

    async function revokedReason(sessionId: string): Promise<string | null> {
      return (await t.dataSource.getRepository(SessionEntity).findOneByOrFail({ id: sessionId })).revokedReason;
    }

    /** A session through the rotating provider's sign-in page. */
    async function rotatingSession(subject: string): Promise<string> {
      rotating.accounts.set(subject, { preferred_username: subject, email: `${subject}@idp.test`, email_verified: true });
      const callback = await signIn(jsonClient(), t.url, subject, { provider: 'rotating' });
      expect(callback.status, callback.body).toBe(302);
      const [session] = await t.dataSource.getRepository(SessionEntity).find({ where: { oidcSubject: subject }, order: { createdAt: 'DESC' } });
      return session.id;
    }

    /** A session through a hostile provider, which signs its subject in at once. */
    async function hostileSession(name: keyof typeof hostile): Promise<{ subject: string; sessionId: string }> {
      const h = hostile[name];
      h.reset(`${name}-${++subjects}-${process.pid}`);
      const browser = jsonClient();
      const hops = await browser.follow(loginUrl(t.url, name), (next) => next.origin !== new URL(t.url).origin);
      const callback = await browser.request(hops.at(-1)!.location!);
      expect(callback.status, callback.body).toBe(302);
      const session = await t.dataSource.getRepository(SessionEntity).findOneByOrFail({ oidcSubject: h.subject });
      return { subject: h.subject, sessionId: session.id };
    }

    it('a key rotated at the provider: the logout token is verified with the keys its login path already read again, no second read of the JWKS', async () => {
      const subject = `rotating-${++subjects}-${process.pid}`;
      const before = await rotatingSession(subject);
      await rotating.rotateKeys();
      const reads = rotating.hits('/jwks');
      // The next login's ID token names the new kid: read again at once.
      const after = await rotatingSession(subject);
      expect(rotating.hits('/jwks')).toBe(reads + 1);
      const answer = await post(await rotating.signLogoutToken('rotating', { sub: subject }), 'rotating');
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(rotating.hits('/jwks')).toBe(reads + 1);
      expect([await revokedReason(before), await revokedReason(after)]).toEqual(['backchannel_logout', 'backchannel_logout']);
    });

    it('a key the provider never published: 400 after one read of the JWKS; more unknown kids within jwks_cooldown read nothing', async () => {
      const subject = `rotating-${++subjects}-${process.pid}`;
      const sessionId = await rotatingSession(subject);
      t.clock.advance(31); // past jwks_cooldown (30 s) of any earlier read for an unknown kid
      const reads = rotating.hits('/jwks');
      for (const kid of ['never-published', 'never-published-2', 'test-op-key']) {
        const answer = await post(await logoutToken(rotating.issuer, 'rotating', newSigningKey('RS256', kid), { sub: subject }), 'rotating');
        expect(answer.status, kid).toBe(400);
        expect(answer.body).toEqual({ error: 'invalid_request', error_description: 'Invalid logout token' });
      }
      expect(rotating.hits('/jwks')).toBe(reads + 1);
      expect(await revokedReason(sessionId)).toBeNull();
    });

    it("the JWKS down (503, an HTML page, a dropped connection): held keys keep verifying past their age; a key they lack is 503, nothing ends, and the provider's retry after the outage works", async () => {
      const flaky = hostile.flaky;
      const held = await hostileSession('flaky');
      const hidden = await hostileSession('flaky');
      flaky.failing.set('jwks', 'status');
      t.clock.advance(301); // past the key set's age: read again, the read fails, the held keys stay
      expect((await post(await logoutToken(flaky.issuer, flaky.clientId, flaky.rsaKey, { sub: held.subject }), 'flaky')).status).toBe(200);
      expect(await revokedReason(held.sessionId)).toBe('backchannel_logout');

      // The provider rotated during its outage: its new key cannot be read, so the token cannot be judged.
      const rotated = newSigningKey('RS256', 'key-rotated-in-outage');
      flaky.published = [flaky.rsaKey, rotated];
      const token = await logoutToken(flaky.issuer, flaky.clientId, rotated, { sub: hidden.subject });
      for (const how of ['status', 'html', 'drop'] as const) {
        flaky.failing.set('jwks', how);
        t.clock.advance(31); // past the cooldown of the last failed read
        const reads = flaky.hits.jwks;
        const answer = await post(token, 'flaky');
        expect(answer.status, how).toBe(503);
        expect(answer.body, how).toMatchObject({ error: 'temporarily_unavailable' });
        expect(answer.headers['cache-control'], how).toBe('no-store');
        expect(flaky.hits.jwks, how).toBe(reads + 1);
        // At once again: 503 without asking the provider.
        expect((await post(token, 'flaky')).status, how).toBe(503);
        expect(flaky.hits.jwks, how).toBe(reads + 1);
      }
      expect(await revokedReason(hidden.sessionId)).toBeNull();

      flaky.failing.clear();
      t.clock.advance(31);
      // Its jti was not spent by the refusals: the same token, retried, ends the session.
      expect((await post(token, 'flaky')).status).toBe(200);
      expect(await revokedReason(hidden.sessionId)).toBe('backchannel_logout');
    });

    it('a JWKS answer past the bound (512 KiB) is not read to its end: 503, nothing ends', async () => {
      const padded = hostile.padded;
      const { subject, sessionId } = await hostileSession('padded');
      const rotated = newSigningKey('RS256', 'key-behind-padding');
      padded.published = [padded.rsaKey, rotated];
      padded.failing.set('jwks', 'huge');
      const answer = await post(await logoutToken(padded.issuer, padded.clientId, rotated, { sub: subject }), 'padded');
      expect(answer.status, JSON.stringify(answer.body)).toBe(503);
      expect(await revokedReason(sessionId)).toBeNull();
    });
  });
});
