import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, type TestApp } from '../support/test-app.js';
import { auth, orgWithOwner, slug, startOrgApp } from './org-app.js';

describe.each(DATABASES)('organizations on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startOrgApp(kind);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  it('creates (the creator becomes owner), reads by slug or id, lists, changes and deletes an organization', async () => {
    const creator = await t.actor(['org_creator']);
    const name = slug('Acme');
    const created = await t.http
      .post(`${API}/orgs`)
      .set(auth(creator.token))
      .send({ slug: name, name: 'Acme Corporation', domains: ['Acme.Example'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ slug: name.toLowerCase(), name: 'Acme Corporation', domains: [{ domain: 'acme.example', verified: false }], mfa_required: false });
    const { id } = created.body as { id: string };
    expect((await t.http.get(`${API}/orgs/${id}`).set(auth(creator.token))).body.slug).toBe(name.toLowerCase());
    expect((await t.http.get(`${API}/orgs/${name.toUpperCase()}`).set(auth(creator.token))).body.id).toBe(id);

    const mine = await t.http.get(`${API}/orgs`).set(auth(creator.token));
    expect(mine.status).toBe(200);
    expect(mine.body.items).toEqual([expect.objectContaining({ id, roles: ['owner'] })]);

    const members = await t.http.get(`${API}/orgs/${id}/members`).set(auth(creator.token));
    expect(members.body.items).toEqual([expect.objectContaining({ username: creator.user.username, roles: ['owner'] })]);

    const renamed = slug('renamed');
    const patched = await t.http
      .patch(`${API}/orgs/${id}`)
      .set(auth(creator.token))
      .send({ name: 'Acme Inc.', slug: renamed, domains: [{ domain: 'acme.example' }, { domain: 'acme.test' }] });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      slug: renamed,
      name: 'Acme Inc.',
      domains: [
        { domain: 'acme.example', verified: false },
        { domain: 'acme.test', verified: false },
      ],
    });
    expect((await t.http.get(`${API}/orgs/${name}`).set(auth(creator.token))).status).toBe(404);

    expect((await t.http.delete(`${API}/orgs/${renamed}`).set(auth(creator.token))).status).toBe(204);
    expect((await t.http.get(`${API}/orgs/${id}`).set(auth(creator.token))).status).toBe(404);
    const rows = await t.dataSource.query(`SELECT COUNT(*) AS n FROM organization_members WHERE organization_id = ${kind.startsWith('postgres') ? '$1' : '?'}`, [id]);
    expect(Number(rows[0].n)).toBe(0);
  });

  it('audits every change with the organization id', async () => {
    const { id, owner } = await orgWithOwner(t, admin);
    await t.http.patch(`${API}/orgs/${id}`).set(auth(owner.token)).send({ name: 'Audited' });
    const events: Array<{ action: string; details: string | null }> = await t.dataSource.query(
      `SELECT action, details FROM audit_events WHERE organization_id = ${kind.startsWith('postgres') ? '$1' : '?'} ORDER BY occurred_at, action`,
      [id],
    );
    expect(events.map((e) => e.action)).toEqual(['organization.create', 'organization.modify']);
    // The platform admin created it through orgs:create (no org role of its own): nothing to mark there; the owner's change is a member's.
    expect(events[1].details).not.toContain('as_platform_admin');
  });

  it('needs orgs:create, unless self-service; a non-user creator must name an owner', async () => {
    const plain = await t.actor();
    const refused = await t.http.post(`${API}/orgs`).set(auth(plain.token)).send({ slug: slug(), name: 'Nope' });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe('Missing permission: orgs:create');
    const creator = await t.actor(['org_creator']);
    const other = await t.actor();
    const forOther = await t.http.post(`${API}/orgs`).set(auth(creator.token)).send({ slug: slug(), name: 'Theirs', owner: other.user.username });
    expect(forOther.status).toBe(201);
    expect((await t.http.get(`${API}/orgs/${forOther.body.id}`).set(auth(other.token))).status).toBe(200);
    // The creator named someone else: they are not a member, so the organization is not theirs to see.
    expect((await t.http.get(`${API}/orgs/${forOther.body.id}`).set(auth(creator.token))).status).toBe(404);
  });

  it('refuses a slug that is malformed, taken, or differs only by case or look-alike characters (nothing created)', async () => {
    const creator = await t.actor(['org_creator']);
    const base = `acme${process.pid}x`;
    expect((await t.http.post(`${API}/orgs`).set(auth(creator.token)).send({ slug: base, name: 'First' })).status).toBe(201);
    for (const twin of [base, base.toUpperCase(), base.replace('m', 'rn'), `ａｃｍｅ${process.pid}x`]) {
      const answer = await t.http.post(`${API}/orgs`).set(auth(creator.token)).send({ slug: twin, name: 'Twin' });
      expect(answer.status, twin).toBe(409);
      expect(answer.body.message).toMatch(/taken, or too like an existing one/);
    }
    const digits = `g00gle${process.pid}`;
    expect((await t.http.post(`${API}/orgs`).set(auth(creator.token)).send({ slug: digits, name: 'Digits' })).status).toBe(201);
    expect(
      (
        await t.http
          .post(`${API}/orgs`)
          .set(auth(creator.token))
          .send({ slug: `google${process.pid}`, name: 'Letters' })
      ).status,
    ).toBe(409);
    for (const bad of ['a', '-acme', 'acme-', 'ac me', 'аcme', 'ac\u200bme', 'x'.repeat(64), '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17', 42, null, ['acme']]) {
      const answer = await t.http.post(`${API}/orgs`).set(auth(creator.token)).send({ slug: bad, name: 'Bad' });
      expect(answer.status, JSON.stringify(bad)).toBe(400);
    }
    const mine = await t.http.get(`${API}/orgs?limit=500`).set(auth(creator.token));
    expect(mine.body.total).toBe(2);
  });

  it('refuses other bad input with a 4xx that changes nothing, never a 500', async () => {
    const { slug: name, owner } = await orgWithOwner(t, admin);
    const cases: Array<[string, string, unknown]> = [
      ['post', `${API}/orgs`, { slug: slug(), name: '' }],
      ['post', `${API}/orgs`, { slug: slug(), name: 'x', extra: true }],
      ['post', `${API}/orgs`, { slug: slug(), name: 'x', domains: ['not a domain'] }],
      ['post', `${API}/orgs`, { slug: slug(), name: 'x', domains: ['ex\u00adample.com'] }],
      ['post', `${API}/orgs`, { slug: slug(), name: 'a\u202eb' }],
      ['post', `${API}/orgs`, { slug: slug(), name: 'x\u0000' }],
      ['patch', `${API}/orgs/${name}`, { mfa_required: 'yes' }],
      ['patch', `${API}/orgs/${name}`, { domains: [{ domain: 'acme.example', verified: 'true' }] }],
      ['patch', `${API}/orgs/${name}`, { name: { $ne: null } }],
      ['get', `${API}/orgs?limit=1000`, undefined],
      ['get', `${API}/orgs?cursor=forged.cursor`, undefined],
      ['get', `${API}/orgs?scope=everything`, undefined],
    ];
    for (const [method, path, body] of cases) {
      const answer = await (t.http as unknown as Record<string, (p: string) => import('supertest').Test>)
        [method](path)
        .set(auth(owner.token))
        .send(body as object);
      expect(answer.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
    }
    expect((await t.http.get(`${API}/orgs/${name}`).set(auth(owner.token))).body).toMatchObject({ name: `Org ${name}`, mfa_required: false, domains: [] });
    // Only a platform admin verifies a domain.
    const verify = await t.http
      .patch(`${API}/orgs/${name}`)
      .set(auth(owner.token))
      .send({ domains: [{ domain: 'acme.example', verified: true }] });
    expect(verify.status).toBe(403);
    const verified = await t.http
      .patch(`${API}/orgs/${name}`)
      .set(auth(admin))
      .send({ domains: [{ domain: `v${process.pid}.example`, verified: true }] });
    expect(verified.body.domains).toEqual([{ domain: `v${process.pid}.example`, verified: true }]);
    const other = await orgWithOwner(t, admin);
    const claimed = await t.http
      .patch(`${API}/orgs/${other.slug}`)
      .set(auth(admin))
      .send({ domains: [{ domain: `v${process.pid}.example`, verified: true }] });
    expect(claimed.status).toBe(409);
  });

  it('a non-member gets 404 for an existing organization, like for an unknown one (no existence oracle)', async () => {
    const { slug: name, id } = await orgWithOwner(t, admin);
    const stranger = await t.actor(['viewer']);
    const paths = [`/orgs/${name}`, `/orgs/${id}`, `/orgs/${name}/members`, `/orgs/${name}/invitations`, `/orgs/${name}/roles`, `/orgs/${name}/members/admin`];
    for (const path of paths) {
      const existing = await t.http.get(`${API}${path}`).set(auth(stranger.token));
      const unknown = await t.http.get(`${API}${path.replace(name, slug('nowhere')).replace(id, '00000000-0000-4000-8000-000000000000')}`).set(auth(stranger.token));
      expect(existing.status, path).toBe(404);
      expect(existing.body, path).toEqual(unknown.body);
    }
    const writes: Array<['patch' | 'delete' | 'post', string, object]> = [
      ['patch', `/orgs/${name}`, { name: 'Taken over' }],
      ['delete', `/orgs/${name}`, {}],
      ['post', `/orgs/${name}/members`, { username: stranger.user.username }],
      ['post', `/orgs/${name}/invitations`, { email: 'someone@example.test' }],
      ['post', `/orgs/${name}/roles`, { name: 'spy', permissions: [] }],
      ['patch', `/orgs/${name}/members/admin`, { roles: ['owner'] }],
      ['delete', `/orgs/${name}/members/admin`, {}],
      ['delete', `/orgs/${name}/invitations/00000000-0000-4000-8000-000000000000`, {}],
    ];
    for (const [method, path, body] of writes) {
      const existing = await t.http[method](`${API}${path}`).set(auth(stranger.token)).send(body);
      const unknown = await t.http[method](`${API}${path.replace(name, slug('nowhere'))}`)
        .set(auth(stranger.token))
        .send(body);
      expect(existing.status, `${method} ${path}`).toBe(404);
      expect(existing.body, `${method} ${path}`).toEqual(unknown.body);
    }
    expect((await t.http.get(`${API}/orgs/${name}`).set(auth(admin))).body.name).toBe(`Org ${name}`);
    expect((await t.http.get(`${API}/orgs/${name}`)).status).toBe(401);
  });

  it('lists: your own by default, every one with orgs:list (refused without), cursor-paged and bound to its list', async () => {
    const lister = await t.actor(['org_lister']);
    const member = await t.actor(['org_creator']);
    for (let i = 0; i < 3; i++)
      await t.http
        .post(`${API}/orgs`)
        .set(auth(member.token))
        .send({ slug: slug('page'), name: `Page ${i}` });
    const first = await t.http.get(`${API}/orgs?limit=2`).set(auth(member.token));
    expect(first.body.items).toHaveLength(2);
    expect(first.body.total).toBe(3);
    const second = await t.http.get(`${API}/orgs?limit=2&cursor=${first.body.next_cursor}`).set(auth(member.token));
    expect(second.body.items).toHaveLength(1);
    expect(second.body.next_cursor).toBeNull();
    // Another user's cursor walks nothing of theirs: it was made for another list.
    expect((await t.http.get(`${API}/orgs?limit=2&cursor=${first.body.next_cursor}`).set(auth(lister.token))).status).toBe(400);
    expect((await t.http.get(`${API}/orgs?scope=member&limit=2&cursor=${first.body.next_cursor}`).set(auth(lister.token))).status).toBe(400);
    expect((await t.http.get(`${API}/orgs?scope=all`).set(auth(member.token))).status).toBe(403);
    const all = await t.http.get(`${API}/orgs?limit=500`).set(auth(lister.token));
    expect(all.status).toBe(200);
    expect(all.body.total).toBeGreaterThanOrEqual(3);
    expect(all.body.items[0]).not.toHaveProperty('roles');
    // orgs:list reads an organization, not its members.
    expect((await t.http.get(`${API}/orgs/${all.body.items[0].id}`).set(auth(lister.token))).status).toBe(200);
    expect((await t.http.get(`${API}/orgs/${all.body.items[0].id}/members`).set(auth(lister.token))).status).toBe(404);
  });

  it('deleting is for owners; a platform admin acts on any organization, audited as such', async () => {
    const { slug: name, id } = await orgWithOwner(t, admin);
    const adminMember = await t.actor();
    await t.http
      .post(`${API}/orgs/${name}/members`)
      .set(auth(admin))
      .send({ username: adminMember.user.username, roles: ['admin'] });
    const refused = await t.http.delete(`${API}/orgs/${name}`).set(auth(adminMember.token));
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe('Only an owner of the organization may do this');
    const platform = await t.actor(['platform_admin']);
    expect((await t.http.patch(`${API}/orgs/${name}`).set(auth(platform.token)).send({ name: 'Rescued' })).status).toBe(200);
    expect((await t.http.delete(`${API}/orgs/${name}`).set(auth(platform.token))).status).toBe(204);
    const events: Array<{ action: string; details: string }> = await t.dataSource.query(
      `SELECT action, details FROM audit_events WHERE organization_id = ${kind.startsWith('postgres') ? '$1' : '?'} AND actor_id = ${kind.startsWith('postgres') ? '$2' : '?'} ORDER BY occurred_at`,
      [id, platform.user.id],
    );
    expect(events.map((e) => [e.action, JSON.parse(e.details).as_platform_admin])).toEqual([
      ['organization.modify', true],
      ['organization.delete', true],
    ]);
  });

  it('self-service lets any signed-in user create one, never through an API key', async () => {
    const own = await startOrgApp(kind, { organizations: { selfService: true } });
    try {
      const user = await own.actor();
      expect((await own.http.post(`${API}/orgs`).set(auth(user.token)).send({ slug: slug(), name: 'Mine' })).status).toBe(201);
      const named = await own.http.post(`${API}/orgs`).set(auth(user.token)).send({ slug: slug(), name: 'Theirs', owner: 'admin' });
      expect(named.status).toBe(403);
      const key = await own.http
        .post(`${API}/users/${user.user.username}/api-keys`)
        .set(auth(await own.adminToken()))
        .send({ name: 'k' });
      expect(key.status).toBe(201);
      expect((await own.http.post(`${API}/orgs`).set({ 'x-api-key': key.body.key }).send({ slug: slug(), name: 'ByKey' })).status).toBe(403);
    } finally {
      await own.close();
    }
  });
});
