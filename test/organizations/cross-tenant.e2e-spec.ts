import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, type TestApp } from '../support/test-app.js';
import { startScimApp } from '../scim/scim-app.js';
import { auth, orgWithOwner } from './org-app.js';

const IDP_METADATA =
  '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
  '<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>MIIB</X509Certificate></X509Data></KeyInfo></KeyDescriptor>' +
  '<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/></IDPSSODescriptor></EntityDescriptor>';

/** `refusedWith`: the status every org route answers it with (404, as for an unknown organization, unless said). */
type Credential = { name: string; headers: Record<string, string>; refusedWith?: number };
type Route = { method: string; path: string };

/** A valid body per route, so that a refusal is the organization's and never the body's validation. */
function bodyFor(method: string, path: string, a: { member: string }): object | undefined {
  if (method === 'GET' || method === 'DELETE') return undefined;
  const tail = path.replace(/^.*\{org\}/, '');
  const bodies: Record<string, object> = {
    'PATCH ': { name: 'Taken over' },
    'POST /members': { username: a.member, roles: ['member'] },
    'PATCH /members/{username}': { roles: ['member'] },
    'POST /invitations': { email: 'intruder@example.test', roles: ['member'] },
    'POST /roles': { name: 'intruder', permissions: ['org:audit:read'] },
    'PATCH /roles/{name}': { permissions: ['org:manage'] },
    'POST /service-accounts': { name: 'intruder' },
    'POST /service-accounts/{id}/api-keys': { name: 'intruder' },
    'POST /scim-tokens': { name: 'intruder' },
    'POST /domains': { domain: 'intruder.example' },
    'POST /connections': { name: 'intruder', protocol: 'saml', saml: { idp_metadata: IDP_METADATA } },
    'PATCH /connections/{id}': { name: 'intruder' },
  };
  return bodies[`${method} ${tail}`] ?? {};
}

/**
 * Issue 22 item 3, SPEC §15 "Isolation": every route under /orgs/{org}, as the OpenAPI document
 * lists them (a new route is covered without touching this test), tried against organization B
 * with every credential of organization A and with none. All are refused, a non-member's answer
 * for B's real paths is the one for an organization that does not exist, and B is unchanged.
 * Lists, counts and cursors of A never reach B's rows.
 */
describe.each(DATABASES)('cross-tenant isolation on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  let routes: Route[];
  const a = { slug: '', id: '', owner: '', admin: '', member: '' };
  const b = { slug: '', id: '', member: '', invitation: '', role: 'b-private', serviceAccount: '', key: '', domain: 'b-private.example', connection: '' };
  let credentials: Credential[];
  let bOwnerToken: string;

  beforeAll(async () => {
    // SCIM on too: its token is a credential of organization A, and its routes are org routes to sweep.
    // Organizations' own SSO connections on too (with the saml feature they load): their routes are swept.
    t = await startScimApp(kind, { organizations: true, options: { organizations: { enabled: true, ssoConnections: true } }, moreFeatures: ['saml'] });
    admin = await t.adminToken();
    const document = (await t.http.get('/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(document.paths)
      .filter(([path]) => path.includes('/orgs/{org}'))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => ({ method: method.toUpperCase(), path })));

    const switchTo = async (token: string, organization: string) =>
      (await t.http.post(`${API}/auth/token`).set(auth(token)).type('form').send({ grant_type: 'organization', organization })).body.access_token as string;

    const orgA = await orgWithOwner(t, admin);
    Object.assign(a, { slug: orgA.slug, id: orgA.id, owner: orgA.owner.user.username });
    const aAdmin = await t.actor();
    const aMember = await t.actor();
    a.admin = aAdmin.user.username;
    a.member = aMember.user.username;
    for (const [who, roles] of [
      [a.admin, ['admin']],
      [a.member, ['member']],
    ] as const) {
      expect((await t.http.post(`${API}/orgs/${a.slug}/members`).set(auth(admin)).send({ username: who, roles })).status).toBe(201);
    }
    // Something in A's lists, so that its cursors exist.
    await t.http.post(`${API}/orgs/${a.slug}/invitations`).set(auth(orgA.owner.token)).send({ email: 'a-invitee-1@example.test' });
    await t.http.post(`${API}/orgs/${a.slug}/invitations`).set(auth(orgA.owner.token)).send({ email: 'a-invitee-2@example.test' });
    const ownerKey = await t.http.post(`${API}/users/${a.owner}/api-keys`).set(auth(admin)).send({ name: 'a-owner-key' });
    expect(ownerKey.status).toBe(201);
    // A's own service accounts (two, so that its list has a cursor), one with a key and its client-credentials token.
    const aAccount = await t.http
      .post(`${API}/orgs/${a.slug}/service-accounts`)
      .set(auth(orgA.owner.token))
      .send({ name: 'a-bot', roles: ['admin'] });
    expect(aAccount.status).toBe(201);
    await t.http.post(`${API}/orgs/${a.slug}/service-accounts`).set(auth(orgA.owner.token)).send({ name: 'a-bot-2' });
    const aAccountKey = (await t.http.post(`${API}/orgs/${a.slug}/service-accounts/${aAccount.body.id}/api-keys`).set(auth(orgA.owner.token)).send({ name: 'a-bot-key' })).body
      .key as string;
    const aAccountToken = (await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'client_credentials', client_id: aAccount.body.id, client_secret: aAccountKey }))
      .body.access_token as string;
    expect(aAccountToken).toEqual(expect.any(String));

    const orgB = await orgWithOwner(t, admin);
    Object.assign(b, { slug: orgB.slug, id: orgB.id });
    bOwnerToken = orgB.owner.token;
    const bMember = await t.actor();
    b.member = bMember.user.username;
    expect((await t.http.post(`${API}/orgs/${b.slug}/members`).set(auth(admin)).send({ username: b.member })).status).toBe(201);
    expect(
      (
        await t.http
          .post(`${API}/orgs/${b.slug}/roles`)
          .set(auth(bOwnerToken))
          .send({ name: b.role, permissions: ['org:audit:read'] })
      ).status,
    ).toBe(201);
    const invitation = await t.http.post(`${API}/orgs/${b.slug}/invitations`).set(auth(bOwnerToken)).send({ email: 'b-invitee@example.test' });
    b.invitation = invitation.body.id as string;
    const bAccount = await t.http.post(`${API}/orgs/${b.slug}/service-accounts`).set(auth(bOwnerToken)).send({ name: 'b-bot' });
    b.serviceAccount = bAccount.body.id as string;
    b.key = (await t.http.post(`${API}/orgs/${b.slug}/service-accounts/${b.serviceAccount}/api-keys`).set(auth(bOwnerToken)).send({ name: 'b-bot-key' })).body.id as string;

    expect((await t.http.post(`${API}/orgs/${b.slug}/domains`).set(auth(bOwnerToken)).send({ domain: b.domain })).status).toBe(201);
    const bConnection = await t.http
      .post(`${API}/orgs/${b.slug}/connections`)
      .set(auth(bOwnerToken))
      .send({ name: 'b-idp', protocol: 'saml', saml: { idp_metadata: IDP_METADATA } });
    expect(bConnection.status).toBe(201);
    b.connection = bConnection.body.id as string;

    const aScim = await t.http.post(`${API}/orgs/${a.slug}/scim-tokens`).set(auth(orgA.owner.token)).send({ name: 'a-idp' });
    expect(aScim.status).toBe(201);
    const aScimToken = aScim.body.key as string;

    credentials = [
      { name: 'A owner', headers: auth(orgA.owner.token) },
      { name: 'A owner, acting in A', headers: auth(await switchTo(orgA.owner.token, a.slug)) },
      { name: 'A owner API key', headers: { 'x-api-key': ownerKey.body.key as string } },
      { name: 'A admin', headers: auth(aAdmin.token) },
      { name: 'A admin, acting in A', headers: auth(await switchTo(aAdmin.token, a.slug)) },
      { name: 'A member', headers: auth(aMember.token) },
      { name: 'A member, acting in A', headers: auth(await switchTo(aMember.token, a.slug)) },
      { name: "A's service-account key", headers: { 'x-api-key': aAccountKey } },
      { name: "A's service-account token", headers: auth(aAccountToken) },
      // A SCIM token is refused (401) on every route that is not SCIM's, whichever organization it names.
      { name: "A's SCIM token, as Entra sends it", headers: auth(aScimToken), refusedWith: 401 },
      { name: "A's SCIM token, as X-API-Key", headers: { 'x-api-key': aScimToken }, refusedWith: 401 },
    ];
  });
  afterAll(() => t?.close());

  const fill = (path: string, org: string) =>
    path
      .replace('{org}', org)
      .replace('{username}', b.member)
      .replace('{id}', path.includes('/service-accounts/') ? b.serviceAccount : path.includes('/connections/') ? b.connection : b.invitation)
      .replace('{keyId}', b.key)
      .replace('{name}', b.role)
      .replace('{domain}', b.domain);
  const call = (route: Route, org: string, headers: Record<string, string>) => {
    const request = t.http[route.method.toLowerCase() as 'get'](fill(route.path, org)).set(headers);
    const body = bodyFor(route.method, route.path, a);
    return body === undefined ? request : request.send(body);
  };

  /** What B holds, as its owner reads it. */
  const snapshotOfB = async () => {
    const read = async (path: string) => (await t.http.get(`${API}/orgs/${b.slug}${path}`).set(auth(bOwnerToken))).body;
    const strip = (list: { items: object[] }) => list.items;
    return {
      org: await read(''),
      members: strip(await read('/members')),
      invitations: strip(await read('/invitations')),
      roles: await read('/roles'),
      serviceAccounts: strip(await read('/service-accounts')),
      keys: strip(await read(`/service-accounts/${b.serviceAccount}/api-keys`)),
      domains: strip(await read('/domains')),
      connections: strip(await read('/connections')),
    };
  };

  it('the document lists the org routes', () => {
    expect(routes.length).toBeGreaterThanOrEqual(15);
    expect(routes).toEqual(expect.arrayContaining([{ method: 'DELETE', path: `${API}/orgs/{org}` }]));
  });

  it("B's own owner reads every GET route with the same paths (so a 404 below is the credential's, not the path's)", async () => {
    for (const route of routes.filter((r) => r.method === 'GET')) {
      expect((await call(route, b.slug, auth(bOwnerToken))).status, `${route.method} ${route.path}`).toBe(200);
    }
  });

  it("every org route on B, with every credential of A and with none: refused; a non-member's answer is an unknown organization's", async () => {
    const before = await snapshotOfB();
    const leaks: string[] = [];
    for (const route of routes) {
      const anonymous = await call(route, b.slug, {});
      if (anonymous.status !== 401) leaks.push(`${route.method} ${route.path} without a credential: ${anonymous.status}`);
      for (const credential of credentials) {
        for (const org of [b.slug, b.id]) {
          const onB = await call(route, org, credential.headers);
          const onNone = await call(route, 'no-such-org-anywhere', credential.headers);
          if (onB.status !== (credential.refusedWith ?? 404) || JSON.stringify(onB.body) !== JSON.stringify(onNone.body)) {
            leaks.push(
              `${route.method} ${route.path} as ${credential.name} (${org === b.id ? 'id' : 'slug'}): ${onB.status} ${JSON.stringify(onB.body)} vs ${onNone.status} ${JSON.stringify(onNone.body)}`,
            );
          }
        }
      }
    }
    expect(leaks).toEqual([]);
    expect(await snapshotOfB()).toEqual(before);
  });

  it("A's lists and counts never include B's rows, and A's cursors are refused on B's lists", async () => {
    const [owner] = credentials;
    const orgs = await t.http.get(`${API}/orgs`).set(owner.headers);
    expect(orgs.body.items.map((o: { id: string }) => o.id)).toEqual([a.id]);
    expect(orgs.body.total).toBe(1);
    const members = await t.http.get(`${API}/orgs/${a.slug}/members`).set(owner.headers);
    expect(members.body.items.map((m: { username: string }) => m.username).sort()).toEqual([a.owner, a.admin, a.member].sort());
    expect(members.body.total).toBe(3);
    const roles = await t.http.get(`${API}/orgs/${a.slug}/roles`).set(owner.headers);
    expect(JSON.stringify(roles.body)).not.toContain(b.role);

    for (const list of ['/members', '/invitations', '/service-accounts']) {
      const firstPage = await t.http.get(`${API}/orgs/${a.slug}${list}?limit=1`).set(owner.headers);
      const cursor = firstPage.body.next_cursor as string;
      expect(cursor).toEqual(expect.any(String));
      // B's owner, on B's own list, with A's cursor.
      const onB = await t.http.get(`${API}/orgs/${b.slug}${list}?limit=1&cursor=${cursor}`).set(auth(bOwnerToken));
      expect(onB.status).toBe(400);
      expect(onB.body.message).toMatch(/another list, sort or filter/);
    }
  });
});
