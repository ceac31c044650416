import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatementLog, type LoggedStatement } from '../support/statement-log.js';
import { API, type TestApp } from '../support/test-app.js';
import { auth, orgWithOwner, slug, startOrgApp } from './org-app.js';

/**
 * What each org route costs the database per request, in statements: a deterministic guard of
 * the list budget (SPEC §10, issue 22 item 6) where timing would be noise. The caller's
 * principal is warm (its credential is served from the principal cache, as on every request
 * but a session's first), so what is counted is the route's own work: finding the
 * organization and the caller's standing in it, the page, what the page's rows need (their
 * roles), and the page's count.
 */
/**
 * Statements per request. `standing` is the organization with the caller's membership, its
 * roles and their permissions, in one statement; none when the path names the organization
 * the caller's token acts in (the principal carries their roles there), or when the caller is
 * a member whose standing there an earlier request read (remembered as principals are, until a
 * revocation); a platform admin who is not a member pays it on every request. A page carries its
 * capped count in its own statement, and a page of members, or of your organizations, the
 * roles of its rows too (ListRequest.attach).
 */
const STANDING = 1;
const BUDGET = {
  yourOrganizations: 1, // page, with the roles of its rows
  allOrganizations: 1, // page
  organization: 2, // the organization with the caller's standing, its domains
  members: 1, // page, with the roles of its rows
  orgList: 1, // page
  roles: 1, // the organization's own roles
};
const MEMBERS = 24;
const ORGS_OF_ONE_USER = 24;
const PAGE = 10;

interface Page {
  items: unknown[];
  total: number;
  next_cursor: string | null;
}

// Statements are the same on either HTTP adapter, and PostgreSQL is the database the budget is about.
describe('statements per org request on postgres', () => {
  let t: TestApp;
  let log: StatementLog;
  let admin: string;
  let org: { slug: string; id: string };
  let owner: string;
  /** The owner's token acting in the organization (grant_type=organization). */
  let ownerInOrg: string;
  /** A user in ORGS_OF_ONE_USER organizations. */
  let joiner: string;
  /** A member holding only a role the organization defined (`auditor`: org:audit:read). */
  let auditor: string;

  beforeAll(async () => {
    t = await startOrgApp('postgres/express');
    log = StatementLog.watch(t);
    admin = await t.adminToken();
    const created = await orgWithOwner(t, admin);
    org = created;
    owner = created.owner.token;
    const send = async (path: string, body: object) => {
      const res = await t.http.post(`${API}${path}`).set(auth(owner)).send(body);
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(201);
    };
    await send(`/orgs/${org.slug}/roles`, { name: 'auditor', permissions: ['org:audit:read'] });
    for (let n = 0; n < 3; n++) {
      await send(`/orgs/${org.slug}/invitations`, { email: `invited${n}-${process.pid}@example.test`, roles: ['member'] });
      await send(`/orgs/${org.slug}/service-accounts`, { name: `robot-${n}` });
    }
    // Members and a user of many organizations, written directly: the routes under test only read them.
    await t.dataSource.query(
      `WITH u AS (
         INSERT INTO users (id, username, email, full_name, is_active, is_system_admin, email_verified, created_at, updated_at)
         SELECT uuid_generate_v4(), 'budget' || g, 'budget' || g || '@example.test', NULL, true, false, true, now() - (g || ' seconds')::interval, now()
         FROM generate_series(1, ${MEMBERS}) g RETURNING id, created_at),
       m AS (
         INSERT INTO organization_members (id, organization_id, user_id, created_at)
         SELECT uuid_generate_v4(), $1, u.id, u.created_at FROM u RETURNING id)
       INSERT INTO organization_member_roles (member_id, organization_id, role)
       SELECT m.id, $1, r.role FROM m CROSS JOIN (VALUES ('member'), ('auditor')) AS r(role)`,
      [org.id],
    );
    const many = await t.actor();
    joiner = many.token;
    const prefix = slug('many');
    await t.dataSource.query(
      `WITH o AS (
         INSERT INTO organizations (id, slug, slug_key, name, mfa_required, created_at, updated_at)
         SELECT uuid_generate_v4(), '${prefix}-' || g, '${prefix}-' || g, 'Org ' || g, false, now() - (g || ' minutes')::interval, now()
         FROM generate_series(1, ${ORGS_OF_ONE_USER}) g RETURNING id, created_at),
       m AS (
         INSERT INTO organization_members (id, organization_id, user_id, created_at)
         SELECT uuid_generate_v4(), o.id, $1, o.created_at FROM o RETURNING id, organization_id)
       INSERT INTO organization_member_roles (member_id, organization_id, role)
       SELECT m.id, m.organization_id, 'admin' FROM m`,
      [many.user.id],
    );
    const custom = await t.actor();
    const added = await t.http
      .post(`${API}/orgs/${org.slug}/members`)
      .set(auth(admin))
      .send({ username: custom.user.username, roles: ['auditor'] });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    auditor = custom.token;
    const switched = await t.http.post(`${API}/auth/token`).set(auth(owner)).type('form').send({ grant_type: 'organization', organization: org.slug });
    expect(switched.status, JSON.stringify(switched.body)).toBe(200);
    ownerInOrg = switched.body.access_token as string;
  }, 120_000);
  afterAll(() => t?.close());

  /** The session read a principal cache miss starts with (CredentialReads.session). */
  const readsPrincipal = (statement: LoggedStatement) => /\bs\.absolute_expires_at\b/.test(statement.sql);
  const show = (statements: LoggedStatement[]) => statements.map((s, n) => `${n + 1}. ${s.sql}`).join('\n');

  /**
   * The page `path` answers, and the statements of that request with the caller's principal
   * already cached. A cache hit is not promised on every request (the entry's TTL can run out
   * between the warm-up and the count, and a revocation log read late under load distrusts
   * the cache), so a request that read the principal afresh is measured again: what is
   * counted is the route's own work, never a principal load.
   */
  async function counted(path: string, token: string): Promise<{ page: Page; statements: LoggedStatement[] }> {
    for (let attempt = 1; ; attempt++) {
      const warm = await t.http.get(`${API}${path}`).set(auth(token));
      expect(warm.status, `${path}: ${JSON.stringify(warm.body)}`).toBe(200);
      const { result, statements } = await log.during(() => t.http.get(`${API}${path}`).set(auth(token)));
      expect(result.status, `${path}: ${JSON.stringify(result.body)}`).toBe(200);
      if (attempt === 3 || !statements.some(readsPrincipal)) return { page: result.body as Page, statements };
    }
  }

  async function expectAtMost(path: string, token: string, ceiling: number): Promise<Page> {
    const { page, statements } = await counted(path, token);
    expect(statements.length, `GET ${path}:\n${show(statements)}`).toBeLessThanOrEqual(ceiling);
    return page;
  }

  /** A list's first page and the page its cursor leads to, each within `ceiling`. */
  async function pagesWithin(path: string, token: string, ceiling: number, limit = PAGE): Promise<void> {
    const paged = `${path}${path.includes('?') ? '&' : '?'}limit=${limit}`;
    const first = await expectAtMost(paged, token, ceiling);
    expect(first.next_cursor, path).toEqual(expect.any(String));
    await expectAtMost(`${paged}&cursor=${first.next_cursor}`, token, ceiling);
  }

  it('GET /orgs: your organizations, and every one for a platform admin', async () => {
    await pagesWithin('/orgs', joiner, BUDGET.yourOrganizations);
    await pagesWithin('/orgs?scope=all', admin, BUDGET.allOrganizations);
  });

  it('GET /orgs/{org}, by slug and by id, with and without the organization active', async () => {
    await expectAtMost(`/orgs/${org.slug}`, owner, BUDGET.organization);
    await expectAtMost(`/orgs/${org.id}`, ownerInOrg, BUDGET.organization);
  });

  it('GET /orgs/{org}/members: first page and cursor page', async () => {
    await pagesWithin(`/orgs/${org.slug}/members`, owner, BUDGET.members);
    await pagesWithin(`/orgs/${org.slug}/members`, admin, STANDING + BUDGET.members);
    await pagesWithin(`/orgs/${org.id}/members`, ownerInOrg, BUDGET.members);
    await pagesWithin(`/orgs/${org.slug.toUpperCase()}/members`, ownerInOrg, BUDGET.members);
  });

  it('GET /orgs/{org}/invitations, /service-accounts, /audit, /roles', async () => {
    for (const list of ['invitations', 'service-accounts', 'audit']) {
      await pagesWithin(`/orgs/${org.slug}/${list}`, owner, BUDGET.orgList, 2);
      await pagesWithin(`/orgs/${org.slug}/${list}`, admin, STANDING + BUDGET.orgList, 2);
      await pagesWithin(`/orgs/${org.slug}/${list}`, ownerInOrg, BUDGET.orgList, 2);
    }
    // A role of the organization's own grants the permission in the same statement.
    await pagesWithin(`/orgs/${org.slug}/audit`, auditor, BUDGET.orgList, 2);
    await expectAtMost(`/orgs/${org.slug}/roles`, owner, BUDGET.roles);
    await expectAtMost(`/orgs/${org.slug}/roles`, ownerInOrg, BUDGET.roles);
  });
});
