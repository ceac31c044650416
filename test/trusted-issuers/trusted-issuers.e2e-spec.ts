import { createHash, createHmac, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResourceOp, type ResourceOp } from '../support/oidc/resource-op.js';
import { API, DATABASES, databaseOf, startTestApp, TEST_OPTIONS, type TestApp } from '../support/test-app.js';

const b64 = (v: string | Buffer) => Buffer.from(v).toString('base64url');
const AUDIENCE = 'https://reports.api.test';
const headerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as Record<string, unknown>;

/** An issuer we control completely: discovery, a JWKS, and its private keys to sign anything. */
interface HostileIssuer {
  issuer: string;
  rsa: KeyObject;
  rsaPublicPem: string;
  rsaPublicJwk: Record<string, unknown>;
  ec: KeyObject;
  jwksHits(): number;
  close(): Promise<void>;
}

async function startHostileIssuer(kidPrefix: string): Promise<HostileIssuer> {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let hits = 0;
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/.well-known/openid-configuration') {
      return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks.json` }));
    }
    if (path === '/jwks.json') {
      hits++;
      return void response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          keys: [
            { ...rsa.publicKey.export({ format: 'jwk' }), kid: `${kidPrefix}-rsa`, use: 'sig', alg: 'RS256' },
            { ...ec.publicKey.export({ format: 'jwk' }), kid: `${kidPrefix}-ec`, use: 'sig', alg: 'ES256' },
          ],
        }),
      );
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    rsa: rsa.privateKey,
    rsaPublicPem: rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string,
    rsaPublicJwk: rsa.publicKey.export({ format: 'jwk' }),
    ec: ec.privateKey,
    jwksHits: () => hits,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

function signed(header: Record<string, unknown>, claims: Record<string, unknown>, key: KeyObject | Buffer | string): string {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
  const alg = header.alg as string;
  let signature: Buffer;
  if (alg.startsWith('HS')) signature = createHmac('sha256', key).update(input).digest();
  else if (alg === 'ES256') signature = sign('sha256', Buffer.from(input), { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
  else signature = sign('sha256', Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

describe.each(DATABASES)('resource-server mode against a real oidc-provider on %s (SPEC §13)', (kind) => {
  let op: ResourceOp;
  let linkedOp: ResourceOp;
  let mailOp: ResourceOp;
  let t: TestApp;

  beforeAll(async () => {
    op = await startResourceOp(['reports-job', 'plain-job'], [AUDIENCE, 'https://other.api.test']);
    linkedOp = await startResourceOp(['linked-job'], [AUDIENCE]);
    mailOp = await startResourceOp(['mail-job'], [AUDIENCE]);
    op.claims.set('reports-job', { roles: ['reporter', 'unmapped'] });
    t = await startTestApp(kind, {
      options: {
        trustedIssuers: [
          { issuer: op.issuer, audience: AUDIENCE, algorithms: ['RS256'], rolesClaim: 'roles', roleMapping: { reporter: ['viewer'] }, jwksCooldown: 1 },
          { issuer: linkedOp.issuer, audience: AUDIENCE, algorithms: ['RS256'], link: 'by_subject' },
          { issuer: mailOp.issuer, audience: AUDIENCE, algorithms: ['RS256'], link: 'by_verified_email' },
        ],
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await op?.close();
    await linkedOp?.close();
    await mailOp?.close();
  });

  const me = (token: string) => t.http.get(`${API}/auth/me`).set('authorization', `Bearer ${token}`);

  it('accepts the JWT access token the issuer minted for our audience, as an external principal with mapped roles', async () => {
    const token = await op.token('reports-job');
    expect(headerOf(token)).toMatchObject({ alg: 'RS256', kid: 'op-key-1' });
    const res = await me(token).expect(200);
    expect(res.body).toMatchObject({
      kind: 'external',
      id: `external:${createHash('sha256').update(`${op.issuer}#reports-job`).digest('base64url')}`,
      username: 'reports-job',
      roles: ['viewer'],
      permissions: [...TEST_OPTIONS.roles!.viewer].sort(),
      is_system_admin: false,
      auth_method: 'jwt',
    });
    expect((await t.http.get(`${API}/users`).set('authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await t.http.post(`${API}/users`).set('authorization', `Bearer ${token}`).send({ username: 'x', email: 'x@example.test' })).status).toBe(403);
  });

  it('a token without mapped roles authenticates but holds nothing; another audience is a 401', async () => {
    const plain = await op.token('plain-job');
    expect((await me(plain).expect(200)).body.permissions).toEqual([]);
    expect((await t.http.get(`${API}/users`).set('authorization', `Bearer ${plain}`)).status).toBe(403);
    const elsewhere = await op.token('plain-job', 'https://other.api.test');
    expect((await me(elsewhere)).status).toBe(401);
  });

  it("follows the issuer's key rotation: one JWKS fetch for the new kid, old tokens keep working", async () => {
    const before = await op.token('reports-job');
    expect((await me(before)).status).toBe(200);
    op.rotateKeys();
    const after = await op.token('reports-job');
    expect(headerOf(after).kid).toBe('op-key-2');
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past jwks_cooldown (1 s) since the last fetch
    const fetches = op.hits('/jwks');
    expect((await me(after)).status).toBe(200);
    expect(op.hits('/jwks')).toBe(fetches + 1);
    expect((await me(before)).status).toBe(200);
    expect((await me(after)).status).toBe(200);
    expect(op.hits('/jwks')).toBe(fetches + 1);
  });

  it('link by_subject: the local user linked to (issuer, subject), with its own permissions; deactivation bites at once', async () => {
    const unlinked = await linkedOp.token('linked-job');
    expect((await me(unlinked)).status).toBe(401);
    const { user } = await t.createUser({ roles: ['auditor'] });
    await t.dataSource.query(
      databaseOf(kind) === 'postgres'
        ? 'INSERT INTO user_identities (id, user_id, provider, issuer, subject, email, created_at) VALUES ($1, $2, $3, $4, $5, NULL, now())'
        : "INSERT INTO user_identities (id, user_id, provider, issuer, subject, email, created_at) VALUES (?, ?, ?, ?, ?, NULL, datetime('now'))",
      [randomUUID(), user.id, 'corp', linkedOp.issuer, 'linked-job'],
    );
    const token = await linkedOp.token('linked-job');
    expect((await me(token).expect(200)).body).toMatchObject({ kind: 'user', id: user.id, username: user.username, permissions: ['audit:read'] });
    const admin = await t.adminToken();
    await t.http.post(`${API}/users/${user.username}/deactivate`).set('authorization', `Bearer ${admin}`).expect(200);
    expect((await me(token)).status).toBe(401);
  });

  it('link by_verified_email: only when both the issuer and the local account verified the email, never the system admin', async () => {
    const { user } = await t.createUser({ roles: ['auditor'] });
    const p = (n: number) => (databaseOf(kind) === 'postgres' ? `$${n}` : '?');
    const verify = (id: string, verified: boolean) => t.dataSource.query(`UPDATE users SET email_verified = ${p(1)} WHERE id = ${p(2)}`, [verified, id]);
    mailOp.claims.set('mail-job', { email: user.email, email_verified: true });
    await verify(user.id, false);
    expect((await me(await mailOp.token('mail-job'))).status).toBe(401);
    await verify(user.id, true);
    expect((await me(await mailOp.token('mail-job')).expect(200)).body).toMatchObject({ kind: 'user', id: user.id, permissions: ['audit:read'] });
    mailOp.claims.set('mail-job', { email: user.email, email_verified: false });
    expect((await me(await mailOp.token('mail-job'))).status).toBe(401);
    mailOp.claims.set('mail-job', { email: user.email });
    expect((await me(await mailOp.token('mail-job'))).status).toBe(401);
    const [admin] = await t.dataSource.query<Array<{ id: string; email: string | null }>>(
      `SELECT id, email FROM users WHERE is_system_admin = ${databaseOf(kind) === 'postgres' ? 'true' : '1'}`,
    );
    await t.dataSource.query(`UPDATE users SET email = ${p(1)} WHERE id = ${p(2)}`, ['root@example.test', admin.id]);
    await verify(admin.id, true);
    mailOp.claims.set('mail-job', { email: 'root@example.test', email_verified: true });
    expect((await me(await mailOp.token('mail-job'))).status).toBe(401);
  });
});

describe('a hostile issuer (SEC-96)', () => {
  let hostile: HostileIssuer;
  let other: HostileIssuer;
  let listener: Server;
  let listenerHits = 0;
  let listenerUrl: string;
  let t: TestApp;

  beforeAll(async () => {
    hostile = await startHostileIssuer('hostile');
    other = await startHostileIssuer('other');
    listener = createServer((_, res) => {
      listenerHits++;
      res.end('{"keys":[]}');
    });
    await new Promise<void>((done) => listener.listen(0, '127.0.0.1', done));
    listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/jwks.json`;
    t = await startTestApp('sqlite', {
      options: {
        trustedIssuers: [
          { issuer: hostile.issuer, audience: AUDIENCE, algorithms: ['RS256'], rolesClaim: 'roles', roleMapping: { admin: ['user_admin'] } },
          { issuer: other.issuer, audience: AUDIENCE, algorithms: ['RS256', 'ES256'] },
        ],
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await hostile?.close();
    await other?.close();
    listener?.close();
  });

  const claims = (overrides: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return { iss: hostile.issuer, aud: AUDIENCE, sub: 'mallory', roles: ['admin'], iat: now, exp: now + 300, ...overrides };
  };
  const rs256 = (extra: Record<string, unknown> = {}) => ({ alg: 'RS256', typ: 'at+jwt', kid: 'hostile-rsa', ...extra });
  const expectRejected = async (token: string) => {
    const res = await t.http.get(`${API}/auth/me`).set('authorization', `Bearer ${token}`);
    expect(res.status, token.slice(0, 60)).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  };

  it('accepts a well-formed token (the control), then refuses every forgery below', async () => {
    const res = await t.http.get(`${API}/auth/me`).set('authorization', `Bearer ${signed(rs256(), claims(), hostile.rsa)}`);
    expect(res.status).toBe(200);
    expect(res.body.roles).toEqual(['user_admin']);
  });

  it('alg outside the allowlist (ES256 with a key the issuer publishes), none, and HS256 keyed with the public key', async () => {
    await expectRejected(signed({ alg: 'ES256', kid: 'hostile-ec' }, claims(), hostile.ec));
    await expectRejected(`${b64(JSON.stringify({ alg: 'none' }))}.${b64(JSON.stringify(claims()))}.`);
    for (const secret of [hostile.rsaPublicPem, `\n${hostile.rsaPublicPem}`, JSON.stringify(hostile.rsaPublicJwk)]) {
      await expectRejected(signed({ alg: 'HS256', kid: 'hostile-rsa' }, claims(), secret));
    }
  });

  it('key material named in the token is never used: jwk, jku, x5u', async () => {
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = attacker.publicKey.export({ format: 'jwk' });
    await expectRejected(signed({ alg: 'RS256', jwk }, claims(), attacker.privateKey));
    await expectRejected(signed({ alg: 'RS256', kid: 'hostile-rsa', jwk }, claims(), attacker.privateKey));
    await expectRejected(signed({ alg: 'RS256', kid: 'attacker', jku: listenerUrl }, claims(), attacker.privateKey));
    await expectRejected(signed({ alg: 'RS256', kid: 'attacker', x5u: listenerUrl }, claims(), attacker.privateKey));
    expect(listenerHits).toBe(0);
  });

  it('an unknown kid: one JWKS refresh, rate-limited, then 401 each time', async () => {
    const before = hostile.jwksHits();
    for (let i = 0; i < 20; i++) await expectRejected(signed(rs256({ kid: `unknown-${i}` }), claims(), hostile.rsa));
    expect(hostile.jwksHits() - before).toBeLessThanOrEqual(1);
  });

  it("another issuer's kid, signed with that issuer's key", async () => {
    await expectRejected(signed(rs256({ kid: 'other-rsa' }), claims(), other.rsa));
    // And the other issuer's genuine token is not ours to reuse under the hostile issuer's name.
    await expectRejected(signed(rs256({ kid: 'other-rsa' }), claims({ iss: hostile.issuer }), other.rsa));
  });

  it('wrong iss, wrong or missing aud, expired, not yet valid, no exp, tampered', async () => {
    await expectRejected(signed(rs256(), claims({ iss: 'https://evil.example' }), hostile.rsa));
    await expectRejected(signed(rs256(), claims({ iss: `${hostile.issuer}/` }), hostile.rsa));
    await expectRejected(signed(rs256(), claims({ aud: 'https://other.api' }), hostile.rsa));
    await expectRejected(signed(rs256(), claims({ aud: undefined }), hostile.rsa));
    await expectRejected(signed(rs256(), claims({ exp: Math.floor(Date.now() / 1000) - 61 }), hostile.rsa));
    await expectRejected(signed(rs256(), claims({ nbf: Math.floor(Date.now() / 1000) + 300 }), hostile.rsa));
    await expectRejected(signed(rs256(), claims({ exp: undefined }), hostile.rsa));
    const good = signed(rs256(), claims(), hostile.rsa);
    const [h, , s] = good.split('.');
    await expectRejected(`${h}.${b64(JSON.stringify(claims({ roles: ['admin', 'root'] })))}.${s}`);
    await expectRejected(signed(rs256(), claims({ sub: undefined }), hostile.rsa));
  });

  it('expiry is re-checked on a cached token', async () => {
    const token = signed(rs256(), claims({ exp: Math.floor(Date.now() / 1000) + 60 }), hostile.rsa);
    expect((await t.http.get(`${API}/auth/me`).set('authorization', `Bearer ${token}`)).status).toBe(200);
    t.clock.advance(60 + 11);
    try {
      await expectRejected(token);
    } finally {
      t.clock.reset();
    }
  });

  it('our own JWKS publishes public parts only (HS256 app: no keys at all)', async () => {
    expect((await t.http.get('/.well-known/jwks.json').expect(200)).body).toEqual({ keys: [] });
  });
});
