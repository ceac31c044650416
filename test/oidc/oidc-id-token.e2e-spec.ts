import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/demo-process.js';
import { type Hop, jsonClient } from '../support/oidc/fetch-browser.js';
import { callbackPath } from '../support/oidc/fixtures.js';
import { HostileOp, type IdTokenPlan, newSigningKey } from '../support/oidc/hostile-op.js';
import { counts, expectRefused } from '../support/oidc/refusals.js';
import { loginUrl } from '../support/oidc/sign-in.js';
import { DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

const NAMES = ['hostile', 'rotating', 'liar', 'flaky', 'bloated'] as const;
type Name = (typeof NAMES)[number];

describe.each(DATABASES)('ID token, UserInfo and provider failures against a hostile provider on %s (SEC-64…SEC-67, SEC-72)', (kind) => {
  let t: TestApp;
  const ops = {} as Record<Name, HostileOp>;
  let op: HostileOp;

  beforeAll(async () => {
    for (const name of NAMES) ops[name] = await new HostileOp().start();
    const port = await freePort();
    const provider = (name: Name, issuer = ops[name].issuer) => ({
      type: 'oidc' as const,
      issuer,
      clientId: ops[name].clientId,
      clientSecret: ops[name].clientSecret,
      redirectUri: `http://127.0.0.1:${port}${callbackPath(name)}`,
      jitProvisioning: true,
    });
    t = await startTestApp(kind, {
      port,
      options: {
        providers: {
          ...Object.fromEntries(NAMES.map((name) => [name, provider(name)])),
          // Nothing listens on port 9 (discard) of loopback here: discovery cannot connect.
          down: { ...provider('hostile', 'http://127.0.0.1:9') },
        },
      },
    });
    for (const name of NAMES) ops[name].now = () => t.clock.now();
    op = ops.hostile;
  });
  afterAll(async () => {
    await t?.close();
    for (const name of NAMES) await ops[name]?.close();
  });
  beforeEach(() => {
    for (const name of NAMES) ops[name].reset();
  });

  /** A whole login with a fresh browser; the provider signs in at once. */
  async function attempt(provider: string = 'hostile', tamper?: (callback: URL) => void): Promise<{ hops: Hop[]; callback: Hop }> {
    const browser = jsonClient();
    const hops = await browser.follow(loginUrl(t.url, provider), (next) => next.origin !== new URL(t.url).origin);
    const callbackUrl = new URL(hops.at(-1)!.location!);
    tamper?.(callbackUrl);
    const callback = await browser.request(callbackUrl.href);
    return { hops: [...hops, callback], callback };
  }

  it("a valid RS256 ID token logs in, and none of the provider's tokens reaches the browser (SEC-72)", async () => {
    const { hops, callback } = await attempt();
    expect(callback.status, callback.body).toBe(302);
    expect(op.issued.length).toBeGreaterThan(0);
    for (const hop of hops) {
      const visible = [hop.url, hop.location ?? '', hop.body, ...hop.setCookie].join('\n');
      for (const token of op.issued) expect(visible).not.toContain(token);
    }
  });

  it('a valid ES256 ID token logs in', async () => {
    op.signingKey = op.ecKey;
    expect((await attempt()).callback.status).toBe(302);
  });

  it('an ID token without kid is accepted when the JWKS holds a single key of its type', async () => {
    op.idToken = { header: { kid: undefined } };
    expect((await attempt()).callback.status).toBe(302);
  });

  it('PKCE: the authorization request carries a fresh S256 challenge and the token request its verifier', async () => {
    await attempt();
    await attempt();
    const [first, second] = op.authorizationRequests.slice(-2);
    for (const request of [first, second]) {
      expect(request.get('code_challenge_method')).toBe('S256');
      expect(request.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(request.get('nonce')).toBeTruthy();
      expect(request.get('state')).toBeTruthy();
    }
    expect(first.get('code_challenge')).not.toBe(second.get('code_challenge'));
    expect(first.get('nonce')).not.toBe(second.get('nonce'));
    expect(op.tokenRequests.at(-1)!.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
  });

  const invalidTokens: Array<[string, () => IdTokenPlan]> = [
    ['another issuer', () => ({ claims: () => ({ iss: 'https://evil.example' }) })],
    ['another audience', () => ({ claims: () => ({ aud: 'other-client' }) })],
    ['no audience', () => ({ claims: () => ({ aud: undefined }) })],
    ['an extra untrusted audience', () => ({ claims: () => ({ aud: [op.clientId, 'other-client'], azp: op.clientId }) })],
    ['azp naming another client', () => ({ claims: () => ({ azp: 'other-client' }) })],
    ['an expired exp', () => ({ claims: (now) => ({ exp: now - 120, iat: now - 600 }) })],
    ['no iat', () => ({ claims: () => ({ iat: undefined }) })],
    ['no sub', () => ({ claims: () => ({ sub: undefined }) })],
    ['another nonce', () => ({ claims: () => ({ nonce: 'not-the-one-we-sent' }) })],
    ['no nonce', () => ({ claims: () => ({ nonce: undefined }) })],
    ['a corrupted RS256 signature', () => ({ signature: 'corrupt' })],
    ['alg none', () => ({ signature: 'none' })],
    ['alg None', () => ({ signature: 'none', header: { alg: 'None' } })],
    ['alg NONE', () => ({ signature: 'none', header: { alg: 'NONE' } })],
    ['HS256 signed with the client secret', () => ({ signature: { hs256: op.clientSecret } })],
    ['a key that is not in the JWKS (unknown kid)', () => ({ signature: { key: newSigningKey('RS256', 'rogue-key') } })],
    ['another key under the published kid', () => ({ signature: { key: newSigningKey('RS256', op.signingKey.kid) } })],
  ];

  it.each(invalidTokens)('an ID token with %s is refused: 400, no user, no session, audited', async (_, plan) => {
    op.idToken = plan();
    const before = await counts(t);
    const { callback } = await attempt();
    await expectRefused(t, before, callback, 400, 'invalid_id_token');
  });

  it('a corrupted ES256 signature is refused', async () => {
    op.signingKey = op.ecKey;
    op.idToken = { signature: 'corrupt' };
    const before = await counts(t);
    await expectRefused(t, before, (await attempt()).callback, 400, 'invalid_id_token');
  });

  it('an ID token without kid is refused when the JWKS holds several keys of its type', async () => {
    op.published = [op.rsaKey, newSigningKey('RS256', 'key-2')];
    // Past the JWKS cache's 5-minute lifetime, so the second key is seen.
    t.clock.advance(301);
    op.idToken = { header: { kid: undefined } };
    const before = await counts(t);
    await expectRefused(t, before, (await attempt()).callback, 400, 'invalid_id_token');
  });

  it('a token response without an ID token is refused', async () => {
    op.tokenAnswer = { status: 200, body: { access_token: 'hostile-at-no-id-token', token_type: 'Bearer', expires_in: 60 } };
    const before = await counts(t);
    await expectRefused(t, before, (await attempt()).callback, 400, 'invalid_id_token');
  });

  it("an ID token replayed into another login is refused (its nonce is not this login's) (SEC-65)", async () => {
    expect((await attempt()).callback.status).toBe(302);
    op.idToken = { verbatim: op.lastIdToken! };
    const before = await counts(t);
    await expectRefused(t, before, (await attempt()).callback, 400, 'invalid_id_token');
  });

  it('UserInfo naming another subject is refused (SEC-67)', async () => {
    op.userinfo = { sub: 'somebody-else' };
    const before = await counts(t);
    await expectRefused(t, before, (await attempt()).callback, 400, 'userinfo_invalid');
  });

  it('a code the provider rejects (invalid_grant) is a 400', async () => {
    op.tokenAnswer = { status: 400, body: { error: 'invalid_grant', error_description: '<script>alert(1)</script>' } };
    const before = await counts(t);
    const { callback } = await attempt();
    await expectRefused(t, before, callback, 400, 'code_rejected');
    expect(callback.body).not.toContain('<script>');
  });

  it('a provider that rejects the PKCE verifier fails the login cleanly (SEC-64)', async () => {
    op.refuseVerifier = true;
    const before = await counts(t);
    await expectRefused(t, before, (await attempt()).callback, 400, 'code_rejected');
  });

  it('an iss response parameter naming another issuer is refused before any token request (RFC 9207, SEC-71)', async () => {
    const before = await counts(t);
    const tokenHits = op.hits.token;
    const { callback } = await attempt('hostile', (url) => url.searchParams.set('iss', 'https://evil.example'));
    await expectRefused(t, before, callback, 400, 'issuer_mismatch');
    expect(op.hits.token).toBe(tokenHits);
  });

  it('an error from the provider is a 400 that does not reflect its description', async () => {
    const before = await counts(t);
    const tokenHits = op.hits.token;
    const { callback } = await attempt('hostile', (url) => {
      url.searchParams.delete('code');
      url.searchParams.set('error', 'access_denied');
      url.searchParams.set('error_description', '<img src=x onerror=alert(1)>');
    });
    await expectRefused(t, before, callback, 400, 'idp_error');
    expect(callback.body).not.toContain('onerror');
    expect(op.hits.token).toBe(tokenHits);
  });

  it('discovery naming another issuer refuses the provider with a 502 (SEC-67)', async () => {
    ops.liar.discoveryIssuer = 'https://evil.example';
    const before = await counts(t);
    const login = await jsonClient().request(loginUrl(t.url, 'liar'));
    await expectRefused(t, before, login, 502, 'discovery_failed');
  });

  it('an unreachable provider is a 502 at login', async () => {
    const before = await counts(t);
    const login = await jsonClient().request(loginUrl(t.url, 'down'));
    await expectRefused(t, before, login, 502, 'discovery_failed');
  });

  it('a provider whose token, JWKS or UserInfo endpoint is down is a 502 (SEC-78)', async () => {
    const flaky = ops.flaky;
    for (const [endpoint, how] of [
      ['jwks', 'status'],
      ['token', 'status'],
      ['token', 'drop'],
      ['userinfo', 'drop'],
    ] as const) {
      flaky.failing.clear();
      flaky.failing.set(endpoint, how);
      // A failed JWKS read is not retried within jwks_cooldown: step past it, or the next case fails on the keys before reaching its endpoint.
      t.clock.advance(31);
      const reached = flaky.hits[endpoint];
      const before = await counts(t);
      const { callback } = await attempt('flaky');
      await expectRefused(t, before, callback, 502, 'idp_unreachable');
      expect(flaky.hits[endpoint], `${endpoint} ${how}`).toBe(reached + 1);
    }
  });

  it("a provider's answer past 1 MiB (discovery, token, UserInfo) is not read to its end: 502, as a provider down", async () => {
    const bloated = ops.bloated;
    bloated.failing.set('discovery', 'huge');
    let before = await counts(t);
    await expectRefused(t, before, await jsonClient().request(loginUrl(t.url, 'bloated')), 502, 'discovery_failed');
    bloated.failing.clear();
    expect((await attempt('bloated')).callback.status).toBe(302);
    for (const endpoint of ['token', 'userinfo'] as const) {
      bloated.failing.clear();
      bloated.failing.set(endpoint, 'huge');
      const reached = bloated.hits[endpoint];
      before = await counts(t);
      await expectRefused(t, before, (await attempt('bloated')).callback, 502, 'idp_unreachable');
      expect(bloated.hits[endpoint], endpoint).toBe(reached + 1);
    }
  });

  describe('signing-key rotation', () => {
    it('keys held keep verifying while the JWKS is down, past their age; a key the outage hides is provider_unavailable (SEC-106)', async () => {
      const flaky = ops.flaky;
      try {
        t.clock.advance(31); // past any earlier failed read's cooldown
        expect((await attempt('flaky')).callback.status).toBe(302);
        for (const how of ['status', 'drop'] as const) {
          flaky.failing.set('jwks', how);
          t.clock.advance(301); // past the key set's age: read again, and the read fails
          const reads = flaky.hits.jwks;
          // A slow token endpoint: the keys handed to openid-client stay fresh enough for it through the whole login.
          flaky.tokenDelayMs = 1_500;
          expect((await attempt('flaky')).callback.status, how).toBe(302);
          flaky.tokenDelayMs = 0;
          expect(flaky.hits.jwks, how).toBe(reads + 1);
          flaky.signingKey = newSigningKey('RS256', `key-hidden-${how}`);
          const before = await counts(t);
          await expectRefused(t, before, (await attempt('flaky')).callback, 502, 'idp_unreachable');
          flaky.signingKey = flaky.rsaKey;
        }
      } finally {
        t.clock.reset();
      }
    });

    it('reads the JWKS at once for a new kid and logs in; unknown kids within jwks_cooldown cost no fetch (SEC-67)', async () => {
      const rotating = ops.rotating;
      expect((await attempt('rotating')).callback.status).toBe(302);
      const fetches = rotating.hits.jwks;
      rotating.signingKey = newSigningKey('RS256', 'key-rotated');
      rotating.published = [rotating.signingKey];
      // The provider rotated (old key gone): the very next login reads the new keys.
      expect((await attempt('rotating')).callback.status).toBe(302);
      expect(rotating.hits.jwks).toBe(fetches + 1);
      // Within jwks_cooldown (30 s) of that read, a flood of logins with an unknown kid costs no JWKS fetch.
      rotating.signingKey = newSigningKey('RS256', 'key-unpublished');
      for (let i = 0; i < 3; i++) {
        const before = await counts(t);
        await expectRefused(t, before, (await attempt('rotating')).callback, 400, 'invalid_id_token');
      }
      expect(rotating.hits.jwks).toBe(fetches + 1);
      rotating.published = [rotating.signingKey];
      t.clock.advance(31);
      try {
        expect((await attempt('rotating')).callback.status).toBe(302);
        expect(rotating.hits.jwks).toBe(fetches + 2);
      } finally {
        t.clock.reset();
      }
    });
  });
});
