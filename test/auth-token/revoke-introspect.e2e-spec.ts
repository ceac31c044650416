import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePayload } from '../support/jwt-forge.js';
import { API, DATABASES, startTestApp, TEST_OPTIONS, type TestApp, type TokenAnswer } from '../support/test-app.js';
import { withLastCharacterChanged } from '../support/tamper.js';

describe.each(DATABASES)('token revocation (RFC 7009) and introspection (RFC 7662) on %s (SEC-98)', (kind) => {
  let t: TestApp;
  let introspector: string;

  beforeAll(async () => {
    t = await startTestApp(kind, { options: { roles: { ...TEST_OPTIONS.roles, introspector: ['tokens:introspect'] } } });
    introspector = (await t.actor(['introspector'])).token;
  });
  afterAll(async () => t?.close());

  const introspect = (token: string, bearer = introspector, extra: Record<string, string> = {}) =>
    t.http
      .post(`${API}/auth/introspect`)
      .set('authorization', `Bearer ${bearer}`)
      .type('form')
      .send({ token, ...extra });
  const revoke = (body: Record<string, string>, bearer?: string) => {
    const req = t.http.post(`${API}/auth/revoke`).type('form');
    return (bearer ? req.set('authorization', `Bearer ${bearer}`) : req).send(body);
  };
  const me = (bearer: string) => t.http.get(`${API}/auth/me`).set('authorization', `Bearer ${bearer}`);
  async function session(roles: string[] = ['viewer']): Promise<{ id: string; username: string; tokens: TokenAnswer }> {
    const { user, password } = await t.createUser({ roles });
    return { id: user.id, username: user.username, tokens: await t.login(user.username, password) };
  }

  it('introspection needs tokens:introspect: no credential 401, without the permission 403', async () => {
    const alice = await session();
    expect((await t.http.post(`${API}/auth/introspect`).type('form').send({ token: alice.tokens.access_token })).status).toBe(401);
    expect((await introspect(alice.tokens.access_token, alice.tokens.access_token)).status).toBe(403);
  });

  it('describes a live access token and a live refresh token', async () => {
    const alice = await session();
    const access = await introspect(alice.tokens.access_token).expect(200);
    expect(access.headers['cache-control']).toBe('no-store');
    const claims = decodePayload(alice.tokens.access_token);
    expect(access.body).toEqual({
      active: true,
      token_type: 'access_token',
      sub: alice.id,
      username: alice.username,
      kind: 'user',
      scope: 'reports:read users:list users:read',
      permissions: ['reports:read', 'users:list', 'users:read'],
      iss: 'nestjs-fabric-auth',
      aud: 'nestjs-fabric-auth',
      exp: claims.exp,
      iat: claims.iat,
      sid: claims.sid,
      jti: claims.jti,
      // How the session signed in (RFC 8176): a password login.
      amr: ['pwd'],
    });
    const refresh = await introspect(alice.tokens.refresh_token, introspector, { token_type_hint: 'refresh_token' }).expect(200);
    expect(refresh.body).toMatchObject({ active: true, token_type: 'refresh_token', sub: alice.id, sid: claims.sid, exp: expect.any(Number) });
  });

  it('answers {"active": false} and nothing else for unknown, expired, rotated and revoked tokens', async () => {
    const alice = await session();
    for (const garbage of ['x', 'a.b.c', alice.tokens.access_token.slice(0, -2), withLastCharacterChanged(alice.tokens.refresh_token)]) {
      expect((await introspect(garbage).expect(200)).body).toEqual({ active: false });
    }
    const refreshed = await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'refresh_token', refresh_token: alice.tokens.refresh_token }).expect(200);
    expect((await introspect(alice.tokens.refresh_token)).body).toEqual({ active: false });
    expect((await introspect(refreshed.body.refresh_token)).body.active).toBe(true);

    t.clock.advance(901 + 10);
    try {
      expect((await introspect(alice.tokens.access_token, await t.adminToken())).body).toEqual({ active: false });
    } finally {
      t.clock.reset();
    }
  });

  it('the holder of a refresh token revokes it (no credential needed): the whole session ends', async () => {
    const alice = await session();
    const res = await revoke({ token: alice.tokens.refresh_token, token_type_hint: 'refresh_token' }).expect(200);
    expect(res.body).toEqual({});
    expect(res.headers['cache-control']).toBe('no-store');
    const refresh = await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'refresh_token', refresh_token: alice.tokens.refresh_token });
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
    expect((await me(alice.tokens.access_token)).status).toBe(401);
    expect((await introspect(alice.tokens.access_token)).body).toEqual({ active: false });
    expect((await introspect(alice.tokens.refresh_token)).body).toEqual({ active: false });
  });

  it('an access token revoked by its owner (JSON body, hint ignored) is refused at once', async () => {
    const alice = await session();
    await t.http
      .post(`${API}/auth/revoke`)
      .set('authorization', `Bearer ${alice.tokens.access_token}`)
      .send({ token: alice.tokens.access_token, token_type_hint: 'something_else' })
      .expect(200);
    expect((await me(alice.tokens.access_token)).status).toBe(401);
    expect((await introspect(alice.tokens.access_token)).body).toEqual({ active: false });
  });

  it("revoking another user's token has no effect, and still answers 200", async () => {
    const alice = await session();
    const bob = await session();
    expect((await revoke({ token: alice.tokens.access_token }, bob.tokens.access_token)).status).toBe(200);
    expect((await revoke({ token: alice.tokens.refresh_token }, bob.tokens.access_token)).status).toBe(200);
    expect((await me(alice.tokens.access_token)).status).toBe(200);
    expect((await introspect(alice.tokens.refresh_token)).body.active).toBe(true);
    // Even an admin's credential revokes only its own tokens here (users' sessions have their own endpoint).
    expect((await revoke({ token: alice.tokens.access_token }, await t.adminToken())).status).toBe(200);
    expect((await me(alice.tokens.access_token)).status).toBe(200);
  });

  it('bad requests: no token 400 invalid_request, unknown token 200, invalid credential 401 invalid_client', async () => {
    const missing = await revoke({});
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ error: 'invalid_request', error_description: 'token is required' });
    expect((await revoke({ token: 'not-a-token' })).status).toBe(200);
    expect((await revoke({ token: 'x', extra: 'y' })).body.error).toBe('invalid_request');
    const badCredential = await revoke({ token: 'x' }, 'not.a.jwt');
    expect(badCredential.status).toBe(401);
    expect(badCredential.body.error).toBe('invalid_client');
    const noToken = await t.http.post(`${API}/auth/introspect`).set('authorization', `Bearer ${introspector}`).send({});
    expect(noToken.status).toBe(400);
    expect(
      (
        await t.http
          .post(`${API}/auth/introspect`)
          .set('authorization', `Bearer ${introspector}`)
          .send({ token: ['a'] })
      ).status,
    ).toBe(400);
  });
});
