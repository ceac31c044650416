import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, startTestApp, TEST_OPTIONS, type TestApp } from '../support/test-app.js';

/**
 * SEC-79: every write on another account, and every credential minted for it, passes one
 * ceiling — the actor holds every permission the account holds. Each route is tried on a
 * richer account (403, nothing changed) and, as the control that proves the actor has the
 * route's permission, on a poorer one (2xx).
 */
const DESK = [
  'users:list',
  'users:read',
  'users:create',
  'users:modify',
  'users:deactivate',
  'api_keys:list',
  'api_keys:create',
  'api_keys:revoke',
  'service_accounts:read',
  'service_accounts:create',
  'service_accounts:modify',
];

interface Target {
  /** Path of the account: `/users/<name>` or `/service-accounts/<id>`. */
  path: string;
  name: string;
  keyId: string;
  sessionId?: string;
}

type Route = readonly [label: string, method: 'post' | 'patch' | 'delete', suffix: (t: Target) => string, body: (t: Target) => object];

const USER_ROUTES: Route[] = [
  ['rename', 'patch', () => '', (t) => ({ username: `${t.name}-renamed` })],
  ['change full name', 'patch', () => '', () => ({ full_name: 'Taken Over' })],
  ['move email', 'patch', () => '', (t) => ({ email: `moved-${t.name}@evil.example` })],
  ['drop roles', 'patch', () => '', () => ({ roles: [] })],
  ['deactivate', 'post', () => '/deactivate', () => ({})],
  ['reactivate', 'post', () => '/reactivate', () => ({})],
  ['set password', 'post', () => '/password', () => ({ new_password: 'Taken-over-pass-1' })],
  ['unlock', 'post', () => '/unlock', () => ({})],
  ['resend activation', 'post', () => '/activation', () => ({})],
  ['revoke all sessions', 'post', () => '/sessions/revoke', () => ({})],
  ['revoke one session', 'delete', (t) => `/sessions/${t.sessionId}`, () => ({})],
  ['create a key', 'post', () => '/api-keys', () => ({ name: 'takeover', scopes: ['users:list'] })],
  ['create an unscoped key', 'post', () => '/api-keys', () => ({ name: 'takeover' })],
  ['reroll its key', 'post', (t) => `/api-keys/${t.keyId}/reroll`, () => ({})],
  ['revoke its key', 'delete', (t) => `/api-keys/${t.keyId}`, () => ({})],
];

const SERVICE_ACCOUNT_ROUTES: Route[] = [
  ['rename', 'patch', () => '', (t) => ({ name: `${t.name}-renamed` })],
  ['change description', 'patch', () => '', () => ({ description: 'taken over' })],
  ['drop roles', 'patch', () => '', () => ({ roles: [] })],
  ['deactivate', 'post', () => '/deactivate', () => ({})],
  ['reactivate', 'post', () => '/reactivate', () => ({})],
  ['create a key', 'post', () => '/api-keys', () => ({ name: 'takeover', scopes: ['users:list'] })],
  ['create an unscoped key', 'post', () => '/api-keys', () => ({ name: 'takeover' })],
  ['reroll its key', 'post', (t) => `/api-keys/${t.keyId}/reroll`, () => ({})],
  ['revoke its key', 'delete', (t) => `/api-keys/${t.keyId}`, () => ({})],
];

let seq = 0;

describe.each(DATABASES)('the account ceiling on every path to another account on %s (SEC-79)', (kind) => {
  let t: TestApp;
  let admin: string;
  let desk: { token: string; user: { username: string } };
  beforeAll(async () => {
    t = await startTestApp(kind, { options: { roles: { ...TEST_OPTIONS.roles, desk: DESK, lister: ['users:list'] } } });
    admin = await t.adminToken();
    desk = await t.actor(['desk']);
  });
  afterAll(() => t?.close());

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  /** A user holding `roles`, with a live session and a key (made by the admin). */
  async function userTarget(roles: string[]): Promise<Target> {
    const { user, password } = await t.createUser({ roles, prefix: 'target' });
    const login = await t.login(user.username, password);
    const session = JSON.parse(Buffer.from(login.access_token.split('.')[1], 'base64url').toString()).sid as string;
    const key = await t.http.post(`${API}/users/${user.username}/api-keys`).set(bearer(admin)).send({ name: 'theirs' });
    expect(key.status).toBe(201);
    return { path: `/users/${user.username}`, name: user.username, keyId: key.body.id, sessionId: session };
  }

  async function serviceAccountTarget(roles: string[]): Promise<Target> {
    const name = `svc-${++seq}-${process.pid}`;
    const created = await t.http.post(`${API}/service-accounts`).set(bearer(admin)).send({ name, roles });
    expect(created.status).toBe(201);
    const key = await t.http.post(`${API}/service-accounts/${created.body.id}/api-keys`).set(bearer(admin)).send({ name: 'theirs' });
    return { path: `/service-accounts/${created.body.id}`, name, keyId: key.body.id };
  }

  const call = (route: Route, target: Target, token: string) =>
    (t.http as any)
      [route[1]](`${API}${target.path}${route[2](target)}`)
      .set(bearer(token))
      .send(route[3](target));

  describe.each([
    ['a user', USER_ROUTES, () => userTarget(['viewer', 'auditor']), () => userTarget(['lister'])],
    ['a service account', SERVICE_ACCOUNT_ROUTES, () => serviceAccountTarget(['viewer', 'auditor']), () => serviceAccountTarget(['lister'])],
  ] as const)('on %s', (_, routes, richer, poorer) => {
    it.each(routes.map((r) => [r[0], r] as const))('%s: 403 on a richer account, allowed on a poorer one', async (_label, route) => {
      const rich = await richer();
      const before = await t.http.get(`${API}${rich.path}`).set(bearer(admin));
      const refused = await call(route, rich, desk.token);
      expect(refused.status, JSON.stringify(refused.body)).toBe(403);
      expect(refused.body.key).toBeUndefined();
      const after = await t.http.get(`${API}${rich.path}`).set(bearer(admin));
      expect(after.body).toEqual(before.body);
      const keys = await t.http.get(`${API}${rich.path}/api-keys`).set(bearer(admin));
      expect(keys.body.items.map((k: { name: string; revoked_at: string | null }) => [k.name, k.revoked_at])).toEqual([['theirs', null]]);

      const poor = await poorer();
      const allowed = await call(route, poor, desk.token);
      // An activation link for an account that already has a password is a 409, past the ceiling.
      const expected = route[0] === 'resend activation' && poor.path.startsWith('/users/') ? 409 : undefined;
      if (expected) expect(allowed.status).toBe(expected);
      else expect(allowed.status, JSON.stringify(allowed.body)).toBeLessThan(300);
    });
  });

  it('a key minted by someone else is never "self": it acts on its owner only within what it carries', async () => {
    const { user, password } = await t.createUser({ roles: ['desk', 'auditor'], prefix: 'owner' });
    const minted = await t.http
      .post(`${API}/users/${user.username}/api-keys`)
      .set(bearer(admin))
      .send({ name: 'ops', scopes: ['users:modify', 'users:deactivate', 'api_keys:create', 'api_keys:revoke'] });
    expect(minted.status).toBe(201);
    const withKey = { 'x-api-key': minted.body.key };
    expect((await t.http.patch(`${API}/users/${user.username}`).set(withKey).send({ full_name: 'x' })).status).toBe(403);
    expect((await t.http.post(`${API}/users/${user.username}/sessions/revoke`).set(withKey)).status).toBe(403);
    expect(
      (
        await t.http
          .post(`${API}/users/${user.username}/api-keys`)
          .set(withKey)
          .send({ name: 'child', scopes: ['users:modify'] })
      ).status,
    ).toBe(403);
    expect((await t.http.post(`${API}/users/${user.username}/api-keys/${minted.body.id}/reroll`).set(withKey)).status).toBe(403);
    // The owner's own session is "self" and keeps every right on the account.
    const own = (await t.login(user.username, password)).access_token;
    expect((await t.http.post(`${API}/users/${user.username}/api-keys/${minted.body.id}/reroll`).set(bearer(own))).status).toBe(200);
  });

  it('the system admin’s account is out of reach of everyone else, keys included', async () => {
    for (const [method, suffix, body] of [
      ['post', '/api-keys', { name: 'x', scopes: ['users:list'] }],
      ['post', '/sessions/revoke', {}],
      ['post', '/unlock', {}],
      ['patch', '', { full_name: 'x' }],
    ] as const) {
      expect((await (t.http as any)[method](`${API}/users/admin${suffix}`).set(bearer(desk.token)).send(body)).status, suffix).toBe(403);
    }
  });
});
