import { Controller, Get, UseGuards } from '@nestjs/common';
import { CurrentOrg, FabricGuard, OrgScoped, type PrincipalOrganization, RequirePermission } from 'nestjs-fabric-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, type TestApp } from '../support/test-app.js';
import { auth, orgWithOwner, startOrgApp } from './org-app.js';

/** A host route acting in the caller's active organization, with an app permission granted by an org role. */
@Controller('org-probe')
@UseGuards(FabricGuard)
class OrgProbeController {
  @Get()
  @OrgScoped()
  @RequirePermission('reports:read')
  read(@CurrentOrg() org: PrincipalOrganization): { slug: string; roles: readonly string[] } {
    return { slug: org.slug, roles: org.roles };
  }
}

// The feature provides the core's OrganizationAccess port: grant_type=organization and an
// access token's `org` read memberships as they are now.
describe.each(DATABASES)('the active organization on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    const owner = ['org:manage', 'org:members:manage', 'org:roles:manage', 'org:audit:read', 'org:service-accounts:manage', 'reports:read'];
    t = await startOrgApp(kind, { organizations: { roles: { owner, reader: ['reports:read'], member: [] } } }, [OrgProbeController]);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const switchTo = (token: string, organization: string) => t.http.post(`${API}/auth/token`).set(auth(token)).type('form').send({ grant_type: 'organization', organization });

  it('a member switches into it; an org role grants the app permission there; leaving it takes effect at once', async () => {
    const { slug, id, owner } = await orgWithOwner(t, admin);
    const bob = await t.actor();
    await t.http
      .post(`${API}/orgs/${slug}/members`)
      .set(auth(admin))
      .send({ username: bob.user.username, roles: ['reader'] });
    const switched = await switchTo(bob.token, slug);
    expect(switched.status).toBe(200);
    expect(switched.body.organization).toBe(slug);
    const scoped = switched.body.access_token as string;
    expect(JSON.parse(Buffer.from(scoped.split('.')[1], 'base64url').toString()).org).toBe(id);
    expect((await t.http.get('/org-probe').set(auth(scoped))).body).toEqual({ slug, roles: ['reader'] });
    // Without an active organization, the same route is refused.
    expect((await t.http.get('/org-probe').set(auth(bob.token))).status).toBe(403);

    // A role change bites the next request.
    await t.http
      .patch(`${API}/orgs/${slug}/members/${bob.user.username}`)
      .set(auth(owner.token))
      .send({ roles: ['member'] });
    expect((await t.http.get('/org-probe').set(auth(scoped))).status).toBe(403);
    await t.http
      .patch(`${API}/orgs/${slug}/members/${bob.user.username}`)
      .set(auth(owner.token))
      .send({ roles: ['reader'] });
    expect((await t.http.get('/org-probe').set(auth(scoped))).status).toBe(200);
    // So does removal.
    await t.http.delete(`${API}/orgs/${slug}/members/${bob.user.username}`).set(auth(owner.token));
    const removed = await t.http.get('/org-probe').set(auth(scoped));
    expect(removed.status).toBe(403);
    expect(removed.body.error).toBe('organization_required');
  });

  it('a non-member and an unknown organization get the same refusal', async () => {
    const { slug } = await orgWithOwner(t, admin);
    const stranger = await t.actor();
    const member = await switchTo(stranger.token, slug);
    const unknown = await switchTo(stranger.token, 'no-such-org-anywhere');
    expect(member.status).toBe(400);
    expect(member.body).toEqual(unknown.body);
  });

  it('deleting the organization ends what tokens acting in it may do', async () => {
    const { slug, owner } = await orgWithOwner(t, admin);
    const scoped = (await switchTo(owner.token, slug)).body.access_token as string;
    expect((await t.http.get('/org-probe').set(auth(scoped))).status).toBe(200);
    expect((await t.http.delete(`${API}/orgs/${slug}`).set(auth(owner.token))).status).toBe(204);
    expect((await t.http.get('/org-probe').set(auth(scoped))).status).toBe(403);
  });
});
