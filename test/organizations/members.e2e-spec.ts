import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, type TestApp } from '../support/test-app.js';
import { acquaint, auth, itOnPostgres, orgWithOwner, startOrgApp } from './org-app.js';

describe.each(DATABASES)('organization members and roles on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startOrgApp(kind);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const members = (org: string, token: string) => t.http.get(`${API}/orgs/${org}/members?limit=500`).set(auth(token));
  const add = (org: string, token: string, username: string, roles?: string[]) =>
    t.http
      .post(`${API}/orgs/${org}/members`)
      .set(auth(token))
      .send({ username, ...(roles ? { roles } : {}) });

  it('adds, reads, changes and removes members; a member reads the list, emails only for managers', async () => {
    const { slug, owner } = await orgWithOwner(t, admin);
    const bob = await t.actor();
    // A manager adds directly only an account they share an organization with: any other answers as an unknown one.
    const unknown = await add(slug, owner.token, 'nobody-here');
    expect(unknown.status).toBe(404);
    expect(await add(slug, owner.token, bob.user.username)).toMatchObject({ status: 404, body: unknown.body });
    await acquaint(t, admin, owner.user.username, bob.user.username);
    const added = await add(slug, owner.token, bob.user.username.toUpperCase());
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ username: bob.user.username, roles: ['member'], email: bob.user.email });
    expect((await add(slug, owner.token, bob.user.username)).status).toBe(409);

    const seenByBob = await members(slug, bob.token);
    expect(seenByBob.status).toBe(200);
    expect(seenByBob.body.items.map((m: { username: string }) => m.username)).toEqual([owner.user.username, bob.user.username]);
    expect(seenByBob.body.items[0]).not.toHaveProperty('email');
    expect((await members(slug, owner.token)).body.items[0].email).toBe(owner.user.email);

    const promoted = await t.http
      .patch(`${API}/orgs/${slug}/members/${bob.user.username}`)
      .set(auth(owner.token))
      .send({ roles: ['admin', 'member'] });
    expect(promoted.body.roles).toEqual(['admin', 'member']);
    expect((await t.http.get(`${API}/orgs/${slug}/members/${bob.user.username}`).set(auth(bob.token))).body.roles).toEqual(['admin', 'member']);
    expect((await t.http.delete(`${API}/orgs/${slug}/members/${bob.user.username}`).set(auth(owner.token))).status).toBe(204);
    expect((await members(slug, bob.token)).status).toBe(404);
  });

  it('a member’s page names the organization by slug or id as their token acting in it does; a cursor of another organization is refused', async () => {
    const a = await orgWithOwner(t, admin);
    const b = await orgWithOwner(t, admin);
    const manager = await t.actor();
    const other = await t.actor();
    // A role of the organization's own granting org:members:manage shows emails as the template's admin does.
    await t.http
      .post(`${API}/orgs/${a.slug}/roles`)
      .set(auth(a.owner.token))
      .send({ name: 'mailer', permissions: ['org:members:manage'] });
    expect((await add(a.slug, admin, manager.user.username, ['mailer'])).status).toBe(201);
    expect((await add(a.slug, admin, other.user.username)).status).toBe(201);
    expect((await add(b.slug, admin, manager.user.username)).status).toBe(201);
    const switched = await t.http.post(`${API}/auth/token`).set(auth(manager.token)).type('form').send({ grant_type: 'organization', organization: a.slug });
    expect(switched.status).toBe(200);
    const inA = switched.body.access_token as string;
    const page = (org: string, token: string, query = 'limit=2') => t.http.get(`${API}/orgs/${org}/members?${query}`).set(auth(token));

    // The same bytes, cursor included, whether the token acts in the organization or the path alone names it.
    const acting = await page(a.slug, inA);
    expect(acting.status).toBe(200);
    expect(acting.body.items.map((m: { email?: string }) => m.email)).toEqual([a.owner.user.email, manager.user.email]);
    for (const ref of [a.slug, a.id, a.slug.toUpperCase()]) {
      const named = await page(ref, manager.token);
      expect(named.status).toBe(200);
      expect(named.text).toBe(acting.text);
    }
    const next = `limit=2&cursor=${encodeURIComponent(acting.body.next_cursor as string)}`;
    const actingNext = await page(a.slug, inA, next);
    expect(actingNext.body.items.map((m: { username: string }) => m.username)).toEqual([other.user.username]);
    expect((await page(a.id, manager.token, next)).text).toBe(actingNext.text);

    // A's cursor on B, where the caller is a member too: refused, not a page of B.
    const crossed = await page(b.slug, manager.token, next);
    expect(crossed.status).toBe(400);
    expect(crossed.body.message).toMatch(/another list, sort or filter/);
    // Where the caller is nobody, A's cursor answers as an unknown organization does.
    const unknown = await page(`no-such-${a.slug}`, other.token);
    expect(unknown.status).toBe(404);
    for (const ref of [b.slug, b.id]) {
      for (const query of ['limit=2', next]) expect(await page(ref, other.token, query)).toMatchObject({ status: 404, body: unknown.body });
    }
    expect(await page('00000000-0000-4000-8000-000000000000', other.token, next)).toMatchObject({ status: 404, body: unknown.body });
  });

  it('the ceiling: nobody grants an org role holding more than they hold there; only owners hand out owner', async () => {
    const { slug, owner } = await orgWithOwner(t, admin);
    const manager = await t.actor();
    await t.http
      .post(`${API}/orgs/${slug}/roles`)
      .set(auth(owner.token))
      .send({ name: 'inviter', permissions: ['org:members:manage'] });
    await add(slug, admin, manager.user.username, ['inviter']);
    const target = await t.actor();
    const newcomer = await t.actor();
    await acquaint(t, admin, manager.user.username, target.user.username, newcomer.user.username);

    const tooRich = await add(slug, manager.token, target.user.username, ['admin']);
    expect(tooRich.status).toBe(403);
    expect(tooRich.body.message).toBe('Cannot grant these roles: you do not hold org:audit:read, org:roles:manage, org:service-accounts:manage in this organization');
    expect((await add(slug, manager.token, target.user.username, ['owner'])).status).toBe(403);
    expect((await add(slug, manager.token, target.user.username, ['member'])).status).toBe(201);
    expect((await add(slug, manager.token, newcomer.user.username, ['inviter'])).status).toBe(201);
    // Nor promote someone (themselves included) beyond it, nor act on a richer member.
    expect(
      (
        await t.http
          .patch(`${API}/orgs/${slug}/members/${manager.user.username}`)
          .set(auth(manager.token))
          .send({ roles: ['admin'] })
      ).status,
    ).toBe(403);
    expect((await t.http.delete(`${API}/orgs/${slug}/members/${owner.user.username}`).set(auth(manager.token))).status).toBe(403);
    expect(
      (
        await t.http
          .patch(`${API}/orgs/${slug}/members/${owner.user.username}`)
          .set(auth(manager.token))
          .send({ roles: ['member'] })
      ).status,
    ).toBe(403);
    // An admin (everything but org:manage) still cannot make an owner.
    const adminMember = await t.actor();
    await add(slug, admin, adminMember.user.username, ['admin']);
    expect(
      (
        await t.http
          .patch(`${API}/orgs/${slug}/members/${target.user.username}`)
          .set(auth(adminMember.token))
          .send({ roles: ['owner'] })
      ).status,
    ).toBe(403);
    // Without org:members:manage, nothing at all.
    expect((await add(slug, target.token, (await t.actor()).user.username)).status).toBe(403);
    expect((await members(slug, owner.token)).body.total).toBe(5);
  });

  it('the last owner cannot leave, be removed or be demoted; with a second owner they can', async () => {
    const { slug, owner } = await orgWithOwner(t, admin);
    const leave = await t.http.delete(`${API}/orgs/${slug}/members/${owner.user.username}`).set(auth(owner.token));
    expect(leave.status).toBe(409);
    expect(leave.body.message).toBe('An organization keeps at least one owner: make someone else owner first');
    expect(
      (
        await t.http
          .patch(`${API}/orgs/${slug}/members/${owner.user.username}`)
          .set(auth(owner.token))
          .send({ roles: ['admin'] })
      ).status,
    ).toBe(409);
    expect((await t.http.delete(`${API}/orgs/${slug}/members/${owner.user.username}`).set(auth(admin))).status).toBe(409);

    const second = await t.actor();
    await add(slug, admin, second.user.username, ['owner']);
    expect(
      (
        await t.http
          .patch(`${API}/orgs/${slug}/members/${owner.user.username}`)
          .set(auth(owner.token))
          .send({ roles: ['member'] })
      ).status,
    ).toBe(200);
    expect((await t.http.delete(`${API}/orgs/${slug}/members/${second.user.username}`).set(auth(second.token))).status).toBe(409);
    // A plain member leaves on their own.
    expect((await t.http.delete(`${API}/orgs/${slug}/members/${owner.user.username}`).set(auth(owner.token))).status).toBe(204);
  });

  itOnPostgres(kind, 'two owners demoting each other at once keep one owner (PostgreSQL)', async () => {
    for (let round = 0; round < 5; round++) {
      const { slug, owner } = await orgWithOwner(t, admin);
      const second = await t.actor();
      await add(slug, admin, second.user.username, ['owner']);
      const answers = await Promise.all([
        t.http
          .patch(`${API}/orgs/${slug}/members/${second.user.username}`)
          .set(auth(owner.token))
          .send({ roles: ['member'] }),
        t.http
          .patch(`${API}/orgs/${slug}/members/${owner.user.username}`)
          .set(auth(second.token))
          .send({ roles: ['member'] }),
        t.http.delete(`${API}/orgs/${slug}/members/${owner.user.username}`).set(auth(owner.token)),
      ]);
      // No 409 is a possible outcome too: the second owner demotes the first, whose own change then lacks the permission (403) and who leaves as a plain member (204).
      expect(answers.every((a) => [200, 204, 403, 404, 409].includes(a.status))).toBe(true);
      const owners = (await members(slug, admin)).body.items.filter((m: { roles: string[] }) => m.roles.includes('owner'));
      expect(owners).toHaveLength(1);
    }
  });

  itOnPostgres(kind, 'parallel role changes end in one requested set, never a union (PostgreSQL)', async () => {
    const { slug, owner } = await orgWithOwner(t, admin);
    const bob = await t.actor();
    await add(slug, admin, bob.user.username);
    const sets = [['admin'], ['member'], ['admin', 'member']];
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t.http
          .patch(`${API}/orgs/${slug}/members/${bob.user.username}`)
          .set(auth(owner.token))
          .send({ roles: sets[i % 3] }),
      ),
    );
    expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);
    const final = (await t.http.get(`${API}/orgs/${slug}/members/${bob.user.username}`).set(auth(owner.token))).body.roles;
    expect(sets.map((s) => JSON.stringify(s))).toContain(JSON.stringify(final));
  });

  it('per-org roles: template read-only, own roles within the ceiling, deleting one takes it from its holders', async () => {
    const { slug, owner } = await orgWithOwner(t, admin);
    const listed = await t.http.get(`${API}/orgs/${slug}/roles`).set(auth(owner.token));
    expect(listed.body.items.map((r: { name: string; from_template: boolean }) => [r.name, r.from_template])).toEqual([
      ['owner', true],
      ['admin', true],
      ['member', true],
    ]);
    const created = await t.http
      .post(`${API}/orgs/${slug}/roles`)
      .set(auth(owner.token))
      .send({ name: 'auditor', description: 'Reads the log', permissions: ['org:audit:read', 'org:audit:read'] });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ name: 'auditor', description: 'Reads the log', permissions: ['org:audit:read'], from_template: false });
    expect((await t.http.post(`${API}/orgs/${slug}/roles`).set(auth(owner.token)).send({ name: 'auditor', permissions: [] })).status).toBe(409);
    expect((await t.http.post(`${API}/orgs/${slug}/roles`).set(auth(owner.token)).send({ name: 'admin', permissions: [] })).status).toBe(409);
    const global = await t.http
      .post(`${API}/orgs/${slug}/roles`)
      .set(auth(owner.token))
      .send({ name: 'sneaky', permissions: ['users:create', 'org:everything'] });
    expect(global.status).toBe(400);
    expect(global.body.message).toBe('Not organization permissions: users:create, org:everything');
    // The app's own permissions too are granted only by who holds them there: not this owner (the
    // default template gives owners org:* only), but a platform admin, above the org ceiling.
    expect(
      (
        await t.http
          .post(`${API}/orgs/${slug}/roles`)
          .set(auth(owner.token))
          .send({ name: 'reports', permissions: ['reports:read'] })
      ).status,
    ).toBe(403);
    expect(
      (
        await t.http
          .post(`${API}/orgs/${slug}/roles`)
          .set(auth(admin))
          .send({ name: 'reports', permissions: ['reports:read'] })
      ).status,
    ).toBe(201);
    expect((await t.http.patch(`${API}/orgs/${slug}/roles/owner`).set(auth(owner.token)).send({ permissions: [] })).status).toBe(409);
    expect((await t.http.delete(`${API}/orgs/${slug}/roles/member`).set(auth(owner.token))).status).toBe(409);

    // An admin (no org:manage) cannot make a role holding it.
    const adminMember = await t.actor();
    await add(slug, admin, adminMember.user.username, ['admin']);
    expect(
      (
        await t.http
          .post(`${API}/orgs/${slug}/roles`)
          .set(auth(adminMember.token))
          .send({ name: 'settings', permissions: ['org:manage'] })
      ).status,
    ).toBe(403);

    const bob = await t.actor();
    await add(slug, admin, bob.user.username, ['auditor', 'member']);
    const changed = await t.http
      .patch(`${API}/orgs/${slug}/roles/auditor`)
      .set(auth(owner.token))
      .send({ permissions: ['org:audit:read', 'org:members:manage'] });
    expect(changed.body.permissions).toEqual(['org:audit:read', 'org:members:manage']);
    expect((await t.http.get(`${API}/orgs/${slug}/roles/auditor`).set(auth(owner.token))).body.permissions).toEqual(['org:audit:read', 'org:members:manage']);
    expect((await t.http.delete(`${API}/orgs/${slug}/roles/auditor`).set(auth(owner.token))).status).toBe(204);
    expect((await t.http.get(`${API}/orgs/${slug}/members/${bob.user.username}`).set(auth(owner.token))).body.roles).toEqual(['member']);
    expect((await t.http.get(`${API}/orgs/${slug}/roles/auditor`).set(auth(owner.token))).status).toBe(404);
    // A member without org:roles:manage reads no roles.
    expect((await t.http.get(`${API}/orgs/${slug}/roles`).set(auth(bob.token))).status).toBe(403);
  });

  it('an organization’s roles are its own: another organization cannot grant them', async () => {
    const a = await orgWithOwner(t, admin);
    const b = await orgWithOwner(t, admin);
    await t.http.post(`${API}/orgs/${a.slug}/roles`).set(auth(a.owner.token)).send({ name: 'only-a', permissions: [] });
    const bob = await t.actor();
    const refused = await add(b.slug, b.owner.token, bob.user.username, ['only-a']);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe('Unknown organization roles: only-a');
    // A's owner is nobody in B.
    expect((await members(b.slug, a.owner.token)).status).toBe(404);
  });

  it('a user’s API key reads its owner’s organizations and changes nothing there', async () => {
    const { slug, owner } = await orgWithOwner(t, admin);
    const key = (await t.http.post(`${API}/users/${owner.user.username}/api-keys`).set(auth(admin)).send({ name: 'reader' })).body.key as string;
    expect((await t.http.get(`${API}/orgs/${slug}/members`).set({ 'x-api-key': key })).status).toBe(200);
    const write = await t.http
      .post(`${API}/orgs/${slug}/members`)
      .set({ 'x-api-key': key })
      .send({ username: (await t.actor()).user.username });
    expect(write.status).toBe(403);
    expect(write.body.message).toBe('An API key only reads organizations; changes need a session');
  });
});
