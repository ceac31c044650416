import { randomUUID } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { SignJWT } from 'jose';
import { AuditEventEntity, SessionEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_NAMES } from '../../libs/fabric-auth/src/fabric-auth.features.js';
import { freePort } from '../support/demo-process.js';
import { FetchBrowser, jsonClient, parseSetCookies } from '../support/oidc/fetch-browser.js';
import { HostileOp, newSigningKey, type SigningKey } from '../support/oidc/hostile-op.js';
import { loginUrl, OIDC_API, signIn } from '../support/oidc/sign-in.js';
import { type OpClient, startTestOp, type TestOp } from '../support/oidc/test-op.js';
import { SAML_API, SamlSide } from '../support/saml/fixtures.js';
import { TestIdp } from '../support/saml/test-idp.js';
import { API, DATABASES, scratchDatabase, type ScratchDatabase, startTestApp, type TestApp } from '../support/test-app.js';
import { auth, ORG_TEST_ROLES, orgWithOwner } from './org-app.js';

const HOST = '127.0.0.1';
const CLIENT_SECRET = 'acme-org-logout-secret-0123456789';

// Issue 23 item 5, for organizations' own connections: the local session ends at POST /auth/logout
// in every case; then SAML SP-initiated single logout where the IdP has a SingleLogoutService, OIDC
// RP-initiated logout where the provider has an end_session_endpoint, and back-channel logout.
describe.each(DATABASES)("logout of a session opened through an organization's connection on %s", (kind) => {
  let t: TestApp;
  /** Another instance on the same database, behind the same public URL: it learns of a revocation through the revocation log. */
  let other: TestApp;
  let database: ScratchDatabase;
  let idp: TestIdp;
  let op: TestOp;
  /** A provider whose JWKS a test breaks. */
  let hostile: HostileOp;
  let saml: SamlSide;
  let admin: string;
  let people = 0;
  /** One OIDC client at the provider per organization connection, registered once the connection has its id. */
  const clients: OpClient[] = [];

  beforeAll(async () => {
    [idp, op, hostile] = await Promise.all([
      TestIdp.start(),
      startTestOp(() => (clients.length > 0 ? [...clients] : [{ client_id: 'none', client_secret: CLIENT_SECRET, redirect_uris: ['http://127.0.0.1:9/unused'] }])),
      new HostileOp().start(),
    ]);
    const port = await freePort();
    database = await scratchDatabase(kind);
    const options = {
      publicBaseUrl: `http://127.0.0.1:${port}`,
      roles: ORG_TEST_ROLES,
      organizations: { enabled: true, ssoConnections: true, ssoConnectionsPrivateNetworks: true },
    };
    const features = [...DEFAULT_FEATURE_NAMES, 'organizations', 'saml'] as const;
    t = await startTestApp(kind, { port, options, features: [...features], sharedDatabase: database });
    other = await startTestApp(kind, { options, features: [...features], sharedDatabase: database });
    saml = new SamlSide(t, idp);
    admin = await t.adminToken();
  });
  afterAll(async () => {
    await Promise.all([t?.close(), other?.close(), idp?.close(), op?.close(), hostile?.close()]);
    await database?.drop();
  });

  const connections = (org: string) => `${API}/orgs/${org}/connections`;
  const me = (token: string | undefined) => t.http.get(`${API}/auth/me`).set('cookie', `access_token=${token}`);

  async function logoutLocally(browser: FetchBrowser) {
    const answer = await browser.request(`${t.url}${API}/auth/logout`, { method: 'POST', headers: { 'x-csrf-token': browser.cookie(HOST, 'csrf_token')! } });
    expect(answer.status, answer.body).toBe(204);
    return answer;
  }

  /** Polls the other instance with `token` until it is refused; returns how long that took. */
  async function refusedElsewhereWithin(token: string, ms: number): Promise<number> {
    const started = Date.now();
    const probe = async () => (await other.http.get(`${API}/auth/me`).set('cookie', `access_token=${token}`)).status;
    let status = await probe();
    while (status !== 401 && Date.now() - started < ms) {
      await new Promise((r) => setTimeout(r, 25));
      status = await probe();
    }
    expect(status).toBe(401);
    return Date.now() - started;
  }

  async function setEnabled(org: { slug: string; owner: { token: string } }, id: string, enabled: boolean): Promise<void> {
    const changed = await t.http
      .patch(`${connections(org.slug)}/${id}`)
      .set(auth(org.owner.token))
      .send({ enabled });
    expect(changed.status).toBe(200);
  }

  describe('SAML', () => {
    async function samlConnection(settings: object = { idp_metadata_url: `${idp.url}/metadata` }) {
      const org = await orgWithOwner(t, admin);
      const created = await t.http.post(connections(org.slug)).set(auth(org.owner.token)).send({ name: 'Acme SAML', protocol: 'saml', saml: settings });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return { org, id: created.body.id as string, view: created.body as { saml: { slo_url: string; metadata_url: string } } };
    }

    async function signedIn(id: string): Promise<{ browser: FetchBrowser; nameId: string; token: string }> {
      const nameId = `leaving-${++people}-${process.pid}`;
      idp.user = { nameId, attributes: {} };
      const browser = new FetchBrowser();
      const acs = await saml.login(browser, `org/${id}`, '/app');
      expect(acs.status, acs.body).toBe(302);
      expect(acs.location).toBe(`${t.url}/app`);
      const token = browser.cookie(HOST, 'access_token')!;
      expect((await me(token)).status).toBe(200);
      return { browser, nameId, token };
    }

    it("logout, then GET /auth/saml/logout: signed out here, and the browser goes to the IdP's SLO with a LogoutRequest for the NameID and SessionIndex; the LogoutResponse at …/org/{id}/slo lands on RelayState", async () => {
      const { id, view } = await samlConnection();
      expect(view.saml.slo_url).toBe(`${t.url}${SAML_API}/org/${id}/slo`);
      expect((await t.http.get(`${SAML_API}/org/${id}/metadata`)).text).toContain(`Location="${t.url}${SAML_API}/org/${id}/slo"`);
      const { browser, nameId, token } = await signedIn(id);
      const session = await t.dataSource.getRepository(SessionEntity).findOneOrFail({ where: { oidcSubject: nameId }, select: { id: true, oidcProvider: true, oidcSid: true } });
      expect(session.oidcProvider).toMatch(/^org:/);

      // The other instance has the session's principal cached; the logout on this one reaches it within 2 s.
      expect((await other.http.get(`${API}/auth/me`).set('cookie', `access_token=${token}`)).status).toBe(200);
      const logout = await logoutLocally(browser);
      expect(parseSetCookies(logout.setCookie).get('fabric_saml_logout')?.attributes).toContain('HttpOnly');
      expect((await me(token)).status).toBe(401);
      expect(await refusedElsewhereWithin(token, 2_000)).toBeLessThanOrEqual(2_000);

      const toIdp = await browser.request(`${t.url}${SAML_API}/logout?return_to=/bye`);
      expect(toIdp.status, toIdp.body).toBe(302);
      const url = new URL(toIdp.location!);
      expect(`${url.origin}${url.pathname}`).toBe(`${idp.url}/slo`);
      expect(url.searchParams.get('RelayState')).toBe('/bye');
      // An organization's connection has no signing_key: the request goes unsigned.
      expect(url.searchParams.has('Signature')).toBe(false);
      const request = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
      expect(request).toContain(`<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${nameId}</saml:NameID>`);
      expect(request).toMatch(new RegExp(`SessionIndex[^>]*>${session.oidcSid}</`));
      expect(request).toContain(`Destination="${idp.url}/slo"`);
      expect(request).toContain(`${t.url}${SAML_API}/org/${id}/metadata</saml:Issuer>`);

      const back = await browser.request(`${t.url}${SAML_API}/org/${id}/slo?SAMLResponse=x&RelayState=${encodeURIComponent('/bye')}`);
      expect(back.status).toBe(302);
      expect(back.location).toBe(`${t.url}/bye`);
      // Once: the marker is spent.
      expect((await browser.request(`${t.url}${SAML_API}/logout`)).location).toBe(`${t.url}/`);
      expect((await me(token)).status).toBe(401);
    });

    it('an IdP without a SingleLogoutService: back to return_to, signed out here all the same', async () => {
      const withoutSlo = idp.metadata().replace(/<[^>]*SingleLogoutService[^>]*>(<\/[^>]*SingleLogoutService>)?/g, '');
      const { id } = await samlConnection({ idp_metadata: withoutSlo });
      const { browser, token } = await signedIn(id);
      await logoutLocally(browser);
      expect((await me(token)).status).toBe(401);
      expect((await browser.request(`${t.url}${SAML_API}/logout?return_to=/bye`)).location).toBe(`${t.url}/bye`);
    });

    it('a connection disabled or deleted between sign-in and logout: the local logout still ends the session, GET /auth/saml/logout lands on return_to, no 500', async () => {
      for (const change of ['disabled', 'deleted', 'disabled after logout'] as const) {
        const { org, id } = await samlConnection();
        const { browser, token } = await signedIn(id);
        if (change === 'disabled') await setEnabled(org, id, false);
        if (change === 'deleted') expect((await t.http.delete(`${connections(org.slug)}/${id}`).set(auth(org.owner.token))).status).toBe(204);
        await logoutLocally(browser);
        expect((await me(token)).status, change).toBe(401);
        if (change === 'disabled after logout') await setEnabled(org, id, false);
        const answer = await browser.request(`${t.url}${SAML_API}/logout?return_to=/bye`);
        expect(answer.status, change).toBe(302);
        expect(answer.location, change).toBe(`${t.url}/bye`);
      }
    });
  });

  describe('OIDC', () => {
    async function oidcConnection(): Promise<{ org: Awaited<ReturnType<typeof orgWithOwner>>; id: string; clientId: string }> {
      const org = await orgWithOwner(t, admin);
      const clientId = `org-logout-${clients.length}-${process.pid}`;
      const created = await t.http
        .post(connections(org.slug))
        .set(auth(org.owner.token))
        .send({ name: 'Acme OIDC', protocol: 'oidc', oidc: { issuer: op.issuer, client_id: clientId, client_secret: CLIENT_SECRET } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const id = created.body.id as string;
      const view = created.body.oidc as { redirect_uri: string; post_logout_redirect_uri: string; backchannel_logout_uri: string };
      expect(view).toMatchObject({
        redirect_uri: `${t.url}${OIDC_API}/org/${id}/callback`,
        post_logout_redirect_uri: `${t.url}/`,
        backchannel_logout_uri: `${t.url}${OIDC_API}/org/${id}/backchannel-logout`,
      });
      // The organization's admin registers what the connection's view names.
      clients.push({
        client_id: clientId,
        client_secret: CLIENT_SECRET,
        redirect_uris: [view.redirect_uri],
        post_logout_redirect_uris: [view.post_logout_redirect_uri],
        backchannel_logout_uri: view.backchannel_logout_uri,
      });
      op.reloadClients();
      return { org, id, clientId };
    }

    async function signedIn(id: string): Promise<{ browser: FetchBrowser; subject: string; token: string; sessionId: string }> {
      const subject = `oidc-leaving-${++people}-${process.pid}`;
      op.accounts.set(subject, { preferred_username: subject, email: `${subject}@idp.test`, email_verified: true });
      const browser = jsonClient();
      const callback = await signIn(browser, t.url, subject, { provider: `org/${id}` });
      expect(callback.status, callback.body).toBe(302);
      const token = browser.cookie(HOST, 'access_token')!;
      expect((await me(token)).status).toBe(200);
      const sessions = await t.dataSource.getRepository(SessionEntity).find({ where: { oidcSubject: subject }, order: { createdAt: 'DESC' } });
      expect(sessions[0].oidcProvider).toMatch(/^org:/);
      return { browser, subject, token, sessionId: sessions[0].id };
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

    const postLogoutToken = (id: string, token: string) =>
      t.http
        .post(`${OIDC_API}/org/${id}/backchannel-logout`)
        .type('form')
        .send(new URLSearchParams({ logout_token: token }).toString());

    it("logout, then GET /auth/oidc/logout: to the provider's end_session_endpoint with id_token_hint and post_logout_redirect_uri, once; the provider's next login asks again", async () => {
      const { id, clientId } = await oidcConnection();
      const { browser, token, sessionId } = await signedIn(id);
      const logout = await logoutLocally(browser);
      expect(parseSetCookies(logout.setCookie).get('fabric_oidc_logout')?.attributes).toContain('HttpOnly');
      expect((await me(token)).status).toBe(401);

      const toProvider = await browser.request(`${t.url}${OIDC_API}/logout?return_to=/bye`);
      expect(toProvider.status, toProvider.body).toBe(302);
      const endSession = new URL(toProvider.location!);
      expect(`${endSession.origin}${endSession.pathname}`).toBe(`${op.issuer}/session/end`);
      expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${t.url}/`);
      expect(endSession.searchParams.get('client_id')).toBe(clientId);
      expect(endSession.searchParams.get('id_token_hint')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      const row = await t.dataSource.getRepository(SessionEntity).findOneOrFail({ where: { id: sessionId }, select: { id: true, oidcIdToken: true } });
      expect(row.oidcIdToken).toBeNull();
      // Once: the marker and the hint are spent.
      expect((await browser.request(`${t.url}${OIDC_API}/logout?return_to=/bye`)).location).toBe(`${t.url}/bye`);

      expect(await confirmAtProvider(browser, endSession.href)).toBe(`${t.url}/`);
      const hops = await browser.follow(loginUrl(t.url, `org/${id}`), (next) => next.origin !== new URL(t.url).origin && !next.pathname.startsWith('/interaction/'));
      expect(new URL(hops.at(-1)!.location!).pathname.startsWith('/interaction/')).toBe(true);
    });

    it('a connection disabled between sign-in and logout: the local logout still ends the session, GET /auth/oidc/logout lands on return_to', async () => {
      const { org, id } = await oidcConnection();
      const { browser, token } = await signedIn(id);
      await setEnabled(org, id, false);
      await logoutLocally(browser);
      expect((await me(token)).status).toBe(401);
      const answer = await browser.request(`${t.url}${OIDC_API}/logout?return_to=/bye`);
      expect(answer.status).toBe(302);
      expect(answer.location).toBe(`${t.url}/bye`);
    });

    it("back-channel: signing out at the provider makes it POST a logout token to the connection's URI, which ends our session of that sid at once", async () => {
      const { id, clientId } = await oidcConnection();
      const { browser, token, sessionId } = await signedIn(id);
      const row = await t.dataSource.getRepository(SessionEntity).findOneByOrFail({ id: sessionId });
      expect(row.oidcSid).toEqual(expect.any(String));
      expect((await other.http.get(`${API}/auth/me`).set('cookie', `access_token=${token}`)).status).toBe(200);
      const delivered = op.backchannel.length;
      await confirmAtProvider(browser, `${op.issuer}/session/end`);
      await expect.poll(() => op.backchannel.length, { timeout: 10_000 }).toBeGreaterThan(delivered);
      expect(op.backchannel.at(-1), op.backchannel.at(-1)?.error).toMatchObject({ clientId, sid: row.oidcSid, ok: true });
      expect((await me(token)).status).toBe(401);
      expect(await refusedElsewhereWithin(token, 2_000)).toBeLessThanOrEqual(2_000);
      expect((await t.dataSource.getRepository(SessionEntity).findOneByOrFail({ id: sessionId })).revokedReason).toBe('backchannel_logout');
      const audited = await t.dataSource.getRepository(AuditEventEntity).findBy({ action: 'oidc.backchannel_logout', outcome: 'success' });
      expect(audited.some((a) => a.details?.provider === row.oidcProvider && a.details?.sessions_revoked === 1)).toBe(true);
    });

    it("back-channel: the connection's checks (its client id, its keys, jti once); another connection's sessions and a disabled connection are out of reach", async () => {
      const first = await oidcConnection();
      const second = await oidcConnection();
      const subject = (await signedIn(first.id)).subject;
      // The same person at the same provider through another organization's connection.
      op.accounts.set(subject, { preferred_username: subject, email: `${subject}@idp.test`, email_verified: true });
      const elsewhere = jsonClient();
      expect((await signIn(elsewhere, t.url, subject, { provider: `org/${second.id}` })).status).toBe(302);
      const elsewhereToken = elsewhere.cookie(HOST, 'access_token')!;
      const sessions = await t.dataSource.getRepository(SessionEntity).find({ where: { oidcSubject: subject }, order: { createdAt: 'ASC' } });
      expect(sessions).toHaveLength(2);

      // A token for the first connection's client, posted to the second's URI: wrong audience there.
      expect((await postLogoutToken(second.id, await op.signLogoutToken(first.clientId, { sub: subject }))).status).toBe(400);
      expect((await me(elsewhereToken)).status).toBe(200);
      const good = await op.signLogoutToken(first.clientId, { sub: subject });
      const answer = await postLogoutToken(first.id, good);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.headers['cache-control']).toBe('no-store');
      const after = await t.dataSource.getRepository(SessionEntity).find({ where: { oidcSubject: subject }, order: { createdAt: 'ASC' } });
      expect(after.map((s) => s.revokedReason)).toEqual(['backchannel_logout', null]);
      expect((await me(elsewhereToken)).status).toBe(200);
      const replay = await postLogoutToken(first.id, good);
      expect(replay.status).toBe(400);
      expect(replay.body).toEqual({ error: 'invalid_request', error_description: 'Invalid logout token' });

      await setEnabled(second.org, second.id, false);
      expect((await postLogoutToken(second.id, await op.signLogoutToken(second.clientId, { sub: subject }))).status).toBe(404);
      expect((await postLogoutToken('00000000-0000-4000-8000-000000000000', good)).status).toBe(404);
      expect((await postLogoutToken('not-a-uuid', good)).status).toBe(404);
      expect((await me(elsewhereToken)).status).toBe(200);
    });

    it("back-channel: the connection's keys are its logins' keys: a key the JWKS outage hides is 503 and nothing ends, a JWKS past the bound too; a key never published is 400; the token the outage held up, retried, ends the session", async () => {
      const org = await orgWithOwner(t, admin);
      const created = await t.http
        .post(connections(org.slug))
        .set(auth(org.owner.token))
        .send({ name: 'Flaky OIDC', protocol: 'oidc', oidc: { issuer: hostile.issuer, client_id: hostile.clientId, client_secret: hostile.clientSecret } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const id = created.body.id as string;
      hostile.reset(`org-flaky-${++people}-${process.pid}`);
      const browser = jsonClient();
      const hops = await browser.follow(loginUrl(t.url, `org/${id}`), (next) => next.origin !== new URL(t.url).origin);
      expect((await browser.request(hops.at(-1)!.location!)).status).toBe(302);
      const session = await t.dataSource.getRepository(SessionEntity).findOneByOrFail({ oidcSubject: hostile.subject });
      const revokedReason = async () => (await t.dataSource.getRepository(SessionEntity).findOneByOrFail({ id: session.id })).revokedReason;
      const sign = (key: SigningKey) =>
        new SignJWT({
          iss: hostile.issuer,
          aud: hostile.clientId,
          iat: Math.floor(Date.now() / 1000),
          jti: randomUUID(),
          sub: hostile.subject,
          events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
        })
          .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'logout+jwt' })
          .sign(key.privateKey);

      const rotated = newSigningKey('RS256', 'key-rotated-in-outage');
      hostile.published = [hostile.rsaKey, rotated];
      const afterOutage = await sign(rotated);
      try {
        hostile.failing.set('jwks', 'drop');
        const down = await postLogoutToken(id, afterOutage);
        expect(down.status).toBe(503);
        expect(down.body).toMatchObject({ error: 'temporarily_unavailable' });
        t.clock.advance(31); // past jwks_cooldown (30 s) of the failed read
        hostile.failing.set('jwks', 'huge');
        const reads = hostile.hits.jwks;
        expect((await postLogoutToken(id, await sign(newSigningKey('RS256', 'key-behind-padding')))).status).toBe(503);
        expect(hostile.hits.jwks).toBe(reads + 1);
        expect(await revokedReason()).toBeNull();

        hostile.failing.clear();
        t.clock.advance(31);
        for (const kid of ['never-published', 'never-published-2']) {
          expect((await postLogoutToken(id, await sign(newSigningKey('RS256', kid)))).status, kid).toBe(400);
        }
        // One read for both unknown kids (the second is within jwks_cooldown of the first).
        expect(hostile.hits.jwks).toBe(reads + 2);
        expect(await revokedReason()).toBeNull();
        // The provider retries the token the outage held up: its key was read with the first unknown kid.
        expect((await postLogoutToken(id, afterOutage)).status).toBe(200);
        expect(await revokedReason()).toBe('backchannel_logout');
      } finally {
        hostile.failing.clear();
        t.clock.reset();
      }
    });
  });
});
