import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, type TestApp } from '../support/test-app.js';
import { auth, itOnPostgres, orgWithOwner, startOrgApp } from './org-app.js';

describe.each(DATABASES)('organization invitations on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startOrgApp(kind);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  /** A fresh user with a verified email, signed in. */
  async function invitee(verified = true) {
    const actor = await t.actor();
    if (verified) await t.users.markEmailVerified(actor.user.id);
    return actor;
  }

  const invite = (org: string, token: string, email: string, roles?: string[]) =>
    t.http
      .post(`${API}/orgs/${org}/invitations`)
      .set(auth(token))
      .send({ email, ...(roles ? { roles } : {}) });
  const accept = (token: string, invitation: string) => t.http.post(`${API}/orgs/invitations/accept`).set(auth(token)).send({ token: invitation });

  it('answers the raw token once (no-store), sends it through the notifier, keeps only its digest', async () => {
    const { slug, id, owner } = await orgWithOwner(t, admin);
    const bob = await invitee();
    const created = await invite(slug, owner.token, bob.user.email!.toUpperCase(), ['member']);
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    expect(created.body).toMatchObject({ email: bob.user.email, roles: ['member'], status: 'pending', accepted_at: null });
    const token = created.body.token as string;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expect.poll(() => t.invitations.some((n) => n.token === token)).toBe(true);
    const sent = t.invitations.find((n) => n.token === token)!;
    expect(sent).toMatchObject({
      purpose: 'organization_invitation',
      email: bob.user.email,
      organization: { id, slug },
      invitedBy: { username: owner.user.username },
      roles: ['member'],
    });
    expect(sent.link).toMatch(new RegExp(`/accept-invitation\\?token=${token}$`));

    const listed = await t.http.get(`${API}/orgs/${slug}/invitations`).set(auth(owner.token));
    expect(listed.body.items).toEqual([expect.objectContaining({ id: created.body.id, status: 'pending' })]);
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect(JSON.stringify((await t.http.get(`${API}/orgs/${slug}/invitations/${created.body.id}`).set(auth(owner.token))).body)).not.toContain(token);
    const stored = JSON.stringify(await t.dataSource.query('SELECT * FROM organization_invitations'));
    expect(stored).not.toContain(token);

    const accepted = await accept(bob.token, token);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ organization: { id, slug }, roles: ['member'] });
    expect((await t.http.get(`${API}/orgs/${slug}/members/${bob.user.username}`).set(auth(bob.token))).body.roles).toEqual(['member']);
    expect((await t.http.get(`${API}/orgs/${slug}/invitations/${created.body.id}`).set(auth(owner.token))).body.status).toBe('accepted');
  });

  it('is single use: a spent, withdrawn, replaced or made-up token is the same 400 and changes nothing', async () => {
    const { slug, owner } = await orgWithOwner(t, admin);
    const bob = await invitee();
    const first = (await invite(slug, owner.token, bob.user.email!)).body;
    const second = (await invite(slug, owner.token, bob.user.email!)).body;
    const replaced = await accept(bob.token, first.token);
    expect(replaced.status).toBe(400);
    expect(replaced.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'Invalid, used or expired invitation' });
    expect((await accept(bob.token, second.token)).status).toBe(200);
    const reused = await accept(bob.token, second.token);
    expect(reused.body).toEqual(replaced.body);

    const carol = await invitee();
    const withdrawn = (await invite(slug, owner.token, carol.user.email!)).body;
    expect((await t.http.delete(`${API}/orgs/${slug}/invitations/${withdrawn.id}`).set(auth(owner.token))).status).toBe(204);
    expect((await t.http.delete(`${API}/orgs/${slug}/invitations/${withdrawn.id}`).set(auth(owner.token))).status).toBe(404);
    expect((await accept(carol.token, withdrawn.token)).body).toEqual(replaced.body);
    for (const made of ['x'.repeat(43), 'short', '', 'a'.repeat(129)]) {
      expect([400], made).toContain((await accept(carol.token, made)).status);
    }
    expect((await t.http.get(`${API}/orgs/${slug}/members/${carol.user.username}`).set(auth(owner.token))).status).toBe(404);
  });

  it('expires on the library clock', async () => {
    const { slug, owner } = await orgWithOwner(t, admin);
    const bob = await invitee();
    const { token, id } = (await invite(slug, owner.token, bob.user.email!)).body;
    t.clock.advance(604_800 + 1);
    try {
      // Seven days on, the sessions are new ones too.
      const fresh = (user: Awaited<ReturnType<typeof invitee>>) => t.login(user.user.username, user.password).then((a) => a.access_token);
      expect((await accept(await fresh(bob), token)).status).toBe(400);
      expect((await t.http.get(`${API}/orgs/${slug}/invitations/${id}`).set(auth(await fresh(owner)))).body.status).toBe('expired');
    } finally {
      t.clock.advance(-(604_800 + 1));
    }
  });

  it('is accepted only by an account that verified the invited address', async () => {
    const { slug, owner } = await orgWithOwner(t, admin);
    const unverified = await invitee(false);
    const other = await invitee();
    const { token } = (await invite(slug, owner.token, unverified.user.email!)).body;
    const wrongPerson = await accept(other.token, token);
    expect(wrongPerson.status).toBe(403);
    expect(wrongPerson.body.message).toBe('This invitation is for another email address');
    const notVerified = await accept(unverified.token, token);
    expect(notVerified.status).toBe(403);
    expect(notVerified.body.message).toBe('Verify your email address before accepting an invitation');
    await t.users.markEmailVerified(unverified.user.id);
    expect((await accept(unverified.token, token)).status).toBe(200);
    // Refused attempts did not spend it; the accepted one did.
    expect((await accept(unverified.token, token)).status).toBe(400);
  });

  it('refuses an email with invisible characters and roles beyond the inviter, creating nothing', async () => {
    const { slug, owner } = await orgWithOwner(t, admin);
    for (const email of ['bo\u200bb@example.test', 'bob@exa\u00admple.test', 'bob\ufe0f@example.test', 'bob@example.test\u202e', 'not-an-email', '']) {
      expect((await invite(slug, owner.token, email)).status, JSON.stringify(email)).toBe(400);
    }
    expect((await invite(slug, owner.token, 'bob@example.test', ['nope'])).status).toBe(400);
    const inviter = await t.actor();
    await t.http
      .post(`${API}/orgs/${slug}/roles`)
      .set(auth(owner.token))
      .send({ name: 'inviter', permissions: ['org:members:manage'] });
    await t.http
      .post(`${API}/orgs/${slug}/members`)
      .set(auth(admin))
      .send({ username: inviter.user.username, roles: ['inviter'] });
    expect((await invite(slug, inviter.token, 'bob@example.test', ['admin'])).status).toBe(403);
    expect((await invite(slug, inviter.token, 'bob@example.test', ['owner'])).status).toBe(403);
    expect((await t.http.get(`${API}/orgs/${slug}/invitations`).set(auth(owner.token))).body.total).toBe(0);
  });

  it('an existing member cannot spend an invitation to join again', async () => {
    const { slug, owner } = await orgWithOwner(t, admin);
    await t.users.markEmailVerified(owner.user.id);
    const { token } = (await invite(slug, owner.token, owner.user.email!)).body;
    expect((await accept(owner.token, token)).status).toBe(409);
  });

  itOnPostgres(kind, '20 parallel accepts of one invitation give one membership (PostgreSQL)', async () => {
    const { slug, owner } = await orgWithOwner(t, admin);
    const bob = await invitee();
    const { token } = (await invite(slug, owner.token, bob.user.email!, ['admin'])).body;
    const answers = await Promise.all(Array.from({ length: 20 }, () => accept(bob.token, token)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array<number>(19).fill(400)]);
    const list = await t.http.get(`${API}/orgs/${slug}/members`).set(auth(owner.token));
    expect(list.body.items.map((m: { username: string; roles: string[] }) => [m.username, m.roles])).toEqual([
      [owner.user.username, ['owner']],
      [bob.user.username, ['admin']],
    ]);
  });
});
