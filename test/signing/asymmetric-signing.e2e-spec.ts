import { execFile } from 'node:child_process';
import { createDecipheriv, createPrivateKey, generateKeyPairSync, hkdfSync, type KeyObject, sign } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimsFor, decodePayload, forge } from '../support/jwt-forge.js';
import { API, DATABASES, startTestApp, TEST_SECRET, type TestApp } from '../support/test-app.js';

const run = promisify(execFile);
/** Asymmetric signing needs a URL issuer (RFC 8414 §2). */
const ISSUER = 'https://auth.example.test';
const claimsAt = (userId: string, sessionId: string, overrides: Record<string, unknown> = {}) => claimsFor(userId, sessionId, { iss: ISSUER, ...overrides });
const b64 = (v: string | Buffer) => Buffer.from(v).toString('base64url');
const headerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as Record<string, unknown>;

/** Signs like an attacker holding `key` would, with any header. */
function signEd25519(header: Record<string, unknown>, claims: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

/**
 * Opens a stored private key the way SPEC §13 says it is sealed (AES-256-GCM under a key
 * HKDF-derived from secret_key, the kid authenticated), written apart from the library.
 */
function openStoredKey(sealed: string, kid: string, secret = TEST_SECRET): KeyObject {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(secret), Buffer.alloc(0), 'fabric-auth signing-key encryption', 32));
  const [version, body] = sealed.split('.');
  expect(version).toBe('v1');
  const raw = Buffer.from(body, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(kid));
  decipher.setAuthTag(raw.subarray(12, 28));
  const der = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

/** A second service: plain `jose`, in its own process, given nothing but the JWKS URL. */
async function verifyElsewhere(jwksUrl: string, token: string): Promise<{ ok: boolean; out: string }> {
  const script = `
    import { createRemoteJWKSet, jwtVerify } from 'jose';
    const [jwksUrl, token, issuer] = process.argv.slice(1);
    try {
      const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(jwksUrl)), {
        issuer, audience: 'nestjs-fabric-auth',
      });
      console.log(JSON.stringify({ sub: payload.sub, alg: protectedHeader.alg, kid: protectedHeader.kid }));
    } catch (error) {
      console.log('REFUSED ' + error.code);
      process.exitCode = 3;
    }`;
  try {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, jwksUrl, token, ISSUER], { cwd: process.cwd(), timeout: 30_000 });
    return { ok: true, out: stdout.trim() };
  } catch (error) {
    return { ok: false, out: String((error as { stdout?: string }).stdout ?? error).trim() };
  }
}

describe.each(DATABASES)('EdDSA signing with keys kept in the database, on %s (SPEC §13)', (kind) => {
  let t: TestApp;
  let userId: string;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp(kind, { options: { issuer: ISSUER, signing: { algorithm: 'EdDSA' } } });
    const { user, password } = await t.createUser();
    userId = user.id;
    token = (await t.login(user.username, password)).access_token;
  });
  afterAll(async () => t?.close());

  const me = (bearer: string) => t.http.get(`${API}/auth/me`).set('authorization', `Bearer ${bearer}`);
  const jwks = async () => (await t.http.get('/.well-known/jwks.json').expect(200)).body as { keys: Array<Record<string, unknown>> };
  const storedKeys = () =>
    t.dataSource.query<Array<{ kid: string; algorithm: string; private_key: string; retires_at: unknown }>>(
      'SELECT kid, algorithm, private_key, retires_at FROM signing_keys ORDER BY created_at',
    );

  it('signs with EdDSA and a kid that the JWKS publishes, public parts only', async () => {
    const header = headerOf(token);
    expect(header).toEqual({ alg: 'EdDSA', kid: expect.any(String), typ: 'JWT' });
    expect((await me(token)).status).toBe(200);
    const set = await jwks();
    expect(set.keys).toHaveLength(1);
    expect(set.keys[0]).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: header.kid, alg: 'EdDSA', use: 'sig' });
  });

  it('keeps the private key encrypted under a key derived from secret_key', async () => {
    const [row] = await storedKeys();
    expect(row.algorithm).toBe('EdDSA');
    expect(row.private_key).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(row.private_key).not.toContain('PRIVATE KEY');
    // Whoever holds the stored key (and the secret) signs tokens the app accepts: the key is the real one.
    const forged = signEd25519({ alg: 'EdDSA', kid: row.kid, typ: 'JWT' }, claimsAt(userId, decodePayload(token).sid as string), openStoredKey(row.private_key, row.kid));
    expect((await me(forged)).status).toBe(200);
    expect(() => openStoredKey(row.private_key, row.kid, `${TEST_SECRET}x`)).toThrow();
  });

  it('describes the issuer at openid-configuration and oauth-authorization-server, with the port it listens on', async () => {
    // No public_base_url: the URLs come from the port the server listens on, not a constant.
    const base = `http://localhost:${new URL(t.url).port}`;
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const res = await t.http.get(path).expect(200);
      expect(res.body).toMatchObject({
        issuer: ISSUER,
        jwks_uri: `${base}/.well-known/jwks.json`,
        token_endpoint: `${base}/api/v1/auth/token`,
        revocation_endpoint: `${base}/api/v1/auth/revoke`,
        introspection_endpoint: `${base}/api/v1/auth/introspect`,
        grant_types_supported: expect.arrayContaining(['password', 'refresh_token']),
        token_signing_alg_values_supported: ['EdDSA'],
      });
    }
  });

  it('a separate process verifies our token with plain jose and the JWKS URL alone', async () => {
    const result = await verifyElsewhere(`${t.url}/.well-known/jwks.json`, token);
    expect(result.ok).toBe(true);
    expect(JSON.parse(result.out)).toEqual({ sub: userId, alg: 'EdDSA', kid: headerOf(token).kid });
    const tampered = `${token.slice(0, -3)}${token.at(-3) === 'A' ? 'B' : 'A'}${token.slice(-2)}`;
    expect((await verifyElsewhere(`${t.url}/.well-known/jwks.json`, tampered)).ok).toBe(false);
  });

  it('rotation: the new key signs, the old one verifies until its tokens have expired, then retires', async () => {
    const { user, password } = await t.createUser({ roles: ['viewer'] });
    const viewerToken = (await t.login(user.username, password)).access_token;
    expect((await t.http.post(`${API}/signing-keys/rotate`).set('authorization', `Bearer ${viewerToken}`)).status).toBe(403);

    const admin = await t.adminToken();
    const oldKid = headerOf(admin).kid as string;
    const rotated = await t.http.post(`${API}/signing-keys/rotate`).set('authorization', `Bearer ${admin}`).expect(200);
    expect(rotated.body).toMatchObject({ kid: expect.any(String), algorithm: 'EdDSA', status: 'signing' });
    expect(rotated.body.kid).not.toBe(oldKid);

    const listed = await t.http.get(`${API}/signing-keys`).set('authorization', `Bearer ${admin}`).expect(200);
    expect(listed.body.items.map((k: { kid: string; status: string }) => [k.kid, k.status]).sort()).toEqual(
      [
        [rotated.body.kid, 'signing'],
        [oldKid, 'verifying'],
      ].sort(),
    );
    expect(JSON.stringify(listed.body)).not.toContain('private');

    const fresh = (await t.login(user.username, password)).access_token;
    expect(headerOf(fresh).kid).toBe(rotated.body.kid);
    expect((await me(token)).status).toBe(200);
    expect((await me(fresh)).status).toBe(200);
    expect((await jwks()).keys.map((k) => k.kid).sort()).toEqual([rotated.body.kid, oldKid].sort());
    expect((await verifyElsewhere(`${t.url}/.well-known/jwks.json`, fresh)).ok).toBe(true);

    const audit = await t.http.get(`${API}/audit?action=signing_key.rotate`).set('authorization', `Bearer ${admin}`).expect(200);
    expect(audit.body.items.map((e: { target_id: string; actor_name: string }) => [e.target_id, e.actor_name])).toContainEqual([rotated.body.kid, 'admin']);

    // A token the old key signed with a far expiry: accepted while the key verifies, refused once it retired.
    const oldRow = (await storedKeys()).find((k) => k.kid === oldKid)!;
    expect(oldRow.retires_at).not.toBeNull();
    const longLived = signEd25519(
      { alg: 'EdDSA', kid: oldKid, typ: 'JWT' },
      claimsAt(user.id, decodePayload(fresh).sid as string, { exp: Math.floor(Date.now() / 1000) + 7 * 86_400 }),
      openStoredKey(oldRow.private_key, oldKid),
    );
    expect((await me(longLived)).status).toBe(200);
    // 900 s access tokens + 30 s refresh interval + 10 s skew: retired after 940 s.
    t.clock.advance(941);
    try {
      expect((await jwks()).keys.map((k) => k.kid)).toEqual([rotated.body.kid]);
      const res = await me(longLived);
      expect(res.status).toBe(401);
    } finally {
      t.clock.reset();
    }
  });
});

describe('asymmetric token corpus (SEC-01…SEC-04, SEC-07 with EdDSA)', () => {
  let t: TestApp;
  let userId: string;
  let sessionId: string;
  let kid: string;
  let publicPem: string;
  let privateKey: KeyObject;

  beforeAll(async () => {
    const pair = generateKeyPairSync('ed25519');
    privateKey = pair.privateKey;
    publicPem = pair.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    t = await startTestApp('sqlite', {
      options: { issuer: ISSUER, signing: { algorithm: 'EdDSA', keys: [{ kid: 'config-key-1', privateKey: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string }] } },
    });
    const { user, password } = await t.createUser();
    const token = (await t.login(user.username, password)).access_token;
    userId = user.id;
    sessionId = decodePayload(token).sid as string;
    kid = headerOf(token).kid as string;
  });
  afterAll(async () => t?.close());

  const expectRejected = async (token: string) => {
    const res = await t.http.get(`${API}/auth/me`).set('authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  };

  it('uses the configured key and kid, and refuses to rotate a key it does not own', async () => {
    expect(kid).toBe('config-key-1');
    const good = signEd25519({ alg: 'EdDSA', kid, typ: 'JWT' }, claimsAt(userId, sessionId), privateKey);
    expect((await t.http.get(`${API}/auth/me`).set('authorization', `Bearer ${good}`)).status).toBe(200);
    const admin = await t.adminToken();
    const res = await t.http.post(`${API}/signing-keys/rotate`).set('authorization', `Bearer ${admin}`);
    expect(res.status).toBe(409);
  });

  it('alg none, HS256 with the secret, and HS256 with the public key as HMAC secret', async () => {
    for (const alg of ['none', 'None', 'NONE']) await expectRejected(forge({ alg, kid, typ: 'JWT' }, claimsAt(userId, sessionId), ''));
    await expectRejected(forge({ alg: 'HS256', typ: 'JWT' }, claimsAt(userId, sessionId), TEST_SECRET));
    for (const secret of [publicPem, `\n${publicPem}`, ` ${publicPem}`]) {
      await expectRejected(forge({ alg: 'HS256', kid, typ: 'JWT' }, claimsAt(userId, sessionId), secret));
    }
  });

  it('key material named in the header, and kids we never issued', async () => {
    const attacker = generateKeyPairSync('ed25519');
    const jwk = attacker.publicKey.export({ format: 'jwk' });
    await expectRejected(signEd25519({ alg: 'EdDSA', jwk, typ: 'JWT' }, claimsAt(userId, sessionId), attacker.privateKey));
    await expectRejected(signEd25519({ alg: 'EdDSA', kid, jwk, typ: 'JWT' }, claimsAt(userId, sessionId), attacker.privateKey));
    await expectRejected(signEd25519({ alg: 'EdDSA', kid, jku: 'http://127.0.0.1:1/jwks.json' }, claimsAt(userId, sessionId), privateKey));
    await expectRejected(signEd25519({ alg: 'EdDSA', kid, x5u: 'http://127.0.0.1:1/cert' }, claimsAt(userId, sessionId), privateKey));
    for (const bad of ['other', '../../../dev/null', "' OR '1'='1", '', 'x'.repeat(200)]) {
      await expectRejected(signEd25519({ alg: 'EdDSA', kid: bad }, claimsAt(userId, sessionId), privateKey));
    }
    await expectRejected(signEd25519({ alg: 'EdDSA' }, claimsAt(userId, sessionId), privateKey));
    await expectRejected(signEd25519({ alg: 'EdDSA', kid }, claimsAt(userId, sessionId), attacker.privateKey));
    await expectRejected(signEd25519({ alg: 'EdDSA', kid, crit: ['exp'] }, claimsAt(userId, sessionId), privateKey));
  });

  it('tampered payload, stripped signature, wrong iss/aud/typ, expired, odd shapes', async () => {
    const good = signEd25519({ alg: 'EdDSA', kid }, claimsAt(userId, sessionId), privateKey);
    const [h, , s] = good.split('.');
    await expectRejected(`${h}.${b64(JSON.stringify(claimsAt(userId, sessionId, { sub: '00000000-0000-4000-8000-000000000000' })))}.${s}`);
    await expectRejected(`${h}.${good.split('.')[1]}.`);
    for (const overrides of [
      { iss: 'https://evil' },
      { aud: 'other-api' },
      { aud: ['other-api'] },
      { aud: undefined },
      { typ: 'refresh' },
      { exp: Math.floor(Date.now() / 1000) - 61 },
      { nbf: Math.floor(Date.now() / 1000) + 300 },
      { exp: '9999999999' },
    ]) {
      await expectRejected(signEd25519({ alg: 'EdDSA', kid }, claimsAt(userId, sessionId, overrides), privateKey));
    }
    for (const odd of [good.split('.').slice(0, 2).join('.'), `${good}.x`, `${h}.!!!.${s}`, `${b64('not json')}.${good.split('.')[1]}.${s}`]) await expectRejected(odd);
  });

  it('ES256 and RS256 headers are refused by an EdDSA issuer', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const input = `${b64(JSON.stringify({ alg: 'ES256', kid }))}.${b64(JSON.stringify(claimsAt(userId, sessionId)))}`;
    await expectRejected(`${input}.${sign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`);
  });
});

describe.each(['ES256', 'RS256'] as const)('%s signing (keys generated in the database)', (algorithm) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('sqlite', { options: { issuer: ISSUER, signing: { algorithm } } });
  });
  afterAll(async () => t?.close());

  it('issues tokens a second service verifies from the JWKS', async () => {
    const { user, password } = await t.createUser();
    const token = (await t.login(user.username, password)).access_token;
    expect(headerOf(token).alg).toBe(algorithm);
    expect((await t.http.get(`${API}/auth/me`).set('authorization', `Bearer ${token}`)).status).toBe(200);
    const { keys } = (await t.http.get('/.well-known/jwks.json')).body as { keys: Array<Record<string, unknown>> };
    expect(keys).toHaveLength(1);
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(keys[0]).not.toHaveProperty(secret);
    const result = await verifyElsewhere(`${t.url}/.well-known/jwks.json`, token);
    expect(result.ok).toBe(true);
    expect(JSON.parse(result.out)).toMatchObject({ sub: user.id, alg: algorithm });
  });
});

describe('two instances on one PostgreSQL: a rotation on one is honoured by the other', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp('postgres', { options: { issuer: ISSUER, signing: { algorithm: 'EdDSA' } } });
    b = await startTestApp('postgres', { options: { issuer: ISSUER, signing: { algorithm: 'EdDSA' } }, sharedDatabase: a.database });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('a token signed by the new key on A is accepted by B at once; B signs with it after its next reload', async () => {
    const admin = await a.adminToken();
    expect((await b.http.get(`${API}/auth/me`).set('authorization', `Bearer ${admin}`)).status).toBe(200);
    const rotated = await a.http.post(`${API}/signing-keys/rotate`).set('authorization', `Bearer ${admin}`).expect(200);
    const fresh = await a.adminToken();
    expect(headerOf(fresh).kid).toBe(rotated.body.kid);
    expect((await b.http.get(`${API}/auth/me`).set('authorization', `Bearer ${fresh}`)).status).toBe(200);
    expect(headerOf(await b.adminToken()).kid).toBe(rotated.body.kid);
    expect((await b.http.get('/.well-known/jwks.json')).body.keys).toHaveLength(2);
  });
});

describe('signing options', () => {
  it('refuse a key that does not fit the algorithm, a public key, or keys with HS256, naming the key', async () => {
    const { FabricConfigError } = await import('nestjs-fabric-auth');
    const { resolveFabricAuthOptions } = await import('../../libs/fabric-auth/src/options/resolve-options.js');
    const base = { secretKey: TEST_SECRET, systemAdminPassword: 'Adm1n-test-password!', issuer: ISSUER };
    const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const edPublic = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const problems = (signing: unknown) => {
      try {
        resolveFabricAuthOptions({ ...base, signing } as never);
        return [];
      } catch (error) {
        expect(error).toBeInstanceOf(FabricConfigError);
        return (error as InstanceType<typeof FabricConfigError>).problems;
      }
    };
    expect(problems({ algorithm: 'EdDSA', keys: [{ privateKey: rsaPem }] })).toEqual(['auth.signing.keys[0].private_key: EdDSA needs an Ed25519 key']);
    expect(problems({ algorithm: 'EdDSA', keys: [{ privateKey: edPublic }] })).toEqual(['auth.signing.keys[0].private_key: is not a private key (PEM or JWK)']);
    expect(problems({ algorithm: 'HS256', keys: [{ privateKey: rsaPem }] })[0]).toMatch(/^auth\.signing\.keys: only for/);
    expect(problems({ algorithm: 'PS256' })[0]).toMatch(/^auth\.signing\.algorithm: must be one of/);
    expect(problems({ algorithm: 'RS256', keys: [{ privateKey: rsaPem }] })).toEqual([]);
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    expect(
      problems({
        algorithm: 'ES256',
        keys: [
          { kid: 'k1', privateKey: jwk },
          { kid: 'k1', privateKey: JSON.stringify(jwk) },
        ],
      }),
    ).toEqual(['auth.signing.keys[1].kid: "k1" is used twice']);
  });
});
