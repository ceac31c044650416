import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchBrowser, type Hop, jsonClient } from '../support/oidc/fetch-browser.js';
import { startAppWithOp } from '../support/oidc/fixtures.js';
import { counts, expectRefused } from '../support/oidc/refusals.js';
import { signIn } from '../support/oidc/sign-in.js';
import type { OpAccount, TestOp } from '../support/oidc/test-op.js';
import { API, DATABASES, type TestApp } from '../support/test-app.js';

let subjects = 0;
const SCOPES = ['openid', 'email', 'profile', 'groups', 'roles'];

describe.each(DATABASES)('SSO with the claim shapes and key rotations of real providers on %s', (kind) => {
  let t: TestApp;
  let op: TestOp;
  let rotating: TestOp;

  beforeAll(async () => {
    let ops: Record<string, TestOp>;
    ({ t, op, ops } = await startAppWithOp(
      kind,
      {
        keycloak: { jitProvisioning: true, scopes: SCOPES, roleClaim: 'realm_access.roles', roleMapping: { reporter: ['viewer'] } },
        kcclient: { jitProvisioning: true, scopes: SCOPES, roleClaim: ['resource_access', 'reports.app', 'roles'], roleMapping: { auditor: ['auditor'] } },
        auth0: { jitProvisioning: true, scopes: SCOPES, roleClaim: 'https://example.com/roles', roleMapping: { reporter: ['viewer'] } },
        entra: { jitProvisioning: true, scopes: SCOPES, roleClaim: 'groups', roleMapping: { 'f1e2d3c4-reporters': ['viewer'] } },
        rotating: { jitProvisioning: true },
      },
      ['rotating'],
    ));
    rotating = ops.rotating!;
  });
  afterAll(async () => {
    await t?.close();
    await op?.close();
    await rotating?.close();
  });

  function account(claims: OpAccount, at: TestOp = op): string {
    const subject = `shape-${++subjects}-${process.pid}`;
    at.accounts.set(subject, { email_verified: false, ...claims });
    return subject;
  }

  async function login(subject: string, provider: string): Promise<{ callback: Hop; roles?: string[] }> {
    const browser = jsonClient();
    const callback = await signIn(browser, t.url, subject, { provider });
    if (callback.status !== 302) return { callback };
    const me = await t.http.get(`${API}/auth/me`).set('cookie', `access_token=${browser.cookie('127.0.0.1', 'access_token')}`);
    expect(me.status).toBe(200);
    return { callback, roles: me.body.roles as string[] };
  }

  it('Keycloak realm roles (realm_access.roles) map at login', async () => {
    expect((await login(account({ realm_access: { roles: ['reporter', 'offline_access'] } }), 'keycloak')).roles).toEqual(['viewer']);
    expect((await login(account({ realm_access: { roles: ['offline_access'] } }), 'keycloak')).roles).toEqual([]);
  });

  it('Keycloak client roles of a client whose id has dots, named as a list of segments', async () => {
    const claims = { resource_access: { 'reports.app': { roles: ['auditor'] }, reports: { roles: ['admin'] } } };
    expect((await login(account(claims), 'kcclient')).roles).toEqual(['auditor']);
    expect((await login(account({ resource_access: { reports: { app: { roles: ['auditor'] } } } }), 'kcclient')).roles).toEqual([]);
  });

  it('an Auth0 namespaced claim, named by its URL', async () => {
    expect((await login(account({ 'https://example.com/roles': ['reporter'] }), 'auth0')).roles).toEqual(['viewer']);
  });

  it('Entra groups overage (_claim_names, hasgroups): the login is refused with groups_overage, audited, no user created', async () => {
    expect((await login(account({ groups: ['f1e2d3c4-reporters'] }), 'entra')).roles).toEqual(['viewer']);
    const overage = { _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.windows.net/tenant/users/oid/getMemberObjects' } } };
    for (const claims of [overage, { hasgroups: true }]) {
      const before = await counts(t);
      const { callback } = await login(account(claims), 'entra');
      await expectRefused(t, before, callback, 403, 'groups_overage');
    }
  });

  it('the error page tells a browser groups_overage', async () => {
    const hop = await signIn(new FetchBrowser({ accept: 'text/html' }), t.url, account({ hasgroups: true }), { provider: 'entra' });
    expect(hop.status).toBe(302);
    expect(new URL(hop.location!, t.url).searchParams.get('error')).toBe('groups_overage');
  });

  it('a key rotation at the provider: the next login reads the new keys at once; another rotation within jwks_cooldown waits for it', async () => {
    const subject = account({}, rotating);
    expect((await login(subject, 'rotating')).callback.status).toBe(302);
    await rotating.rotateKeys();
    const reads = rotating.hits('/jwks');
    expect((await login(subject, 'rotating')).callback.status).toBe(302);
    expect(rotating.hits('/jwks')).toBe(reads + 1);
    expect((await login(subject, 'rotating')).callback.status).toBe(302);
    expect(rotating.hits('/jwks')).toBe(reads + 1);

    await rotating.rotateKeys();
    const before = await counts(t);
    const { callback } = await login(subject, 'rotating');
    await expectRefused(t, before, callback, 400, 'invalid_id_token');
    expect(rotating.hits('/jwks')).toBe(reads + 1);
    t.clock.advance(31);
    try {
      expect((await login(subject, 'rotating')).callback.status).toBe(302);
      expect(rotating.hits('/jwks')).toBe(reads + 2);
    } finally {
      t.clock.reset();
    }
  });
});
