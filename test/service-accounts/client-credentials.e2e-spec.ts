import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePayload } from '../support/jwt-forge.js';
import { API, DATABASES, startTestApp, TEST_OPTIONS, type TestApp } from '../support/test-app.js';
import { withLastCharacterChanged } from '../support/tamper.js';

let seq = 0;
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe.each(DATABASES)('client credentials for service accounts (RFC 6749 §4.4) on %s (SEC-97)', (kind) => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp(kind, { options: { roles: { ...TEST_OPTIONS.roles, introspector: ['tokens:introspect'] } } });
    admin = await t.adminToken();
  });
  afterAll(async () => t?.close());

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  async function account(roles: string[] = ['viewer']) {
    const res = await t.http
      .post(`${API}/service-accounts`)
      .set(bearer(admin))
      .send({ name: `etl-${++seq}-${process.pid}`, roles });
    expect(res.status).toBe(201);
    const key = await t.http.post(`${API}/service-accounts/${res.body.id}/api-keys`).set(bearer(admin)).send({ name: 'ci' });
    expect(key.status).toBe(201);
    return { id: res.body.id as string, name: res.body.name as string, key: key.body.key as string, keyId: key.body.id as string };
  }
  const grant = (form: Record<string, string>, authorization?: string) => {
    const req = t.http.post(`${API}/auth/token`).type('form');
    return (authorization ? req.set('authorization', authorization) : req).send({ grant_type: 'client_credentials', ...form });
  };
  const me = (token: string) => t.http.get(`${API}/auth/me`).set(bearer(token));

  it('HTTP Basic with the account id and a key: an access token with its permissions, no refresh token', async () => {
    const svc = await account();
    const res = await grant({}, basic(svc.id, svc.key)).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 900, scope: 'reports:read users:list users:read' });
    expect(decodePayload(res.body.access_token)).toMatchObject({ sub: svc.id, typ: 'access', gty: 'client_credentials', client_id: svc.id });
    const who = await me(res.body.access_token).expect(200);
    expect(who.body).toMatchObject({ kind: 'service_account', id: svc.id, username: svc.name, auth_method: 'jwt', permissions: ['reports:read', 'users:list', 'users:read'] });
    expect((await t.http.get(`${API}/users`).set(bearer(res.body.access_token))).status).toBe(200);
  });

  it('form fields with the account name; scope narrows the token', async () => {
    const svc = await account();
    const res = await grant({ client_id: svc.name, client_secret: svc.key, scope: 'reports:read' }).expect(200);
    expect(res.body.scope).toBe('reports:read');
    expect((await me(res.body.access_token)).body.permissions).toEqual(['reports:read']);
    expect((await t.http.get(`${API}/users`).set(bearer(res.body.access_token))).status).toBe(403);
  });

  it('scope beyond the account is 400 invalid_scope', async () => {
    const svc = await account();
    for (const scope of ['users:create', 'reports:read roles:manage', 'no:such']) {
      const res = await grant({ client_id: svc.id, client_secret: svc.key, scope });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_scope');
    }
  });

  it('wrong secret, a user key, another account key, unknown account, revoked key, deactivated account: 401 invalid_client with WWW-Authenticate: Basic', async () => {
    const svc = await account();
    const other = await account();
    const { user } = await t.createUser({ roles: ['viewer'] });
    const userKey = await t.http.post(`${API}/users/${user.username}/api-keys`).set(bearer(admin)).send({ name: 'mine' });
    expect(userKey.status).toBe(201);
    const expectInvalidClient = async (res: { status: number; headers: Record<string, string>; body: { error: string } }) => {
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
      expect(res.headers['www-authenticate']).toBe('Basic realm="nestjs-fabric-auth"');
    };
    await expectInvalidClient(await grant({}, basic(svc.id, withLastCharacterChanged(svc.key))));
    await expectInvalidClient(await grant({}, basic(svc.id, 'fab_not-a-key')));
    await expectInvalidClient(await grant({}, basic(user.username, userKey.body.key)));
    await expectInvalidClient(await grant({}, basic(svc.id, userKey.body.key)));
    await expectInvalidClient(await grant({}, basic(svc.id, other.key)));
    await expectInvalidClient(await grant({}, basic('00000000-0000-4000-8000-000000000000', svc.key)));
    await expectInvalidClient(await grant({ client_id: svc.id }));
    await expectInvalidClient(await grant({}, 'Bearer abc'));
    // One authentication method per request (RFC 6749 §2.3.1).
    expect((await grant({ client_id: svc.id, client_secret: svc.key }, basic(svc.id, svc.key))).body.error).toBe('invalid_request');

    const revoked = await account();
    await t.http.delete(`${API}/service-accounts/${revoked.id}/api-keys/${revoked.keyId}`).set(bearer(admin)).expect(204);
    await expectInvalidClient(await grant({}, basic(revoked.id, revoked.key)));
    const inactive = await account();
    await t.http.post(`${API}/service-accounts/${inactive.id}/deactivate`).set(bearer(admin)).expect(200);
    await expectInvalidClient(await grant({}, basic(inactive.id, inactive.key)));
  });

  it('revoking the key or deactivating the account ends the tokens it minted at once', async () => {
    const a = await account();
    const tokenA = (await grant({}, basic(a.id, a.key)).expect(200)).body.access_token as string;
    expect((await me(tokenA)).status).toBe(200);
    await t.http.delete(`${API}/service-accounts/${a.id}/api-keys/${a.keyId}`).set(bearer(admin)).expect(204);
    expect((await me(tokenA)).status).toBe(401);

    const b = await account();
    const tokenB = (await grant({}, basic(b.id, b.key)).expect(200)).body.access_token as string;
    expect((await me(tokenB)).status).toBe(200);
    await t.http.post(`${API}/service-accounts/${b.id}/deactivate`).set(bearer(admin)).expect(200);
    expect((await me(tokenB)).status).toBe(401);
  });

  it('a role removed from the account narrows its live tokens; the token never grows past its scope', async () => {
    const svc = await account(['viewer', 'auditor']);
    const narrowed = (await grant({ client_id: svc.id, client_secret: svc.key, scope: 'audit:read' })).body.access_token as string;
    expect((await t.http.get(`${API}/audit`).set(bearer(narrowed))).status).toBe(200);
    await t.http
      .patch(`${API}/service-accounts/${svc.id}`)
      .set(bearer(admin))
      .send({ roles: ['viewer'] })
      .expect(200);
    expect((await t.http.get(`${API}/audit`).set(bearer(narrowed))).status).toBe(403);
    expect((await me(narrowed)).body.permissions).toEqual([]);
  });

  it('introspection shows client_id; the token is not a cookie credential, nor a refresh token', async () => {
    const svc = await account();
    const token = (await grant({}, basic(svc.id, svc.key))).body.access_token as string;
    const introspector = (await t.actor(['introspector'])).token;
    const seen = await t.http.post(`${API}/auth/introspect`).set(bearer(introspector)).type('form').send({ token }).expect(200);
    expect(seen.body).toMatchObject({ active: true, token_type: 'access_token', sub: svc.id, client_id: svc.id, kind: 'service_account' });
    expect(seen.body).not.toHaveProperty('sid');
    expect((await t.http.get(`${API}/auth/me`).set('cookie', `access_token=${token}`)).status).toBe(401);
    const asRefresh = await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'refresh_token', refresh_token: token });
    expect(asRefresh.status).toBe(400);
    expect(asRefresh.body.access_token).toBeUndefined();
  });
});

describe('client credentials count against the token endpoint limits (SEC-97)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { options: { rateLimits: true, trustedProxies: ['127.0.0.1'] } });
  });
  afterAll(async () => t?.close());

  it('50 refused client authentications from one address: the next is 429, even with a good key', async () => {
    const admin = await t.adminToken();
    const svc = await t.http
      .post(`${API}/service-accounts`)
      .set('authorization', `Bearer ${admin}`)
      .send({ name: `limited-${process.pid}`, roles: ['viewer'] });
    const key = await t.http.post(`${API}/service-accounts/${svc.body.id}/api-keys`).set('authorization', `Bearer ${admin}`).send({ name: 'k' });
    const from = (address: string, secret: string) =>
      t.http.post(`${API}/auth/token`).set('x-forwarded-for', address).type('form').send({ grant_type: 'client_credentials', client_id: svc.body.id, client_secret: secret });
    for (let i = 0; i < 50; i++) expect((await from('203.0.113.77', 'fab_wrong')).status).toBe(401);
    const blocked = await from('203.0.113.77', key.body.key);
    expect(blocked.status).toBe(429);
    expect(blocked.body.error).toBe('temporarily_unavailable');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await from('203.0.113.78', key.body.key)).status).toBe(200);
  });
});
