import { Controller, Get, UseGuards } from '@nestjs/common';
import { CurrentOrg, FabricGuard, OrgScoped, type PrincipalOrganization } from 'nestjs-fabric-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { steppedUpSession, userWithTotp } from '../support/mfa.js';
import { API, DATABASES, type TestApp } from '../support/test-app.js';
import { auth, orgWithOwner, slug, startOrgApp } from './org-app.js';

@Controller('org-here')
@UseGuards(FabricGuard)
class OrgHereController {
  @Get()
  @OrgScoped()
  here(@CurrentOrg() org: PrincipalOrganization): { slug: string } {
    return { slug: org.slug };
  }
}

// SPEC §15, join rules: auto_join_domains at login, and an organization's mfa_required.
describe.each(DATABASES)('organization join rules on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  const p = (n: number) => (kind.startsWith('postgres') ? `$${n}` : '?');
  beforeAll(async () => {
    t = await startOrgApp(kind, { organizations: { autoJoinDomains: true } }, [OrgHereController]);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  /** An organization claiming a fresh domain, verified by the platform admin unless told otherwise. */
  async function orgOnDomain(verified = true): Promise<{ slug: string; id: string; domain: string }> {
    const org = await orgWithOwner(t, admin);
    const domain = `${slug('dom')}.example`;
    const patched = await t.http
      .patch(`${API}/orgs/${org.slug}`)
      .set(auth(admin))
      .send({ domains: [{ domain, verified }] });
    expect(patched.status).toBe(200);
    return { ...org, domain };
  }

  async function userAt(domain: string, emailVerified = true): Promise<{ id: string; username: string; password: string }> {
    const { user, password } = await t.createUser();
    await t.dataSource.query(`UPDATE users SET email = ${p(1)}, email_verified = ${p(2)} WHERE id = ${p(3)}`, [`${user.username}@${domain}`, emailVerified, user.id]);
    return { id: user.id, username: user.username, password };
  }

  const memberships = async (organizationId: string, userId: string): Promise<string[]> =>
    (
      await t.dataSource.query(
        `SELECT r.role FROM organization_members m LEFT JOIN organization_member_roles r ON r.member_id = m.id WHERE m.organization_id = ${p(1)} AND m.user_id = ${p(2)}`,
        [organizationId, userId],
      )
    ).map((row: { role: string | null }) => row.role);

  it('a verified email on a verified domain joins as member at the next login, once, audited with the organization', async () => {
    const org = await orgOnDomain();
    const user = await userAt(org.domain);
    expect(await memberships(org.id, user.id)).toEqual([]);
    const first = await t.login(user.username, user.password);
    expect(await memberships(org.id, user.id)).toEqual(['member']);
    // The login's own token acts there at once.
    const switched = await t.http.post(`${API}/auth/token`).set(auth(first.access_token)).type('form').send({ grant_type: 'organization', organization: org.slug });
    expect(switched.status).toBe(200);
    await t.login(user.username, user.password);
    expect(await memberships(org.id, user.id)).toEqual(['member']);
    const events: Array<{ action: string; target_id: string }> = await t.dataSource.query(
      `SELECT action, target_id FROM audit_events WHERE organization_id = ${p(1)} AND action = 'organization.member.domain_join'`,
      [org.id],
    );
    expect(events).toEqual([{ action: 'organization.member.domain_join', target_id: user.id }]);
  });

  it('parallel logins give one membership', async () => {
    const org = await orgOnDomain();
    const user = await userAt(org.domain);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'password', username: user.username, password: user.password })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
    expect(await memberships(org.id, user.id)).toEqual(['member']);
  });

  it('an unverified email, an unverified domain, or a member who left: no join', async () => {
    const claimed = await orgOnDomain(false);
    const onUnverifiedDomain = await userAt(claimed.domain);
    await t.login(onUnverifiedDomain.username, onUnverifiedDomain.password);
    expect(await memberships(claimed.id, onUnverifiedDomain.id)).toEqual([]);

    const org = await orgOnDomain();
    const unverified = await userAt(org.domain, false);
    await t.login(unverified.username, unverified.password);
    expect(await memberships(org.id, unverified.id)).toEqual([]);
  });

  it('with mfa_required, a member whose login used no second factor cannot act in the organization; one who used it can', async () => {
    const { slug: name, owner } = await orgWithOwner(t, admin);
    const enrolled = await userWithTotp(t);
    await t.http.post(`${API}/orgs/${name}/members`).set(auth(admin)).send({ username: enrolled.username });
    const beforeTokens = (await t.http.post(`${API}/auth/token`).set(auth(owner.token)).type('form').send({ grant_type: 'organization', organization: name })).body
      .access_token as string;
    expect((await t.http.get('/org-here').set(auth(beforeTokens))).status).toBe(200);

    // A member turns it on only from a session with a second factor (never locking themself out); a platform admin may.
    const notFromHere = await t.http.patch(`${API}/orgs/${name}`).set(auth(owner.token)).send({ mfa_required: true });
    expect(notFromHere.status).toBe(403);
    expect(notFromHere.body.error).toBe('mfa_required');
    expect((await t.http.patch(`${API}/orgs/${name}`).set(auth(admin)).send({ mfa_required: true })).status).toBe(200);
    // The organization's own routes want the factor too.
    const ownRoutes = await t.http.get(`${API}/orgs/${name}/members`).set(auth(owner.token));
    expect(ownRoutes.status).toBe(403);
    expect(ownRoutes.body.error).toBe('mfa_required');
    // A token switched in before: refused on its next request.
    const stale = await t.http.get('/org-here').set(auth(beforeTokens));
    expect(stale.status).toBe(403);
    expect(stale.body.error).toBe('organization_required');
    // Switching in without a second factor: the grant says why.
    const refused = await t.http.post(`${API}/auth/token`).set(auth(owner.token)).type('form').send({ grant_type: 'organization', organization: name });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('mfa_required');
    expect(refused.body.error_description).toMatch(/second factor/);
    // The session keeps working outside the organization.
    expect((await t.http.get(`${API}/users/${owner.user.username}`).set(auth(owner.token))).status).toBe(200);

    const withFactor = await steppedUpSession(t, enrolled);
    const switched = await t.http.post(`${API}/auth/token`).set(auth(withFactor.access_token)).type('form').send({ grant_type: 'organization', organization: name });
    expect(switched.status).toBe(200);
    expect((await t.http.get('/org-here').set(auth(switched.body.access_token))).body).toEqual({ slug: name });
    // The path alone naming it, the factor is found by the page's own statement.
    const listed = await t.http.get(`${API}/orgs/${name}/members`).set(auth(withFactor.access_token));
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((m: { username: string }) => m.username)).toContain(enrolled.username);
    expect((await t.http.get(`${API}/orgs/${name}/members`).set(auth(withFactor.access_token))).status).toBe(200);
  });

  it('with mfa_required, a member without a factor signs in to an enrolment-only session, as auth.mfa.required_for gives; once out of it, a plain session', async () => {
    const { slug: name } = await orgWithOwner(t, admin);
    const { user, password } = await t.createUser({ roles: ['viewer'] });
    expect((await t.http.post(`${API}/orgs/${name}/members`).set(auth(admin)).send({ username: user.username })).status).toBe(201);
    expect((await t.http.patch(`${API}/orgs/${name}`).set(auth(admin)).send({ mfa_required: true })).status).toBe(200);
    const login = () => t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'password', username: user.username, password });

    const limited = await login();
    expect(limited.status).toBe(200);
    expect(limited.body.mfa_enrollment_required).toBe(true);
    const elsewhere = await t.http.get(`${API}/users/${user.username}`).set(auth(limited.body.access_token as string));
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error).toBe('mfa_enrollment_required');

    expect((await t.http.delete(`${API}/orgs/${name}/members/${user.username}`).set(auth(admin))).status).toBe(204);
    const plain = await login();
    expect(plain.status).toBe(200);
    expect(plain.body.mfa_enrollment_required).toBeUndefined();
    expect((await t.http.get(`${API}/users/${user.username}`).set(auth(plain.body.access_token as string))).status).toBe(200);
  });
});
