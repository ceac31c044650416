import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IssuerServer, type JwksMode, type Realm, startIssuerServer } from '../support/oidc/issuer-server.js';
import { API, DATABASES, startTestApp, TEST_OPTIONS, type TestApp } from '../support/test-app.js';

const AUDIENCE = 'https://reports.api.test';
const VIEWER = [...TEST_OPTIONS.roles!.viewer].sort();

/** A loopback port nothing listens on: an issuer that is down. */
async function deadOrigin(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((done) => probe.close(() => done()));
  return `http://127.0.0.1:${port}`;
}

describe.each(DATABASES)('tokens of other issuers, as Keycloak, Entra ID and Auth0 issue them, on %s (SEC-106, SEC-107)', (kind) => {
  let issuers: IssuerServer;
  let outage: Realm;
  let keycloak: Realm;
  let auth0: Realm;
  let entra: Realm;
  let strict: Realm;
  let dead: string;
  let t: TestApp;

  beforeAll(async () => {
    issuers = await startIssuerServer();
    outage = issuers.realm('outage');
    keycloak = issuers.realm('keycloak');
    auth0 = issuers.realm('auth0');
    entra = issuers.realm('entra');
    strict = issuers.realm('strict');
    dead = await deadOrigin();
    t = await startTestApp(kind, {
      options: {
        trustedIssuers: [
          { issuer: outage.issuer, audience: AUDIENCE, algorithms: ['RS256'], jwksCooldown: 5 },
          {
            issuer: keycloak.issuer,
            audience: AUDIENCE,
            algorithms: ['RS256'],
            rolesClaim: 'realm_access.roles',
            roleMapping: { reporter: ['viewer'] },
            jwksCooldown: 5,
          },
          { issuer: auth0.issuer, audience: AUDIENCE, algorithms: ['RS256'], rolesClaim: 'https://example.com/roles', roleMapping: { reporter: ['viewer'] } },
          {
            issuer: entra.issuer,
            audience: ['api://reports', '0d4c1f2a-5b6e-4c8d-9e0f-1a2b3c4d5e6f'],
            algorithms: ['RS256'],
            rolesClaim: 'groups',
            roleMapping: { 'f1e2d3c4-reporters': ['viewer'] },
            authorizedParties: ['7a8b9c0d-web-app'],
          },
          {
            issuer: strict.issuer,
            audience: AUDIENCE,
            algorithms: ['RS256'],
            tokenTypes: ['at+jwt'],
            rolesClaim: ['resource_access', 'reports.api', 'roles'],
            roleMapping: { reporter: ['viewer'] },
          },
          { issuer: `${dead}/realms/gone`, audience: AUDIENCE, algorithms: ['RS256'] },
        ],
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await issuers?.close();
  });

  const me = (token: string) => t.http.get(`${API}/auth/me`).set('authorization', `Bearer ${token}`);
  const now = () => Math.floor(t.clock.now() / 1000);
  const claims = (realm: Realm | string, extra: Record<string, unknown> = {}) => {
    const iat = now();
    return { iss: typeof realm === 'string' ? realm : realm.issuer, aud: AUDIENCE, sub: 'job-1', iat, exp: iat + 300, ...extra };
  };
  const expectRefused = async (token: string, why: string) => {
    const res = await me(token);
    expect(res.status, why).toBe(401);
    expect(res.headers['www-authenticate'], why).toBe('Bearer error="invalid_token"');
  };
  const expectUnavailable = async (token: string, why: string) => {
    const res = await me(token);
    expect(res.status, `${why}: ${JSON.stringify(res.body)}`).toBe(503);
    expect(res.headers['www-authenticate'], why).toBeUndefined();
  };

  describe('an issuer whose JWKS is down is a 503, never a 401 (SEC-106)', () => {
    const outages: JwksMode[] = ['503', '500', 'html', 'drop', 'not-a-jwks'];

    it('no keys held yet: each kind of outage answers 503 for a valid token, and the token works once the JWKS is back', async () => {
      try {
        for (const mode of outages) {
          outage.jwksMode = mode;
          t.clock.advance(6); // past jwks_cooldown: a failed read is retried only after it
          const hits = outage.jwksHits();
          await expectUnavailable(await outage.sign(claims(outage)), `JWKS answering ${mode}`);
          expect(outage.jwksHits(), mode).toBe(hits + 1);
        }
        // Within the cooldown after a failure, the issuer is not asked again, and the answer stays 503.
        const hits = outage.jwksHits();
        await expectUnavailable(await outage.sign(claims(outage)), 'within the cooldown');
        expect(outage.jwksHits()).toBe(hits);
        outage.jwksMode = 'ok';
        t.clock.advance(6);
        expect((await me(await outage.sign(claims(outage)))).status).toBe(200);
      } finally {
        outage.jwksMode = 'ok';
        t.clock.reset();
      }
    });

    it('keys held keep verifying through an outage, past their age; a key the outage hides is a 503', async () => {
      try {
        expect((await me(await outage.sign(claims(outage)))).status).toBe(200);
        for (const mode of outages) {
          outage.jwksMode = mode;
          t.clock.advance(11 * 60); // past the key set's age: it is read again, and that read fails
          expect((await me(await outage.sign(claims(outage)))).status, `known key while the JWKS answers ${mode}`).toBe(200);
          const hidden = outage.unpublishedKid();
          t.clock.advance(6);
          await expectUnavailable(await outage.sign(claims(outage), { kid: hidden }), `unknown kid while the JWKS answers ${mode}`);
        }
      } finally {
        outage.jwksMode = 'ok';
        t.clock.reset();
      }
    });

    it('an issuer that is down altogether (discovery refused) is a 503', async () => {
      // Signed by a key of ours: the token is never read that far.
      await expectUnavailable(await outage.sign(claims(`${dead}/realms/gone`)), 'dead issuer');
    });

    it('a rotation is followed at once: one read for the new kid, none for made-up kids within the cooldown', async () => {
      expect((await me(await keycloak.sign(claims(keycloak, { typ: 'Bearer' })))).status).toBe(200);
      keycloak.rotate(true);
      const hits = keycloak.jwksHits();
      expect((await me(await keycloak.sign(claims(keycloak, { typ: 'Bearer' })))).status).toBe(200);
      expect(keycloak.jwksHits()).toBe(hits + 1);
      for (let i = 0; i < 10; i++) await expectRefused(await keycloak.sign(claims(keycloak, { typ: 'Bearer' }), { kid: `made-up-${i}` }), 'made-up kid');
      expect(keycloak.jwksHits()).toBe(hits + 1);
    });
  });

  describe('an ID token is not an access token (SEC-107)', () => {
    const keycloakAccess = (extra: Record<string, unknown> = {}) =>
      claims(keycloak, { typ: 'Bearer', azp: 'reports-web', nonce: 'n-0S6_WzA2Mj', session_state: 's1', realm_access: { roles: ['reporter'] }, ...extra });

    it("Keycloak: its access token (typ Bearer, with the login's nonce) is accepted with its realm roles; its ID token is refused", async () => {
      const res = await me(await keycloak.sign(keycloakAccess()));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ kind: 'external', roles: ['viewer'], permissions: VIEWER });
      await expectRefused(await keycloak.sign(keycloakAccess({ typ: 'ID', at_hash: 'x4DL3nMBbQ' })), 'Keycloak ID token');
      await expectRefused(await keycloak.sign(keycloakAccess({ typ: 'Refresh' })), 'Keycloak refresh token');
      await expectRefused(await keycloak.sign(keycloakAccess({ typ: 'ID' }), { typ: 'at+jwt' }), 'at+jwt header over an ID token');
    });

    it('a token declaring no type is refused when it carries an ID token claim (nonce, at_hash, c_hash)', async () => {
      expect((await me(await auth0.sign(claims(auth0)))).status).toBe(200);
      for (const idClaim of ['nonce', 'at_hash', 'c_hash']) {
        await expectRefused(await auth0.sign(claims(auth0, { [idClaim]: 'abc123' })), `untyped with ${idClaim}`);
        await expectRefused(await auth0.sign(claims(auth0, { [idClaim]: 'abc123' }), { typ: undefined }), `no typ header, ${idClaim}`);
      }
    });

    it('types are read as RFC 9068 writes them; other kinds of token are refused', async () => {
      expect((await me(await auth0.sign(claims(auth0), { typ: 'at+jwt' }))).status).toBe(200);
      expect((await me(await auth0.sign(claims(auth0), { typ: 'application/at+JWT' }))).status).toBe(200);
      expect((await me(await auth0.sign(claims(auth0, { nonce: 'n' }), { typ: 'at+jwt' }))).status).toBe(200);
      for (const typ of ['logout+jwt', 'secevent+jwt', 'dpop+jwt', 'id_token+jwt']) await expectRefused(await auth0.sign(claims(auth0), { typ }), typ);
      await expectRefused(await auth0.sign(claims(auth0), { typ: 7 }), 'typ not a string');
    });

    it('token_types [at+jwt]: only RFC 9068 access tokens', async () => {
      const roles = { resource_access: { 'reports.api': { roles: ['reporter'] }, reports: { roles: ['admin'] } } };
      const res = await me(await strict.sign(claims(strict, roles), { typ: 'at+jwt' }));
      expect(res.status).toBe(200);
      expect(res.body.roles).toEqual(['viewer']);
      await expectRefused(await strict.sign(claims(strict, roles)), 'untyped');
      await expectRefused(await strict.sign(claims(strict, { ...roles, typ: 'Bearer' })), 'Keycloak Bearer');
    });

    it('an iat in the future beyond the clock skew is refused; within it, accepted', async () => {
      expect((await me(await auth0.sign(claims(auth0, { iat: now() + 5 })))).status).toBe(200);
      await expectRefused(await auth0.sign(claims(auth0, { iat: now() + 40, exp: now() + 400 })), 'iat 40 s ahead');
      await expectRefused(await auth0.sign(claims(auth0, { iat: 'yesterday' })), 'iat not a number');
    });
  });

  describe('Entra ID: several audiences, authorized parties, groups overage', () => {
    const entraClaims = (extra: Record<string, unknown> = {}) =>
      claims(entra, { aud: 'api://reports', azp: '7a8b9c0d-web-app', ver: '2.0', scp: 'reports.read', groups: ['f1e2d3c4-reporters'], ...extra });

    it('either configured audience is accepted, another is refused', async () => {
      for (const aud of ['api://reports', '0d4c1f2a-5b6e-4c8d-9e0f-1a2b3c4d5e6f', ['https://graph.microsoft.com', 'api://reports']]) {
        const res = await me(await entra.sign(entraClaims({ aud })));
        expect(res.status, JSON.stringify(aud)).toBe(200);
        expect(res.body.roles).toEqual(['viewer']);
      }
      await expectRefused(await entra.sign(entraClaims({ aud: 'https://graph.microsoft.com' })), 'Graph audience');
    });

    it('azp must be an authorized party (client_id counts when azp is absent)', async () => {
      await expectRefused(await entra.sign(entraClaims({ azp: 'another-app' })), 'azp outside the list');
      await expectRefused(await entra.sign(entraClaims({ azp: undefined })), 'no azp');
      expect((await me(await entra.sign(entraClaims({ azp: undefined, client_id: '7a8b9c0d-web-app' })))).status).toBe(200);
    });

    it('a member of too many groups (_claim_names, hasgroups) is refused rather than let in with no roles', async () => {
      const overage = {
        groups: undefined,
        _claim_names: { groups: 'src1' },
        _claim_sources: { src1: { endpoint: 'https://graph.windows.net/tenant/users/oid/getMemberObjects' } },
      };
      await expectRefused(await entra.sign(entraClaims(overage)), '_claim_names.groups');
      await expectRefused(await entra.sign(entraClaims({ groups: undefined, hasgroups: true })), 'hasgroups');
    });
  });

  describe('claim paths (Auth0 namespaced claims)', () => {
    it('a namespaced claim named by its URL maps roles; a look-alike nested object does not', async () => {
      const res = await me(await auth0.sign(claims(auth0, { 'https://example.com/roles': ['reporter'] })));
      expect(res.body.roles).toEqual(['viewer']);
      const nested = await me(await auth0.sign(claims(auth0, { 'https://example': { 'com/roles': ['reporter'] } })));
      expect(nested.status).toBe(200);
      expect(nested.body.roles).toEqual([]);
    });

    it('a dotted name never reaches a claim of another shape (Keycloak realm_access as a flat key)', async () => {
      const res = await me(await keycloak.sign(claims(keycloak, { typ: 'Bearer', 'realm_access.roles': ['reporter'] })));
      expect(res.status).toBe(200);
      expect(res.body.roles).toEqual([]);
    });
  });
});
