import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, type TestApp } from '../support/test-app.js';
import { auth, orgWithOwner, startOrgApp } from './org-app.js';

// SPEC §15: GET /orgs/{org}/audit, the organization's own events only (org:audit:read).
describe.each(DATABASES)("an organization's audit view on %s", (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startOrgApp(kind);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const view = (org: string, token: string, query = '') => t.http.get(`${API}/orgs/${org}/audit${query}`).set(auth(token));

  it("shows its own events only, cursor-paged; A's cursor is refused on B; a non-member and a plain member are refused", async () => {
    const a = await orgWithOwner(t, admin);
    const b = await orgWithOwner(t, admin);
    for (const name of ['a-role-1', 'a-role-2', 'a-role-3']) {
      await t.http
        .post(`${API}/orgs/${a.slug}/roles`)
        .set(auth(a.owner.token))
        .send({ name, permissions: ['org:audit:read'] });
    }
    await t.http
      .post(`${API}/orgs/${b.slug}/roles`)
      .set(auth(b.owner.token))
      .send({ name: 'b-role', permissions: ['org:audit:read'] });

    const all = await view(a.slug, a.owner.token, '?limit=100');
    expect(all.status).toBe(200);
    const targets = all.body.items.map((e: { target_id: string }) => e.target_id);
    expect(targets).toEqual(expect.arrayContaining(['a-role-1', 'a-role-2', 'a-role-3', a.id]));
    expect(targets).not.toContain('b-role');
    expect(targets).not.toContain(b.id);
    expect(all.body.items[0]).not.toHaveProperty('ip');

    const filtered = await view(a.slug, a.owner.token, '?action=organization.role.create&sort=occurred_at&limit=2');
    expect(filtered.body.items.map((e: { target_id: string }) => e.target_id)).toEqual(['a-role-1', 'a-role-2']);
    const next = await view(a.slug, a.owner.token, `?action=organization.role.create&sort=occurred_at&limit=2&cursor=${filtered.body.next_cursor}`);
    expect(next.body.items.map((e: { target_id: string }) => e.target_id)).toEqual(['a-role-3']);
    // A's cursor on B's view (B's owner, same filters): refused.
    const crossed = await view(b.slug, b.owner.token, `?action=organization.role.create&sort=occurred_at&limit=2&cursor=${filtered.body.next_cursor}`);
    expect(crossed.status).toBe(400);

    // A stranger, and B's owner on A: the answer for an organization that does not exist.
    const stranger = await t.actor();
    expect((await view(a.slug, stranger.token)).status).toBe(404);
    expect((await view(a.slug, b.owner.token)).status).toBe(404);
    const member = await t.actor();
    await t.http.post(`${API}/orgs/${a.slug}/members`).set(auth(admin)).send({ username: member.user.username });
    expect((await view(a.slug, member.token)).status).toBe(403);
    // A platform admin reads it.
    expect((await view(a.slug, admin)).status).toBe(200);
    // Bad input is a 400.
    expect((await view(a.slug, a.owner.token, '?since=2026-13-45')).status).toBe(400);
    expect((await view(a.slug, a.owner.token, '?since=2026-11-29&until=2026-11-28')).status).toBe(400);
    expect((await view(a.slug, a.owner.token, '?action=DROP%20TABLE')).status).toBe(400);
  });
});
