import { OrganizationSsoConnectionEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_NAMES } from '../../libs/fabric-auth/src/fabric-auth.features.js';
import { KeyEncryption } from '../../libs/fabric-auth/src/core/key-encryption.js';
import { HostileOp } from '../support/oidc/hostile-op.js';
import { TestIdp } from '../support/saml/test-idp.js';
import { API, DATABASES, startTestApp, TEST_SECRET, type TestApp } from '../support/test-app.js';
import { auth, ORG_TEST_ROLES, orgWithOwner, slug } from './org-app.js';

/** An app whose organizations have their own SSO connections (which loads the saml feature); IdPs on loopback allowed. */
function startConnectionsApp(kind: (typeof DATABASES)[number], privateNetworks = true): Promise<TestApp> {
  return startTestApp(kind, {
    options: { roles: ORG_TEST_ROLES, organizations: { enabled: true, ssoConnections: true, ssoConnectionsPrivateNetworks: privateNetworks } },
    features: [...DEFAULT_FEATURE_NAMES, 'organizations', 'saml'],
  });
}

// SPEC §16: /orgs/{org}/connections — an organization's own OIDC and SAML connections, created,
// read, changed, tested and deleted by org:manage holders (or a platform admin), never seen from
// another organization; the OIDC client secret sealed at rest and never answered.
describe.each(DATABASES)('organization SSO connections on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  let op: HostileOp;
  let idp: TestIdp;
  const p = (n: number) => (kind.startsWith('postgres') ? `$${n}` : '?');
  beforeAll(async () => {
    [t, op, idp] = await Promise.all([startConnectionsApp(kind), new HostileOp().start(), TestIdp.start()]);
    admin = await t.adminToken();
  });
  afterAll(async () => {
    await Promise.all([t?.close(), op?.close(), idp?.close()]);
  });

  const connections = (org: string) => `${API}/orgs/${org}/connections`;
  const oidcBody = (extra: object = {}) => ({ name: 'Acme OIDC', protocol: 'oidc', oidc: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret }, ...extra });

  it('creates an OIDC connection: the secret is sealed at rest and never answered; list, read, update and delete, each audited in one transaction', async () => {
    const org = await orgWithOwner(t, admin);
    const created = await t.http
      .post(connections(org.slug))
      .set(auth(org.owner.token))
      .send(oidcBody({ role_claim: 'groups', role_mapping: { 'acme-admins': ['admin'], 'acme-staff': ['member'] } }));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({
      name: 'Acme OIDC',
      protocol: 'oidc',
      enabled: true,
      oidc: { issuer: op.issuer, client_id: op.clientId, client_secret_set: true },
      role_claim: 'groups',
      role_mapping: { 'acme-admins': ['admin'], 'acme-staff': ['member'] },
      jit_provisioning: true,
      link_verified_email: false,
    });
    expect(created.body.login_url).toMatch(new RegExp(`${API}/auth/oidc/org/${id}/login$`));
    expect(JSON.stringify(created.body)).not.toContain(op.clientSecret);

    const [row] = await t.dataSource.query(`SELECT oidc_client_secret FROM organization_sso_connections WHERE id = ${p(1)}`, [id]);
    expect(row.oidc_client_secret).toMatch(/^v1\./);
    expect(row.oidc_client_secret).not.toContain(op.clientSecret);
    expect(Buffer.from(row.oidc_client_secret.slice(3), 'base64url').toString('latin1')).not.toContain(op.clientSecret);

    const listed = await t.http.get(connections(org.slug)).set(auth(org.owner.token));
    expect(listed.body.items).toEqual([created.body]);
    const read = await t.http.get(`${connections(org.slug)}/${id}`).set(auth(org.owner.token));
    expect(read.body).toEqual(created.body);

    // An update without a secret keeps it; the protocol's settings are checked again.
    const renamed = await t.http
      .patch(`${connections(org.slug)}/${id}`)
      .set(auth(org.owner.token))
      .send({ name: 'Renamed', enabled: false, oidc: { issuer: op.issuer, client_id: 'other-client' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Renamed', enabled: false, oidc: { client_id: 'other-client', client_secret_set: true } });
    const [after] = await t.dataSource.query(`SELECT oidc_client_secret FROM organization_sso_connections WHERE id = ${p(1)}`, [id]);
    expect(after.oidc_client_secret).toBe(row.oidc_client_secret);

    expect((await t.http.delete(`${connections(org.slug)}/${id}`).set(auth(org.owner.token))).status).toBe(204);
    expect((await t.http.get(`${connections(org.slug)}/${id}`).set(auth(org.owner.token))).status).toBe(404);
    expect((await t.http.delete(`${connections(org.slug)}/${id}`).set(auth(org.owner.token))).status).toBe(404);
    const events = await t.dataSource.query(`SELECT action FROM audit_events WHERE organization_id = ${p(1)} AND target_id = ${p(2)} ORDER BY occurred_at`, [org.id, id]);
    expect(events.map((e: { action: string }) => e.action)).toEqual(['organization.connection.create', 'organization.connection.update', 'organization.connection.delete']);
  });

  it('tests an OIDC connection against its discovery document, and says what is wrong', async () => {
    const org = await orgWithOwner(t, admin);
    const id = (await t.http.post(connections(org.slug)).set(auth(org.owner.token)).send(oidcBody())).body.id as string;
    const good = await t.http.post(`${connections(org.slug)}/${id}/test`).set(auth(org.owner.token));
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ ok: true, problems: [], idp: { issuer: op.issuer, jwks_uri: expect.stringContaining(op.issuer) } });

    op.discoveryIssuer = 'https://someone-else.example';
    try {
      const lying = await t.http.post(`${connections(org.slug)}/${id}/test`).set(auth(org.owner.token));
      expect(lying.body.ok).toBe(false);
      expect(lying.body.problems[0]).toContain('names the issuer "https://someone-else.example"');
    } finally {
      op.discoveryIssuer = undefined;
    }
    op.failing.set('discovery', 'status');
    try {
      const down = await t.http.post(`${connections(org.slug)}/${id}/test`).set(auth(org.owner.token));
      expect(down.body).toEqual({ ok: false, problems: [expect.stringMatching(/answered 5\d\d$/)] });
    } finally {
      op.failing.delete('discovery');
    }
    // The keys a login verifies ID tokens with: read too, and an unusable set is a problem.
    const jwksReads = op.hits.jwks;
    expect((await t.http.post(`${connections(org.slug)}/${id}/test`).set(auth(org.owner.token))).body.ok).toBe(true);
    expect(op.hits.jwks).toBe(jwksReads + 1);
    op.failing.set('jwks', 'status');
    try {
      const down = await t.http.post(`${connections(org.slug)}/${id}/test`).set(auth(org.owner.token));
      expect(down.body).toMatchObject({ ok: false, problems: [expect.stringMatching(/^The JWKS could not be read: .*answered 5\d\d$/)] });
    } finally {
      op.failing.delete('jwks');
    }
    const published = op.published;
    op.published = [];
    try {
      const empty = await t.http.post(`${connections(org.slug)}/${id}/test`).set(auth(org.owner.token));
      expect(empty.body).toMatchObject({ ok: false, problems: ['The JWKS holds no signing key (RSA, EC or OKP with use sig)'] });
    } finally {
      op.published = published;
    }
  });

  it('a SAML connection from metadata XML or URL: answers the ACS and SP entity id to give the IdP; its test reads the metadata', async () => {
    const org = await orgWithOwner(t, admin);
    const inline = await t.http
      .post(connections(org.slug))
      .set(auth(org.owner.token))
      .send({ name: 'Acme SAML', protocol: 'saml', saml: { idp_metadata: idp.metadata() } });
    expect(inline.status).toBe(201);
    const id = inline.body.id as string;
    expect(inline.body.saml).toEqual({
      idp_metadata_url: null,
      idp_metadata_set: true,
      sp_entity_id: expect.stringMatching(new RegExp(`${API}/auth/saml/org/${id}/metadata$`)),
      acs_url: expect.stringMatching(new RegExp(`${API}/auth/saml/org/${id}/acs$`)),
      metadata_url: expect.stringMatching(new RegExp(`${API}/auth/saml/org/${id}/metadata$`)),
      slo_url: expect.stringMatching(new RegExp(`${API}/auth/saml/org/${id}/slo$`)),
    });
    const tested = await t.http.post(`${connections(org.slug)}/${id}/test`).set(auth(org.owner.token));
    expect(tested.body).toMatchObject({ ok: true, idp: { entity_id: idp.entityId, sso_url: `${idp.url}/sso`, signing_certificates: 1 } });

    const byUrl = await t.http
      .post(connections(org.slug))
      .set(auth(org.owner.token))
      .send({ name: 'By URL', protocol: 'saml', saml: { idp_metadata_url: `${idp.url}/metadata` } });
    expect(byUrl.status).toBe(201);
    const reads = idp.metadataReads;
    const fetched = await t.http.post(`${connections(org.slug)}/${byUrl.body.id}/test`).set(auth(org.owner.token));
    expect(fetched.body).toMatchObject({ ok: true, idp: { entity_id: idp.entityId } });
    expect(idp.metadataReads).toBe(reads + 1);

    const missing = await t.http
      .post(connections(org.slug))
      .set(auth(org.owner.token))
      .send({ name: 'Gone', protocol: 'saml', saml: { idp_metadata_url: `${idp.url}/nothing-here` } });
    const notFound = await t.http.post(`${connections(org.slug)}/${missing.body.id}/test`).set(auth(org.owner.token));
    expect(notFound.body).toEqual({ ok: false, problems: [expect.stringContaining('answered 404')] });
  });

  it('bad settings are 400 and create nothing: the wrong protocol block, missing secret, bad metadata, http URLs, unknown or owner roles, roles beyond the caller', async () => {
    const org = await orgWithOwner(t, admin);
    const manager = await t.actor();
    // A member whose org role holds org:manage but not org:members:manage cannot map to admin (which holds it).
    await t.http
      .post(`${API}/orgs/${org.slug}/roles`)
      .set(auth(org.owner.token))
      .send({ name: 'sso-admin', permissions: ['org:manage'] });
    await t.http
      .post(`${API}/orgs/${org.slug}/members`)
      .set(auth(admin))
      .send({ username: manager.user.username, roles: ['sso-admin'] });
    const refused: Array<[string, object, string | RegExp, number?]> = [
      ['saml block on oidc', oidcBody({ saml: { idp_metadata_url: 'https://idp.example/m' } }), 'takes no saml settings'],
      ['no oidc block', { name: 'x', protocol: 'oidc' }, 'oidc settings'],
      ['no secret', { name: 'x', protocol: 'oidc', oidc: { issuer: op.issuer, client_id: 'c' } }, 'oidc.client_secret is required'],
      ['issuer not a URL', oidcBody({ oidc: { issuer: 'not a url', client_id: 'c', client_secret: 's' } }), 'oidc.issuer is not an absolute URL'],
      ['plain http issuer', oidcBody({ oidc: { issuer: 'http://idp.example', client_id: 'c', client_secret: 's' } }), 'https'],
      ['both metadata kinds', { name: 'x', protocol: 'saml', saml: { idp_metadata: idp.metadata(), idp_metadata_url: `${idp.url}/metadata` } }, 'one of them'],
      ['metadata not XML', { name: 'x', protocol: 'saml', saml: { idp_metadata: 'hello' } }, 'saml.idp_metadata: not readable XML'],
      ['unknown protocol', { name: 'x', protocol: 'ldap' }, 'protocol must be oidc or saml'],
      ['unknown role', oidcBody({ role_mapping: { g: ['nope'] } }), 'Unknown organization roles: nope'],
      ['owner role', oidcBody({ role_mapping: { g: ['owner'] } }), 'never maps to the owner role'],
      ['mapping not a map', oidcBody({ role_mapping: ['admin'] }), /role_mapping must map/],
      ['invisible claim value', oidcBody({ role_mapping: { 'a\u200Bb': ['member'] } }), /role_mapping must map/],
    ];
    for (const [what, body, message] of refused) {
      const answer = await t.http.post(connections(org.slug)).set(auth(org.owner.token)).send(body);
      expect(answer.status, what).toBe(400);
      if (typeof message === 'string') expect(JSON.stringify(answer.body.message), what).toContain(message);
      else expect(JSON.stringify(answer.body.message), what).toMatch(message);
    }
    const beyond = await t.http
      .post(connections(org.slug))
      .set(auth(manager.token))
      .send(oidcBody({ role_mapping: { g: ['admin'] } }));
    expect(beyond.status).toBe(403);
    expect(beyond.body.message).toContain('org:members:manage');
    expect((await t.http.get(connections(org.slug)).set(auth(org.owner.token))).body.items).toEqual([]);
  });

  it('an org:manage holder below the mapped roles cannot repoint or widen a connection that maps them (their own IdP would hand those roles to whoever they choose); renaming and disabling stay open', async () => {
    const org = await orgWithOwner(t, admin);
    const manager = await t.actor();
    await t.http
      .post(`${API}/orgs/${org.slug}/roles`)
      .set(auth(org.owner.token))
      .send({ name: 'sso-admin', permissions: ['org:manage'] });
    await t.http
      .post(`${API}/orgs/${org.slug}/members`)
      .set(auth(admin))
      .send({ username: manager.user.username, roles: ['sso-admin'] });
    const created = await t.http
      .post(connections(org.slug))
      .set(auth(org.owner.token))
      .send(oidcBody({ role_claim: 'groups', role_mapping: { 'acme-admins': ['admin'] } }));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const attempts: Array<[string, object]> = [
      ['own issuer', { oidc: { issuer: `${op.issuer}/`, client_id: 'mine', client_secret: 'mine-secret' } }],
      ['own client', { oidc: { issuer: op.issuer, client_id: 'mine' } }],
      ['other claim', { role_claim: 'email' }],
      ['linking', { link_verified_email: true }],
      ['jit', { jit_provisioning: false }],
    ];
    for (const [what, body] of attempts) {
      const answer = await t.http
        .patch(`${connections(org.slug)}/${id}`)
        .set(auth(manager.token))
        .send(body);
      expect(answer.status, what).toBe(403);
      expect(answer.body.message, what).toContain('org:members:manage');
    }
    const unchanged = await t.http.get(`${connections(org.slug)}/${id}`).set(auth(org.owner.token));
    expect(unchanged.body).toEqual(created.body);
    // Renaming or switching it off hands nobody anything.
    const off = await t.http
      .patch(`${connections(org.slug)}/${id}`)
      .set(auth(manager.token))
      .send({ name: 'Paused', enabled: false });
    expect(off.status).toBe(200);
    expect(
      (
        await t.http
          .patch(`${connections(org.slug)}/${id}`)
          .set(auth(manager.token))
          .send({ enabled: true })
      ).status,
    ).toBe(403);
    expect(
      (
        await t.http
          .patch(`${connections(org.slug)}/${id}`)
          .set(auth(org.owner.token))
          .send({ enabled: true, oidc: { issuer: op.issuer, client_id: 'theirs' } })
      ).status,
    ).toBe(200);
  });

  it("another organization's connection is 404 on every route; a member without org:manage is 403; a platform admin acts on any, audited as such", async () => {
    const a = await orgWithOwner(t, admin);
    const b = await orgWithOwner(t, admin);
    const id = (await t.http.post(connections(a.slug)).set(auth(a.owner.token)).send(oidcBody())).body.id as string;
    const onB = (method: 'get' | 'patch' | 'delete' | 'post', path = '') => t.http[method](`${connections(b.slug)}/${id}${path}`).set(auth(b.owner.token));
    for (const answer of [await onB('get'), await onB('patch').send({ name: 'stolen' }), await onB('post', '/test'), await onB('delete')]) {
      expect(answer.status).toBe(404);
      expect(answer.body.message).toBe('Connection not found');
    }
    expect((await t.http.get(connections(b.slug)).set(auth(b.owner.token))).body.items).toEqual([]);
    expect((await t.http.get(connections(a.slug)).set(auth(b.owner.token))).status).toBe(404);
    const member = await t.actor();
    await t.http
      .post(`${API}/orgs/${a.slug}/members`)
      .set(auth(admin))
      .send({ username: member.user.username, roles: ['admin'] });
    expect((await t.http.get(connections(a.slug)).set(auth(member.token))).status).toBe(403);
    expect((await t.http.get(`${connections(a.slug)}/not-a-uuid`).set(auth(a.owner.token))).status).toBe(404);

    const byAdmin = await t.http
      .patch(`${connections(a.slug)}/${id}`)
      .set(auth(admin))
      .send({ name: 'Fixed by support' });
    expect(byAdmin.status).toBe(200);
    const [event] = await t.dataSource.query(`SELECT details FROM audit_events WHERE organization_id = ${p(1)} AND action = 'organization.connection.update'`, [a.id]);
    expect(event.details).toContain('as_platform_admin');
    expect((await t.http.get(`${connections(a.slug)}/${id}`).set(auth(a.owner.token))).body.name).toBe('Fixed by support');
  });

  it('POST /auth/sso/discover: the login URL for a verified domain with an enabled connection, else {sso:false} alike; the domain normalised; bad emails 400', async () => {
    const org = await orgWithOwner(t, admin);
    const domain = `${slug('sso')}.example`;
    const discover = (email: unknown, returnTo?: string) => t.http.post(`${API}/auth/sso/discover`).send({ email, ...(returnTo ? { return_to: returnTo } : {}) });
    // Nobody claims it, claimed only, verified without a connection: the same answer.
    const nobody = await discover(`alice@${domain}`);
    expect(nobody.status).toBe(200);
    expect(nobody.body).toEqual({ sso: false });
    expect(nobody.headers['cache-control']).toBe('no-store');
    await t.http.post(`${API}/orgs/${org.slug}/domains`).set(auth(org.owner.token)).send({ domain });
    expect((await discover(`alice@${domain}`)).body).toEqual({ sso: false });
    const connection = (await t.http.post(connections(org.slug)).set(auth(org.owner.token)).send(oidcBody())).body;
    expect((await discover(`alice@${domain}`)).body).toEqual({ sso: false });
    await t.http.post(`${API}/orgs/${org.slug}/domains/${domain}/confirm`).set(auth(admin));

    const routed = await discover(`Alice@${domain.toUpperCase()}.`, '/app?x=1');
    expect(routed.status).toBe(200);
    expect(routed.body).toEqual({ sso: true, protocol: 'oidc', login_url: `${connection.login_url}?return_to=%2Fapp%3Fx%3D1` });
    // A disabled connection is not routed to.
    await t.http
      .patch(`${connections(org.slug)}/${connection.id}`)
      .set(auth(org.owner.token))
      .send({ enabled: false });
    expect((await discover(`bob@${domain}`)).body).toEqual({ sso: false });

    for (const bad of ['', 'no-at-sign', `a@b@${domain}`, `bob@ex\u00ADample.com`, `b\u200Bob@${domain}`, `bob@10.0.0.1`, 42, null, 'x'.repeat(400) + `@${domain}`]) {
      expect((await discover(bad)).status, String(bad)).toBe(400);
    }
  });
});

describe('organization SSO connections, private networks not allowed', () => {
  it('an http or private-address IdP is refused, at creation or when tested; the switch off answers 404 on every route', async () => {
    const t = await startConnectionsApp('sqlite/express', false);
    try {
      const admin = await t.adminToken();
      const org = await orgWithOwner(t, admin);
      const body = (issuer: string) => ({ name: 'x', protocol: 'oidc', oidc: { issuer, client_id: 'c', client_secret: 's' } });
      const http = await t.http.post(`${API}/orgs/${org.slug}/connections`).set(auth(org.owner.token)).send(body('http://127.0.0.1:9'));
      expect(http.status).toBe(400);
      expect(http.body.message).toBe('oidc.issuer must be an https URL');
      for (const issuer of ['https://127.0.0.1:9', 'https://10.1.2.3', 'https://169.254.169.254', 'https://[::1]:9', 'https://localhost:9']) {
        const created = await t.http.post(`${API}/orgs/${org.slug}/connections`).set(auth(org.owner.token)).send(body(issuer));
        expect(created.status, issuer).toBe(201);
        const tested = await t.http.post(`${API}/orgs/${org.slug}/connections/${created.body.id}/test`).set(auth(org.owner.token));
        expect(tested.body, issuer).toEqual({ ok: false, problems: [expect.stringContaining('resolves to a private, loopback or link-local address')] });
      }
    } finally {
      await t.close();
    }
    const off = await startTestApp('sqlite/express', {
      options: { roles: ORG_TEST_ROLES, organizations: { enabled: true } },
      features: [...DEFAULT_FEATURE_NAMES, 'organizations'],
    });
    try {
      const admin = await off.adminToken();
      const org = await orgWithOwner(off, admin);
      const listed = await off.http.get(`${API}/orgs/${org.slug}/connections`).set(auth(org.owner.token));
      expect(listed.status).toBe(404);
      expect((await off.http.get(`${API}/orgs/no-such-org/connections`).set(auth(org.owner.token))).body).toEqual(listed.body);
      // The connection routes stay 404: no connection of any organization can be named.
      const row = { id: '9b2d1c4e-2f4a-4c1e-8d7b-3a5f6e7d8c9b' };
      await off.dataSource.getRepository(OrganizationSsoConnectionEntity).insert({
        ...row,
        organizationId: org.id,
        name: 'x',
        protocol: 'oidc',
        enabled: true,
        oidcIssuer: 'https://idp.example',
        oidcClientId: 'c',
        // Sealed as the service seals it: only the switch keeps the connection out of reach.
        oidcClientSecret: new KeyEncryption(TEST_SECRET, 'sso-client-secret').seal(Buffer.from('s'), row.id),
        samlIdpMetadata: null,
        samlIdpMetadataUrl: null,
        roleClaim: null,
        roleMapping: {},
        jitProvisioning: true,
        linkVerifiedEmail: false,
        createdAt: new Date(),
        updatedAt: new Date(),
      });
      expect((await off.http.get(`${API}/auth/oidc/org/${row.id}/login`)).status).toBe(404);
      expect((await off.http.get(`${API}/auth/saml/org/${row.id}/login`)).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
