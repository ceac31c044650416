import { AuditEventEntity, UserIdentityEntity } from 'nestjs-fabric-auth/entities';
import { RolesService } from 'nestjs-fabric-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchBrowser, jsonClient } from '../support/oidc/fetch-browser.js';
import { startAppWithOp } from '../support/oidc/fixtures.js';
import { OIDC_API, signIn, submitProviderLogin } from '../support/oidc/sign-in.js';
import type { TestOp } from '../support/oidc/test-op.js';
import { API, DATABASES, type TestApp } from '../support/test-app.js';

const HOST = '127.0.0.1';

interface Identity {
  id: string;
  provider: string;
  issuer: string;
  subject: string;
  email: string | null;
}

let subjects = 0;

describe.each(DATABASES)('identity links: list, unlink, link while signed in on %s', (kind) => {
  let t: TestApp;
  let op: TestOp;
  let second: TestOp;
  beforeAll(async () => {
    let ops: Record<string, TestOp>;
    ({ t, op, ops } = await startAppWithOp(kind, { oidc: { jitProvisioning: true }, second: {} }, ['second']));
    second = ops.second!;
  });
  afterAll(async () => {
    await t?.close();
    await op?.close();
    await second?.close();
  });

  function account(at: TestOp = op): string {
    const subject = `link-subject-${++subjects}-${process.pid}`;
    at.accounts.set(subject, { preferred_username: subject, email: `${subject}@idp.test`, email_verified: true });
    return subject;
  }

  /** A browser signed in with a password (cookie session). */
  async function passwordSession(username: string, password: string): Promise<FetchBrowser> {
    const browser = jsonClient();
    const answer = await browser.request(`${t.url}${API}/auth/token`, {
      method: 'POST',
      body: JSON.stringify({ grant_type: 'password', username, password, set_cookies: true }),
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.status, answer.body).toBe(200);
    return browser;
  }

  function linkUrl(provider?: string, returnTo = '/linked'): string {
    return `${t.url}${OIDC_API}${provider ? `/${provider}` : ''}/link?return_to=${encodeURIComponent(returnTo)}`;
  }

  /** Starts a link in `browser` and signs in at the provider as `subject`; returns the callback's answer. */
  async function link(browser: FetchBrowser, subject: string, provider?: string) {
    const start = await browser.request(linkUrl(provider));
    expect(start.status, start.body).toBe(302);
    const authorize = new URL(start.location!);
    expect(authorize.searchParams.get('prompt')).toBe('login');
    expect(authorize.searchParams.get('max_age')).toBe('0');
    const hops = await browser.follow(start.location!, (next) => !next.pathname.startsWith('/interaction/'));
    const callbackUrl = await submitProviderLogin(browser, t.url, hops.at(-1)!.location!, subject);
    return browser.request(callbackUrl);
  }

  async function identitiesOf(username: string, token: string): Promise<Identity[]> {
    const res = await t.http.get(`${API}/users/${username}/identities`).auth(token, { type: 'bearer' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.items as Identity[];
  }

  it('a signed-in user links an identity after a fresh login at the provider; it then signs them in', async () => {
    const { user, password } = await t.createUser();
    const browser = await passwordSession(user.username, password);
    const session = browser.cookie(HOST, 'access_token');
    const subject = account(second);
    const callback = await link(browser, subject, 'second');
    expect(callback.status, callback.body).toBe(302);
    expect(callback.location).toBe(`${t.url}/linked`);
    // Linking opens no session: the cookies are those of the password login.
    expect(browser.cookie(HOST, 'access_token')).toBe(session);
    const token = (await t.login(user.username, password)).access_token;
    expect(await identitiesOf(user.username, token)).toEqual([expect.objectContaining({ provider: 'second', issuer: second.issuer, subject, email: `${subject}@idp.test` })]);
    const audit = await t.dataSource.getRepository(AuditEventEntity).findOneByOrFail({ action: 'oidc.identity.link', actorId: user.id });
    expect(audit.details).toEqual({ provider: 'second', via: 'signed_in' });
    const sso = jsonClient();
    expect((await signIn(sso, t.url, subject, { provider: 'second' })).status).toBe(302);
    const me = await t.http.get(`${API}/auth/me`).set('cookie', `access_token=${sso.cookie(HOST, 'access_token')}`);
    expect(me.body.id).toBe(user.id);
  });

  it('an identity linked to another account is refused (identity_in_use), and nothing changes', async () => {
    const subject = account();
    expect((await signIn(jsonClient(), t.url, subject)).status).toBe(302);
    const { user, password } = await t.createUser();
    const browser = await passwordSession(user.username, password);
    const callback = await link(browser, subject);
    expect(callback.status).toBe(409);
    expect(JSON.parse(callback.body).message).toBe('This identity is already linked to another account');
    expect(await t.dataSource.getRepository(UserIdentityEntity).countBy({ userId: user.id })).toBe(0);
  });

  it('a session that ended before the callback links nothing (not_signed_in)', async () => {
    const { user, password } = await t.createUser();
    const browser = await passwordSession(user.username, password);
    const start = await browser.request(linkUrl());
    const hops = await browser.follow(start.location!, (next) => !next.pathname.startsWith('/interaction/'));
    await t.http.post(`${API}/users/${user.username}/sessions/revoke`).auth((await t.login(user.username, password)).access_token, { type: 'bearer' });
    const person = new FetchBrowser({ accept: 'text/html' });
    for (const name of browser.cookieNames(HOST)) person.setCookie(HOST, name, browser.cookie(HOST, name)!);
    const callback = await person.request(await submitProviderLogin(browser, t.url, hops.at(-1)!.location!, account()));
    expect(new URL(callback.location!).searchParams.get('error')).toBe('not_signed_in');
    expect(await t.dataSource.getRepository(UserIdentityEntity).countBy({ userId: user.id })).toBe(0);
  });

  it('linking needs a browser session of this site: none is a 401, a Bearer token or a cross-site start is refused', async () => {
    expect((await jsonClient().request(linkUrl())).status).toBe(401);
    const { token } = await t.actor();
    const bearer = await jsonClient().request(linkUrl(), { headers: { authorization: `Bearer ${token}` } });
    expect(bearer.status).toBe(401);
    const { user, password } = await t.createUser();
    const browser = await passwordSession(user.username, password);
    const crossSite = await browser.request(linkUrl(), { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(401);
    expect(browser.cookieNames(HOST, 'fabric_oidc_state_')).toEqual([]);
  });

  it('the owner unlinks an identity; the last way into an account without a password cannot be removed', async () => {
    // Created by SSO: no password, one identity.
    const subject = account();
    const browser = jsonClient();
    expect((await signIn(browser, t.url, subject)).status).toBe(302);
    const csrf = browser.cookie(HOST, 'csrf_token')!;
    const cookie = ['access_token', 'csrf_token'].map((n) => `${n}=${browser.cookie(HOST, n)}`).join('; ');
    const username = subject;
    const list = await t.http.get(`${API}/users/${username}/identities`).set('cookie', cookie);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total: 1, limit: 50, offset: 0 });
    const [only] = list.body.items as Identity[];
    const refused = await t.http.delete(`${API}/users/${username}/identities/${only.id}`).set('cookie', cookie).set('x-csrf-token', csrf);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain('only way into the account');

    const linked = await link(browser, account(second), 'second');
    expect(linked.status, linked.body).toBe(302);
    const removed = await t.http.delete(`${API}/users/${username}/identities/${only.id}`).set('cookie', cookie).set('x-csrf-token', csrf);
    expect(removed.status).toBe(204);
    const left = (await t.http.get(`${API}/users/${username}/identities`).set('cookie', cookie)).body.items as Identity[];
    expect(left.map((i) => i.provider)).toEqual(['second']);
    const last = await t.http.delete(`${API}/users/${username}/identities/${left[0].id}`).set('cookie', cookie).set('x-csrf-token', csrf);
    expect(last.status).toBe(409);
    const owner = (await t.users.findByUsername(username))!;
    const audit = await t.dataSource.getRepository(AuditEventEntity).findBy({ action: 'oidc.identity.unlink', targetId: owner.id });
    expect(audit.map((a) => a.details)).toEqual([{ provider: 'oidc', identity: only.id }]);
  });

  it('others: users:read lists, users:modify unlinks under the account ceiling; an API key needs users:modify; unknown ids are 404', async () => {
    const subject = account();
    expect((await signIn(jsonClient(), t.url, subject)).status).toBe(302);
    const owner = (await t.users.findByUsername(subject))!;
    const [identity] = await identitiesOf(subject, await t.adminToken());
    const { token: stranger } = await t.actor();
    expect((await t.http.get(`${API}/users/${subject}/identities`).auth(stranger, { type: 'bearer' })).status).toBe(403);
    expect((await t.http.delete(`${API}/users/${subject}/identities/${identity.id}`).auth(stranger, { type: 'bearer' })).status).toBe(403);

    // The owner gets a password, so unlinking is allowed by the "way in" rule; the ceiling still applies.
    await t.users.setPassword(owner.id, 'Corr3ct-horse-battery');
    await t.app.get(RolesService).assignToUser(owner.id, ['auditor']);
    const { token: userAdmin } = await t.actor(['user_admin']);
    const richer = await t.http.delete(`${API}/users/${subject}/identities/${identity.id}`).auth(userAdmin, { type: 'bearer' });
    expect(richer.status).toBe(403);
    const { token: bigAdmin } = await t.actor(['user_admin', 'auditor']);
    expect((await t.http.delete(`${API}/users/${subject}/identities/00000000-0000-4000-8000-000000000000`).auth(bigAdmin, { type: 'bearer' })).status).toBe(404);
    expect((await t.http.delete(`${API}/users/${subject}/identities/not-a-uuid`).auth(bigAdmin, { type: 'bearer' })).status).toBe(404);
    expect((await t.http.delete(`${API}/users/${subject}/identities/${identity.id}`).auth(bigAdmin, { type: 'bearer' })).status).toBe(204);
    expect(await identitiesOf(subject, bigAdmin)).toEqual([]);
  });
});
