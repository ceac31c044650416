import { Controller, Get, UseGuards } from '@nestjs/common';
import { CurrentOrg, CurrentPrincipal, FabricGuard, OrgScoped, type Principal, type PrincipalOrganization, RequirePermission } from 'nestjs-fabric-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, type TestApp } from '../support/test-app.js';
import { auth, orgWithOwner, startOrgApp } from './org-app.js';

/** A host route acting in the caller's active organization. */
@Controller('org-sa-probe')
@UseGuards(FabricGuard)
class OrgSaProbeController {
  @Get()
  @OrgScoped()
  @RequirePermission('reports:read')
  read(@CurrentOrg() org: PrincipalOrganization, @CurrentPrincipal() principal: Principal): { slug: string; roles: readonly string[]; kind: string } {
    return { slug: org.slug, roles: org.roles, kind: principal.kind };
  }
}

const payloadOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

// SPEC §15 "org-owned credentials": an organization's service account and its keys act in
// that organization only, with the org roles it holds there.
describe.each(DATABASES)("an organization's service accounts on %s", (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    const owner = ['org:manage', 'org:members:manage', 'org:roles:manage', 'org:audit:read', 'org:service-accounts:manage', 'reports:read'];
    t = await startOrgApp(kind, { organizations: { roles: { owner, sa_manager: ['org:service-accounts:manage'], reader: ['reports:read'], member: [] } } }, [OrgSaProbeController]);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const createSa = (org: string, token: string, body: Record<string, unknown>) => t.http.post(`${API}/orgs/${org}/service-accounts`).set(auth(token)).send(body);
  const createKey = (org: string, token: string, id: string, body: Record<string, unknown> = { name: 'k' }) =>
    t.http.post(`${API}/orgs/${org}/service-accounts/${id}/api-keys`).set(auth(token)).send(body);
  /** An organization with a service account holding `reader`, and one key of it. */
  async function orgWithKey(): Promise<{ slug: string; id: string; owner: Awaited<ReturnType<TestApp['actor']>>; sa: string; key: string; keyId: string }> {
    const org = await orgWithOwner(t, admin);
    const sa = await createSa(org.slug, org.owner.token, { name: 'ci-bot', roles: ['reader'] });
    expect(sa.status).toBe(201);
    const key = await createKey(org.slug, org.owner.token, sa.body.id as string);
    expect(key.status).toBe(201);
    return { ...org, sa: sa.body.id as string, key: key.body.key as string, keyId: key.body.id as string };
  }

  it('created under the ceiling; listed and read in its organization only; a name is per organization', async () => {
    const { slug, owner } = await orgWithOwner(t, admin);
    const manager = await t.actor();
    await t.http
      .post(`${API}/orgs/${slug}/members`)
      .set(auth(admin))
      .send({ username: manager.user.username, roles: ['sa_manager'] });
    // The manager holds org:service-accounts:manage but not reports:read: they cannot hand out reader.
    const tooRich = await createSa(slug, manager.token, { name: 'bot', roles: ['reader'] });
    expect(tooRich.status).toBe(403);
    expect(tooRich.body.message).toContain('reports:read');
    expect((await createSa(slug, owner.token, { name: 'bot', roles: ['owner'] })).status).toBe(400);
    expect((await createSa(slug, owner.token, { name: 'bot', roles: ['nope'] })).status).toBe(400);
    expect((await createSa(slug, owner.token, { name: 'Bad Name', roles: ['reader'] })).status).toBe(400);
    expect((await createSa(slug, owner.token, { name: 'bot', roles: [] })).status).toBe(400);
    // A plain member lacks the permission.
    const member = await t.actor();
    await t.http.post(`${API}/orgs/${slug}/members`).set(auth(admin)).send({ username: member.user.username });
    expect((await createSa(slug, member.token, { name: 'bot', roles: ['member'] })).status).toBe(403);

    const created = await createSa(slug, manager.token, { name: 'bot', roles: ['member'], description: 'nightly' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'bot', roles: ['member'], description: 'nightly' });
    expect((await createSa(slug, owner.token, { name: 'bot', roles: ['member'] })).status).toBe(409);
    // Another organization names its own account the same: nothing tells one about the other.
    const other = await orgWithOwner(t, admin);
    const same = await createSa(other.slug, other.owner.token, { name: 'bot' });
    expect(same.status).toBe(201);
    expect(same.body.roles).toEqual(['member']);

    const listed = await t.http.get(`${API}/orgs/${slug}/service-accounts`).set(auth(owner.token));
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((a: { id: string }) => a.id)).toEqual([created.body.id]);
    expect((await t.http.get(`${API}/orgs/${slug}/service-accounts/${created.body.id}`).set(auth(owner.token))).body.name).toBe('bot');
    // From another organization's path it does not exist; nor to a stranger.
    expect((await t.http.get(`${API}/orgs/${other.slug}/service-accounts/${created.body.id}`).set(auth(other.owner.token))).status).toBe(404);
    expect((await t.http.get(`${API}/orgs/${slug}/service-accounts`).set(auth(other.owner.token))).status).toBe(404);
    expect((await t.http.get(`${API}/orgs/${slug}/service-accounts/not-a-uuid`).set(auth(owner.token))).status).toBe(404);

    // The platform's /service-accounts neither lists nor reaches it.
    const global = await t.http.get(`${API}/service-accounts?limit=500`).set(auth(admin));
    expect(global.body.items.map((a: { id: string }) => a.id)).not.toContain(created.body.id);
    expect((await t.http.get(`${API}/service-accounts/${created.body.id}`).set(auth(admin))).status).toBe(404);
    expect((await t.http.post(`${API}/service-accounts/${created.body.id}/api-keys`).set(auth(admin)).send({ name: 'x' })).status).toBe(404);

    // A platform admin manages it, audited as such.
    const byAdmin = await createSa(slug, admin, { name: 'admin-made', roles: ['reader'] });
    expect(byAdmin.status).toBe(201);
    const events = await t.http.get(`${API}/audit?action=organization.service_account.create&limit=500`).set(auth(admin));
    const event = events.body.items.find((e: { target_id: string }) => e.target_id === byAdmin.body.id);
    expect(event.details).toMatchObject({ as_platform_admin: true, name: 'admin-made' });
  });

  it('its key acts in its organization on an @OrgScoped route, and nowhere else', async () => {
    const { slug, key } = await orgWithKey();
    const probe = await t.http.get('/org-sa-probe').set('x-api-key', key);
    expect(probe.status).toBe(200);
    expect(probe.body).toEqual({ slug, roles: ['reader'], kind: 'service_account' });
    // Global routes: it holds nothing globally.
    expect((await t.http.get(`${API}/users`).set('x-api-key', key)).status).toBe(403);
    expect((await t.http.get(`${API}/service-accounts`).set('x-api-key', key)).status).toBe(403);
    expect((await t.http.get(`${API}/audit`).set('x-api-key', key)).status).toBe(403);
    // Another organization's paths do not exist for it.
    const other = await orgWithOwner(t, admin);
    for (const path of ['', '/members', '/service-accounts', '/roles', '/invitations']) {
      expect((await t.http.get(`${API}/orgs/${other.slug}${path}`).set('x-api-key', key)).status).toBe(404);
    }
    expect(
      (
        await t.http
          .post(`${API}/orgs/${other.slug}/service-accounts`)
          .set('x-api-key', key)
          .send({ name: 'xy', roles: ['member'] })
      ).status,
    ).toBe(404);
  });

  it('cannot switch organization; a client-credentials token carries its organization', async () => {
    const { slug, id, sa, key } = await orgWithKey();
    const other = await orgWithOwner(t, admin);
    const viaKey = await t.http.post(`${API}/auth/token`).set('x-api-key', key).type('form').send({ grant_type: 'organization', organization: other.slug });
    expect(viaKey.status).toBe(400);
    expect(viaKey.body.error).toBe('invalid_grant');

    const minted = await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'client_credentials', client_id: sa, client_secret: key });
    expect(minted.status).toBe(200);
    const token = minted.body.access_token as string;
    expect(payloadOf(token)).toMatchObject({ sub: sa, gty: 'client_credentials', org: id });
    expect((await t.http.get('/org-sa-probe').set(auth(token))).body).toEqual({ slug, roles: ['reader'], kind: 'service_account' });
    expect((await t.http.get(`${API}/users`).set(auth(token))).status).toBe(403);
    const switched = await t.http.post(`${API}/auth/token`).set(auth(token)).type('form').send({ grant_type: 'organization', organization: other.slug });
    expect(switched.status).toBe(400);
    expect(switched.body.error).toBe('invalid_grant');
  });

  it('role changes, key revocation, account and organization deletion bite the next request', async () => {
    const { slug, owner, sa, key, keyId } = await orgWithKey();
    const second = (await createKey(slug, owner.token, sa)).body.key as string;
    const token = (await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'client_credentials', client_id: sa, client_secret: second })).body
      .access_token as string;
    expect((await t.http.get('/org-sa-probe').set('x-api-key', key)).status).toBe(200);
    expect((await createKey(slug, owner.token, sa, { name: 'scoped', scopes: ['reports:read'] })).status).toBe(400);
    const keys = await t.http.get(`${API}/orgs/${slug}/service-accounts/${sa}/api-keys`).set(auth(owner.token));
    expect(keys.body.items).toHaveLength(2);

    expect((await t.http.delete(`${API}/orgs/${slug}/service-accounts/${sa}/api-keys/${keyId}`).set(auth(owner.token))).status).toBe(204);
    expect((await t.http.get('/org-sa-probe').set('x-api-key', key)).status).toBe(401);
    expect((await t.http.get('/org-sa-probe').set('x-api-key', second)).status).toBe(200);
    expect((await t.http.get('/org-sa-probe').set(auth(token))).status).toBe(200);

    // The organization's own role, deleted, leaves the account without it.
    await t.http
      .post(`${API}/orgs/${slug}/roles`)
      .set(auth(owner.token))
      .send({ name: 'viewer', permissions: ['reports:read'] });
    const viewerSa = await createSa(slug, owner.token, { name: 'viewer-bot', roles: ['viewer'] });
    const viewerKey = (await createKey(slug, owner.token, viewerSa.body.id)).body.key as string;
    expect((await t.http.get('/org-sa-probe').set('x-api-key', viewerKey)).status).toBe(200);
    expect((await t.http.delete(`${API}/orgs/${slug}/roles/viewer`).set(auth(owner.token))).status).toBe(204);
    expect((await t.http.get('/org-sa-probe').set('x-api-key', viewerKey)).status).toBe(403);
    expect((await t.http.get(`${API}/orgs/${slug}/service-accounts/${viewerSa.body.id}`).set(auth(owner.token))).body.roles).toEqual([]);
    expect((await t.http.delete(`${API}/orgs/${slug}/service-accounts/${viewerSa.body.id}`).set(auth(owner.token))).status).toBe(204);
    expect((await t.http.get('/org-sa-probe').set('x-api-key', viewerKey)).status).toBe(401);
    expect((await t.http.get(`${API}/orgs/${slug}/service-accounts/${viewerSa.body.id}`).set(auth(owner.token))).status).toBe(404);

    expect((await t.http.delete(`${API}/orgs/${slug}`).set(auth(owner.token))).status).toBe(204);
    expect((await t.http.get('/org-sa-probe').set('x-api-key', second)).status).toBe(401);
    expect((await t.http.get('/org-sa-probe').set(auth(token))).status).toBe(401);
  });
});
