import { AuditEventEntity, SessionEntity, UserEntity, UserIdentityEntity } from 'nestjs-fabric-auth/entities';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_NAMES } from '../../libs/fabric-auth/src/fabric-auth.features.js';
import { freePort } from '../support/demo-process.js';
import { userWithTotp } from '../support/mfa.js';
import { FetchBrowser, type Hop, jsonClient } from '../support/oidc/fetch-browser.js';
import { counts as oidcCounts, expectRefused as expectOidcRefused } from '../support/oidc/refusals.js';
import { authorizeAt, loginUrl, signIn } from '../support/oidc/sign-in.js';
import { startTestOp, type TestOp } from '../support/oidc/test-op.js';
import { selfSignedCertificate } from '../support/saml/certificate.js';
import { counts, expectRefused, SamlSide } from '../support/saml/fixtures.js';
import { TestIdp } from '../support/saml/test-idp.js';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';
import { auth, ORG_TEST_ROLES, orgWithOwner, slug } from './org-app.js';

const CLIENT_ID = 'acme-org-client';
const CLIENT_SECRET = 'acme-org-client-secret-0123456789';

// SPEC §16: a person signs in through an organization's own connection — home-realm discovery,
// its login_url, the IdP, the ACS or callback — on the one account path of configured providers,
// and joins that organization with the org roles the connection maps (never global roles).
describe.each(DATABASES)("signing in through an organization's own connection on %s", (kind) => {
  let t: TestApp;
  let idp: TestIdp;
  let op: TestOp;
  let saml: SamlSide;
  let admin: string;
  let people = 0;
  const redirectUris: string[] = [];

  beforeAll(async () => {
    [idp, op] = await Promise.all([
      TestIdp.start(),
      startTestOp(() => [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: redirectUris.length > 0 ? [...redirectUris] : ['http://127.0.0.1:9/unused'] }]),
    ]);
    const port = await freePort();
    t = await startTestApp(kind, {
      port,
      options: {
        publicBaseUrl: `http://127.0.0.1:${port}`,
        roles: ORG_TEST_ROLES,
        organizations: { enabled: true, ssoConnections: true, ssoConnectionsPrivateNetworks: true },
      },
      features: [...DEFAULT_FEATURE_NAMES, 'organizations', 'saml'],
    });
    saml = new SamlSide(t, idp);
    admin = await t.adminToken();
  });
  afterAll(async () => {
    await Promise.all([t?.close(), idp?.close(), op?.close()]);
  });

  const connections = (org: string) => `${API}/orgs/${org}/connections`;

  /** An organization that verified a domain of its own. */
  async function orgWithDomain(): Promise<Awaited<ReturnType<typeof orgWithOwner>> & { domain: string }> {
    const org = await orgWithOwner(t, admin);
    const domain = `${slug('acme')}.example`;
    expect((await t.http.post(`${API}/orgs/${org.slug}/domains`).set(auth(org.owner.token)).send({ domain })).status).toBe(201);
    expect((await t.http.post(`${API}/orgs/${org.slug}/domains/${domain}/confirm`).set(auth(admin))).status).toBe(200);
    return { ...org, domain };
  }

  async function samlConnection(org: { slug: string; owner: { token: string } }, extra: object = {}): Promise<{ id: string; login_url: string }> {
    const created = await t.http
      .post(connections(org.slug))
      .set(auth(org.owner.token))
      .send({ name: 'Acme SAML', protocol: 'saml', saml: { idp_metadata_url: `${idp.url}/metadata` }, role_claim: 'groups', role_mapping: { 'acme-admins': ['admin'] }, ...extra });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body as { id: string; login_url: string };
  }

  async function discover(email: string, returnTo: string): Promise<string> {
    const answer = await t.http.post(`${API}/auth/sso/discover`).send({ email, return_to: returnTo });
    expect(answer.body.sso, JSON.stringify(answer.body)).toBe(true);
    return answer.body.login_url as string;
  }

  /** login_url → the IdP's SSO page → its auto-posted form to the ACS named in the AuthnRequest. */
  async function samlLoginAt(browser: FetchBrowser, url: string, connectionId: string): Promise<Hop> {
    const start = await browser.request(url);
    expect(start.status, start.body).toBe(302);
    expect(start.location!.startsWith(`${idp.url}/sso?`)).toBe(true);
    const page = await browser.request(start.location!);
    const encoded = /name="SAMLResponse" value="([^"]+)"/.exec(page.body)![1];
    return saml.post(browser, { SAMLResponse: encoded }, `org/${connectionId}`);
  }

  async function me(browser: FetchBrowser): Promise<{ id: string; username: string; email: string | null; roles: string[] }> {
    const answer = await t.http.get(`${API}/auth/me`).set('cookie', `access_token=${browser.cookie('127.0.0.1', 'access_token')}`);
    expect(answer.status).toBe(200);
    return answer.body;
  }

  async function orgRolesOf(org: { slug: string; owner: { token: string } }, username: string): Promise<string[] | undefined> {
    const listed = await t.http.get(`${API}/orgs/${org.slug}/members`).set(auth(org.owner.token));
    expect(listed.status).toBe(200);
    const member = (listed.body.items as Array<{ username: string; roles: string[] }>).find((m) => m.username === username);
    return member?.roles.slice().sort();
  }

  it('SAML: discovery → login_url → IdP → ACS → session; the person joins the organization with the mapped org roles, no global role, audited; the mapping is re-read at the next sign-in', async () => {
    const org = await orgWithDomain();
    const connection = await samlConnection(org);
    const email = `saml-${++people}-${process.pid}@${org.domain}`;
    idp.user = { nameId: email, attributes: { email: [email], groups: ['acme-admins', 'admin'] } };

    const url = await discover(email, '/app');
    expect(url).toBe(`${connection.login_url}?return_to=%2Fapp`);
    const browser = new FetchBrowser();
    const acs = await samlLoginAt(browser, url, connection.id);
    expect(acs.status, acs.body).toBe(302);
    expect(acs.location).toBe(`${t.url}/app`);
    const user = await me(browser);
    // `admin` is also a global role name, and the person is in a group named `admin`: still no global role.
    expect(user).toMatchObject({ email, roles: [] });
    expect(await orgRolesOf(org, user.username)).toEqual(['admin', 'member']);
    const joined = await t.dataSource.getRepository(AuditEventEntity).findBy({ action: 'organization.member.connection_join', targetId: user.id });
    expect(joined).toHaveLength(1);
    expect(joined[0]).toMatchObject({ organizationId: org.id, actorId: user.id });
    expect(joined[0].details).toMatchObject({ connection: connection.id, roles: 'member,admin' });
    // The identity is the connection's: the same issuer and subject elsewhere is another identity.
    const identity = await t.dataSource.getRepository(UserIdentityEntity).findOneByOrFail({ userId: user.id });
    expect(identity.issuer).toMatch(new RegExp(`^urn:fabric:org-connection:${connection.id}:`));
    expect(identity.provider).toMatch(/^org:/);

    // Out of the group at the IdP: the mapped role goes at the next sign-in, membership stays.
    idp.user = { nameId: email, attributes: { email: [email], groups: [] } };
    const again = await samlLoginAt(new FetchBrowser(), connection.login_url, connection.id);
    expect(again.status, again.body).toBe(302);
    expect(await orgRolesOf(org, user.username)).toEqual(['member']);
    expect((await me(browser)).roles).toEqual([]);
  });

  it('OIDC: discovery → login_url → provider → callback → session; the person joins with the mapped org roles and no global role', async () => {
    const org = await orgWithDomain();
    const created = await t.http
      .post(connections(org.slug))
      .set(auth(org.owner.token))
      .send({
        name: 'Acme OIDC',
        protocol: 'oidc',
        oidc: { issuer: op.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET },
        role_claim: 'groups',
        role_mapping: { 'acme-admins': ['admin'] },
      });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    redirectUris.push(`${t.url}${API}/auth/oidc/org/${id}/callback`);
    op.reloadClients();
    const subject = `oidc-${++people}-${process.pid}`;
    const email = `${subject}@${org.domain}`;
    op.accounts.set(subject, { email, email_verified: true, name: 'Olga Org', groups: ['acme-admins'] });

    const url = await discover(email, '/dash');
    expect(url).toBe(loginUrl(t.url, `org/${id}`, '/dash'));
    const browser = new FetchBrowser();
    const callback = await signIn(browser, t.url, subject, { provider: `org/${id}`, returnTo: '/dash' });
    expect(callback.status, callback.body).toBe(302);
    expect(callback.location).toBe(`${t.url}/dash`);
    const user = await me(browser);
    expect(user).toMatchObject({ email, roles: [] });
    expect(await orgRolesOf(org, user.username)).toEqual(['admin', 'member']);
    const session = await t.dataSource.getRepository(SessionEntity).findOneByOrFail({ userId: user.id });
    expect(session.oidcProvider).toMatch(/^org:/);

    // Disabled: its login URL and a callback of a login already at the provider are refused, no session.
    const inFlight = new FetchBrowser();
    const pending = await authorizeAt(inFlight, t.url, subject, { provider: `org/${id}` });
    expect(
      (
        await t.http
          .patch(`${connections(org.slug)}/${id}`)
          .set(auth(org.owner.token))
          .send({ enabled: false })
      ).status,
    ).toBe(200);
    const sessions = await t.dataSource.getRepository(SessionEntity).count();
    const refused = await inFlight.request(pending.callbackUrl);
    expect(refused.status).toBe(404);
    expect(inFlight.cookie('127.0.0.1', 'access_token')).toBeUndefined();
    expect((await jsonClient().request(loginUrl(t.url, `org/${id}`))).status).toBe(404);
    expect(await t.dataSource.getRepository(SessionEntity).count()).toBe(sessions);
  });

  it('the same validation as configured connections: a wrongly signed response to an organization connection is refused with the same code, no session', async () => {
    const org = await orgWithDomain();
    const connection = await samlConnection(org);
    const email = `forged-${++people}-${process.pid}@${org.domain}`;
    idp.user = { nameId: email, attributes: { email: [email] } };
    const name = `org/${connection.id}`;
    for (const [spec, reason] of [
      [{ signer: selfSignedCertificate('attacker.test'), sign: 'both' }, 'invalid_signature'],
      [{ sign: 'none' }, 'invalid_signature'],
      [{ audience: 'https://sp.elsewhere.example' }, 'wrong_audience'],
    ] as const) {
      const browser = jsonClient();
      const { requestId } = await saml.start(browser, name);
      const before = await counts(t);
      const hop = await saml.post(browser, { SAMLResponse: await saml.response(requestId, spec, name) }, name);
      await expectRefused(t, before, hop, 400, reason);
    }
    expect(await orgRolesOf(org, email.split('@')[0])).toBeUndefined();
  });

  it("a disabled or deleted connection is refused, no session; another organization's connection id works only for that connection and is invisible to the other's admin", async () => {
    const org = await orgWithDomain();
    const other = await orgWithDomain();
    const connection = await samlConnection(org);
    const foreign = await samlConnection(other);
    const email = `cross-${++people}-${process.pid}@${org.domain}`;
    idp.user = { nameId: email, attributes: { email: [email], groups: ['acme-admins'] } };

    // Not visible from the other organization, however named.
    expect((await t.http.get(`${connections(other.slug)}/${connection.id}`).set(auth(other.owner.token))).status).toBe(404);
    expect((await t.http.get(`${connections(org.slug)}/${connection.id}`).set(auth(other.owner.token))).status).toBe(404);

    // A login started at one organization's connection cannot finish at another's ACS.
    const browser = jsonClient();
    const { requestId } = await saml.start(browser, `org/${connection.id}`);
    const before = await counts(t);
    const crossed = await saml.post(browser, { SAMLResponse: await saml.response(requestId, {}, `org/${foreign.id}`) }, `org/${foreign.id}`);
    await expectRefused(t, before, crossed, 400, 'state_mismatch');

    // Disabled while the person is at the IdP: the ACS refuses, no session, nobody joins.
    const late = jsonClient();
    const begun = await saml.start(late, `org/${connection.id}`);
    expect(
      (
        await t.http
          .patch(`${connections(org.slug)}/${connection.id}`)
          .set(auth(org.owner.token))
          .send({ enabled: false })
      ).status,
    ).toBe(200);
    const sessions = (await counts(t)).sessions;
    const refused = await saml.post(late, { SAMLResponse: await saml.response(begun.requestId, {}, `org/${connection.id}`) }, `org/${connection.id}`);
    expect(refused.status).toBe(404);
    expect(JSON.parse(refused.body)).toMatchObject({ statusCode: 404, message: 'Unknown SAML connection' });
    expect((await counts(t)).sessions).toBe(sessions);
    expect((await t.http.get(`${API}/auth/saml/org/${connection.id}/login`)).status).toBe(404);
    expect((await t.http.get(`${API}/auth/saml/org/${connection.id}/metadata`)).status).toBe(404);
    expect(await orgRolesOf(org, email.split('@')[0])).toBeUndefined();

    // Enabled again it works; deleted, it is 404 as an id that never was.
    expect(
      (
        await t.http
          .patch(`${connections(org.slug)}/${connection.id}`)
          .set(auth(org.owner.token))
          .send({ enabled: true })
      ).status,
    ).toBe(200);
    expect((await t.http.get(`${API}/auth/saml/org/${connection.id}/metadata`)).status).toBe(200);
    expect((await t.http.delete(`${connections(org.slug)}/${connection.id}`).set(auth(org.owner.token))).status).toBe(204);
    expect((await t.http.get(`${API}/auth/saml/org/${connection.id}/metadata`)).status).toBe(404);
    expect((await t.http.get(`${API}/auth/saml/org/00000000-0000-4000-8000-000000000000/login`)).status).toBe(404);
    expect((await t.http.get(`${API}/auth/saml/org/not-a-uuid/login`)).status).toBe(404);
  });

  it("what is read of the organization's IdP is bounded: a huge discovery document or token answer is a 502, not buffered whole", async () => {
    // The tenant's server: a discovery document and a token answer of 32 MiB, counting what it wrote before we hung up.
    const HUGE = 32 * 1024 * 1024;
    const written = { discovery: 0, token: 0 };
    let hugeDiscovery = true;
    const server: Server = createServer((request, response) => {
      const url = new URL(request.url!, issuer);
      if (url.pathname === '/authorize') {
        const back = new URL(url.searchParams.get('redirect_uri')!);
        back.search = new URLSearchParams({ code: 'c0de', state: url.searchParams.get('state')! }).toString();
        return response.writeHead(302, { location: back.href }).end();
      }
      const which = url.pathname === '/token' ? 'token' : url.pathname === '/.well-known/openid-configuration' ? 'discovery' : undefined;
      if (!which) return response.writeHead(404).end();
      const head = JSON.stringify({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
      });
      response.writeHead(200, { 'content-type': 'application/json' });
      if (which === 'discovery' && !hugeDiscovery) return response.end(head);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      response.write(head.slice(0, -1) + ', "padding": "');
      const pump = () => {
        while (written[which] < HUGE) {
          written[which] += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end('"}');
      };
      pump();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const org = await orgWithOwner(t, admin);
      const created = await t.http
        .post(connections(org.slug))
        .set(auth(org.owner.token))
        .send({ name: 'Huge', protocol: 'oidc', oidc: { issuer, client_id: 'c', client_secret: 's' } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const before = await oidcCounts(t);
      const start = await jsonClient().request(loginUrl(t.url, `org/${created.body.id}`));
      await expectOidcRefused(t, before, start, 502, 'discovery_failed');
      expect(written.discovery).toBeLessThan(8 * 1024 * 1024);

      hugeDiscovery = false;
      const changed = await t.http
        .patch(`${connections(org.slug)}/${created.body.id}`)
        .set(auth(org.owner.token))
        .send({ name: 'Huge token' });
      expect(changed.status).toBe(200);
      const browser = jsonClient();
      const toIdp = await browser.request(loginUrl(t.url, `org/${created.body.id}`));
      expect(toIdp.status, toIdp.body).toBe(302);
      const back = await browser.request(toIdp.location!);
      expect(back.status).toBe(302);
      const afterStart = await oidcCounts(t);
      const callback = await browser.request(back.location!);
      await expectOidcRefused(t, afterStart, callback, 502, 'idp_unreachable');
      expect(written.token).toBeGreaterThan(0);
      expect(written.token).toBeLessThan(8 * 1024 * 1024);
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });

  it("a tenant's IdP linked to an account by its email never stands in for the second factor the account holder enrolled here", async () => {
    const org = await orgWithDomain();
    const connection = await samlConnection(org, { link_verified_email: true });
    // A person with a password and TOTP here, whose verified address is on the organization's domain.
    const victim = await userWithTotp(t);
    const email = `${victim.username}@${org.domain}`;
    await t.dataSource.getRepository(UserEntity).update({ id: victim.userId }, { email, emailVerified: true });
    idp.user = { nameId: `takeover-${++people}`, attributes: { email: [email], groups: ['acme-admins'] } };
    const browser = new FetchBrowser();
    const sessions = await t.dataSource.getRepository(SessionEntity).countBy({ userId: victim.userId });
    const acs = await samlLoginAt(browser, connection.login_url, connection.id);
    // The IdP's word is the first factor: the enrolled TOTP is still asked for, no session yet.
    expect(browser.cookie('127.0.0.1', 'access_token')).toBeUndefined();
    expect(await t.dataSource.getRepository(SessionEntity).countBy({ userId: victim.userId })).toBe(sessions);
    expect(acs.status, acs.body).toBe(302);
    expect(new URLSearchParams(new URL(acs.location!).hash.slice(1)).get('factors')).toContain('totp');
  });

  it("an account holding a global permission is never linked through an organization's connection by its email: account_exists, no session, no identity", async () => {
    const org = await orgWithDomain();
    const connection = await samlConnection(org, { link_verified_email: true });
    // A platform admin (global orgs:manage) whose verified address is on the organization's domain.
    const victim = await t.actor(['platform_admin']);
    const email = `${victim.user.username}@${org.domain}`;
    await t.dataSource.getRepository(UserEntity).update({ id: victim.user.id }, { email, emailVerified: true });
    idp.user = { nameId: `platform-${++people}`, attributes: { email: [email], groups: ['acme-admins'] } };
    const browser = jsonClient();
    const before = await counts(t);
    const identities = await t.dataSource.getRepository(UserIdentityEntity).countBy({ userId: victim.user.id });
    const acs = await samlLoginAt(browser, connection.login_url, connection.id);
    await expectRefused(t, before, acs, 409, 'account_exists');
    expect(browser.cookie('127.0.0.1', 'access_token')).toBeUndefined();
    expect(await t.dataSource.getRepository(UserIdentityEntity).countBy({ userId: victim.user.id })).toBe(identities);
    expect(await orgRolesOf(org, victim.user.username)).toBeUndefined();

    // The same address on an account with no global permission links as before.
    const plain = await t.actor();
    const plainEmail = `${plain.user.username}@${org.domain}`;
    await t.dataSource.getRepository(UserEntity).update({ id: plain.user.id }, { email: plainEmail, emailVerified: true });
    idp.user = { nameId: `plain-${++people}`, attributes: { email: [plainEmail], groups: ['acme-admins'] } };
    const other = new FetchBrowser();
    expect((await samlLoginAt(other, connection.login_url, connection.id)).status).toBe(302);
    expect((await me(other)).id).toBe(plain.user.id);
  });

  it('an email outside the organization’s verified domains is not taken as verified: not stored, not linked to the account holding it', async () => {
    const org = await orgWithDomain();
    const connection = await samlConnection(org, { link_verified_email: true });
    const victim = await t.actor();
    idp.user = { nameId: `outsider-${++people}`, attributes: { email: [victim.user.email!] } };
    const browser = new FetchBrowser();
    const acs = await samlLoginAt(browser, connection.login_url, connection.id);
    expect(acs.status, acs.body).toBe(302);
    const user = await me(browser);
    expect(user.id).not.toBe(victim.user.id);
    expect(user.email).toBeNull();
  });
});
