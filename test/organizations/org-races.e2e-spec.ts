import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, type TestApp } from '../support/test-app.js';
import { auth, orgWithOwner, slug, startOrgApp } from './org-app.js';

// Issue 22 item 5 on PostgreSQL (SQLite serialises every writer): deleting an organization
// while members join it, by every way in (a direct add, an accepted invitation, a login on its
// verified domain), leaves no row anywhere pointing at the organization that is gone.
describe.each(DATABASES.filter((target) => target.startsWith('postgres')))('deleting an organization while members join, on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startOrgApp(kind, { organizations: { autoJoinDomains: true } });
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  /**
   * Rows of every table keeping an organization id whose organization is gone; the audit log and
   * the event outbox aside: they record what happened, the organization's deletion among it, and
   * outlive it.
   */
  async function orphans(): Promise<Record<string, number>> {
    const tables: Array<{ table_name: string }> = await t.dataSource.query(
      "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'organization_id' AND table_name NOT IN ('audit_events', 'event_outbox')",
    );
    expect(tables.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['organization_members', 'organization_member_roles', 'organization_invitations', 'organization_domains', 'organization_roles']),
    );
    const found: Record<string, number> = {};
    for (const { table_name: table } of tables) {
      const [{ n }] = await t.dataSource.query(
        // Compared as text: a table may keep the id as text (webhook endpoints do) where organizations keeps a uuid.
        `SELECT COUNT(*) AS n FROM "${table}" x WHERE x.organization_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM organizations o WHERE CAST(o.id AS TEXT) = CAST(x.organization_id AS TEXT))`,
      );
      if (Number(n) > 0) found[table] = Number(n);
    }
    const [{ n }] = await t.dataSource.query(
      'SELECT COUNT(*) AS n FROM organization_member_roles r WHERE NOT EXISTS (SELECT 1 FROM organization_members m WHERE m.id = r.member_id)',
    );
    if (Number(n) > 0) found['organization_member_roles (member)'] = Number(n);
    return found;
  }

  async function verifiedUser(domain: string) {
    const { user, password } = await t.createUser();
    const email = `${user.username}@${domain}`;
    await t.dataSource.query('UPDATE users SET email = $1, email_verified = TRUE WHERE id = $2', [email, user.id]);
    return { ...user, email, password, token: (await t.login(user.username, password)).access_token };
  }

  it('no orphan rows, and no request fails with a 500', async () => {
    for (let round = 0; round < 3; round++) {
      const org = await orgWithOwner(t, admin);
      const domain = `${slug('race')}.example`;
      expect(
        (
          await t.http
            .patch(`${API}/orgs/${org.slug}`)
            .set(auth(admin))
            .send({ domains: [{ domain, verified: true }] })
        ).status,
      ).toBe(200);
      expect(
        (
          await t.http
            .post(`${API}/orgs/${org.slug}/roles`)
            .set(auth(org.owner.token))
            .send({ name: 'auditor', permissions: ['org:audit:read'] })
        ).status,
      ).toBe(201);
      // Users of another domain: a login on the organization's domain would join them before the race.
      const added = await Promise.all(Array.from({ length: 8 }, () => t.createUser()));
      const invited = await Promise.all(Array.from({ length: 4 }, () => verifiedUser('elsewhere.example')));
      const invitations = await Promise.all(
        invited.map(
          async (u) =>
            (
              await t.http
                .post(`${API}/orgs/${org.slug}/invitations`)
                .set(auth(org.owner.token))
                .send({ email: u.email, roles: ['auditor'] })
            ).body.token as string,
        ),
      );
      const joiners = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const { user, password } = await t.createUser();
          await t.dataSource.query('UPDATE users SET email = $1, email_verified = TRUE WHERE id = $2', [`${user.username}@${domain}`, user.id]);
          return { username: user.username, password };
        }),
      );

      const answers = await Promise.all([
        ...added.map(({ user }) =>
          t.http
            .post(`${API}/orgs/${org.slug}/members`)
            .set(auth(admin))
            .send({ username: user.username, roles: ['auditor'] }),
        ),
        ...invited.map((u, i) => t.http.post(`${API}/orgs/invitations/accept`).set(auth(u.token)).send({ token: invitations[i] })),
        ...joiners.map((u) => t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'password', username: u.username, password: u.password })),
        t.http.delete(`${API}/orgs/${org.id}`).set(auth(org.owner.token)),
      ]);
      expect(answers.filter((a) => a.status >= 500).map((a) => a.body)).toEqual([]);
      expect(answers.at(-1)!.status).toBe(204);
      expect(await orphans()).toEqual({});
    }
  });
});
