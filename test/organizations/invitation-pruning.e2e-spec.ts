import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrganizationInvitationPruner } from '../../libs/fabric-auth/src/features/organizations/organization-invitation-pruner.js';
import { OrganizationInvitationEntity } from '../../libs/fabric-auth/src/schema/entities/organization-invitation.entity.js';
import { API, DATABASES, type TestApp } from '../support/test-app.js';
import { auth, orgWithOwner, startOrgApp } from './org-app.js';

const DAY = 86_400;

// Expired invitations (accepted or not) go INVITATION_RETENTION_DAYS after their expiry.
describe.each(DATABASES)('pruning invitations on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startOrgApp(kind);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  it('deletes invitations expired beyond the retention, keeps the others, audits the round', async () => {
    const { slug, id, owner } = await orgWithOwner(t, admin);
    const invite = async (email: string) => (await t.http.post(`${API}/orgs/${slug}/invitations`).set(auth(owner.token)).send({ email })).body.id as string;
    const old = await invite('old-invitee@example.test');
    const invitations = t.dataSource.getRepository(OrganizationInvitationEntity);
    // Seven days to expire, then thirty of retention: on day 36 it stays, on day 38 it goes.
    t.clock.advance(36 * DAY);
    const pruner = t.app.get(OrganizationInvitationPruner);
    await pruner.prune();
    expect(await invitations.existsBy({ id: old })).toBe(true);
    t.clock.advance(2 * DAY);
    const fresh = { ...(await invitations.findOneByOrFail({ id: old })), id: randomUUID(), tokenHash: 'f'.repeat(64), expiresAt: new Date(t.clock.now() + DAY) };
    await invitations.insert(fresh);
    expect(await pruner.prune()).toBeGreaterThanOrEqual(1);
    expect(await invitations.existsBy({ id: old })).toBe(false);
    expect(await invitations.existsBy({ id: fresh.id })).toBe(true);
    expect(await invitations.countBy({ organizationId: id })).toBe(1);
    const audit = await t.http.get(`${API}/audit?action=organization.invitation.prune`).set(auth(await t.adminToken()));
    expect(audit.body.items[0].details.deleted).toBeGreaterThanOrEqual(1);
  });
});
