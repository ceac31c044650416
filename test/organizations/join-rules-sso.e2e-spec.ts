import { DEFAULT_FEATURE_NAMES } from '../../libs/fabric-auth/src/fabric-auth.features.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/oidc/fetch-browser.js';
import { startAppWithOp } from '../support/oidc/fixtures.js';
import { signIn } from '../support/oidc/sign-in.js';
import type { TestOp } from '../support/oidc/test-op.js';
import { API, DATABASES, type TestApp } from '../support/test-app.js';
import { auth, ORG_TEST_ROLES, orgWithOwner, slug } from './org-app.js';

// SPEC §15 join rules, through SSO: `auto_join_domains` applies at an OpenID Connect login as at a
// password login (the sign-in hook runs on the one account path both share).
describe.each(DATABASES)('auto_join_domains at an SSO login on %s', (kind) => {
  let t: TestApp;
  let op: TestOp;
  let admin: string;
  let subjects = 0;
  const p = (n: number) => (kind.startsWith('postgres') ? `$${n}` : '?');

  beforeAll(async () => {
    ({ t, op } = await startAppWithOp(
      kind,
      { oidc: { jitProvisioning: true, defaultRoles: ['viewer'] } },
      [],
      { roles: ORG_TEST_ROLES, organizations: { enabled: true, autoJoinDomains: true } },
      [...DEFAULT_FEATURE_NAMES, 'organizations'],
    ));
    admin = await t.adminToken();
  });
  afterAll(async () => {
    await t?.close();
    await op?.close();
  });

  async function orgOnDomain(verified: boolean): Promise<{ slug: string; id: string; domain: string }> {
    const org = await orgWithOwner(t, admin);
    const domain = `${slug('sso')}.example`;
    expect(
      (
        await t.http
          .patch(`${API}/orgs/${org.slug}`)
          .set(auth(admin))
          .send({ domains: [{ domain, verified }] })
      ).status,
    ).toBe(200);
    return { ...org, domain };
  }

  /** Signs a new subject in through the OpenID Provider; the user's id, from /auth/me with the session's cookie. */
  async function ssoLogin(email: string, emailVerified: boolean): Promise<string> {
    const subject = `joiner-${++subjects}-${process.pid}`;
    op.accounts.set(subject, { preferred_username: subject, email, email_verified: emailVerified, name: 'Joiner' });
    const browser = jsonClient();
    expect((await signIn(browser, t.url, subject)).status).toBe(302);
    const me = await t.http.get(`${API}/auth/me`).set('cookie', `access_token=${browser.cookie('127.0.0.1', 'access_token')}`);
    expect(me.status).toBe(200);
    return me.body.id as string;
  }

  const roles = async (organizationId: string, userId: string): Promise<string[]> =>
    (
      await t.dataSource.query(
        `SELECT r.role FROM organization_members m JOIN organization_member_roles r ON r.member_id = m.id WHERE m.organization_id = ${p(1)} AND m.user_id = ${p(2)}`,
        [organizationId, userId],
      )
    ).map((row: { role: string }) => row.role);

  it('an SSO login with a verified email on a verified domain joins as member, audited as a domain join', async () => {
    const org = await orgOnDomain(true);
    const userId = await ssoLogin(`ada@${org.domain}`, true);
    expect(await roles(org.id, userId)).toEqual(['member']);
    const events: Array<{ target_id: string }> = await t.dataSource.query(
      `SELECT target_id FROM audit_events WHERE organization_id = ${p(1)} AND action = 'organization.member.domain_join'`,
      [org.id],
    );
    expect(events).toEqual([{ target_id: userId }]);
  });

  it('an email the provider did not verify, or a domain not verified, joins nothing', async () => {
    const verifiedDomain = await orgOnDomain(true);
    expect(await roles(verifiedDomain.id, await ssoLogin(`bob@${verifiedDomain.domain}`, false))).toEqual([]);
    const unverifiedDomain = await orgOnDomain(false);
    expect(await roles(unverifiedDomain.id, await ssoLogin(`cy@${unverifiedDomain.domain}`, true))).toEqual([]);
  });
});
