import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FabricTransactions } from '../../libs/fabric-auth/src/data/transactions.js';
import { OrganizationMemberEntity } from '../../libs/fabric-auth/src/schema/entities/organization-member.entity.js';
import { OrganizationMemberRoleEntity } from '../../libs/fabric-auth/src/schema/entities/organization-member-role.entity.js';
import { API, type TestApp } from '../support/test-app.js';
import { auth, orgWithOwner, startOrgApp } from './org-app.js';

/**
 * On SQLite a read outside any transaction sees the open transaction's rows before they
 * commit: a standing read while a write that makes someone an owner is still open may answer
 * as that write says, but must not be remembered once the write rolls back (no revocation
 * announces a rollback). Reviewer's finding on the standings cache.
 */
describe('a standing read beside a transaction that rolls back (sqlite)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startOrgApp('sqlite/express');
  });
  afterAll(() => t?.close());

  it('is not remembered after the rollback', async () => {
    const admin = await t.adminToken();
    const org = await orgWithOwner(t, admin);
    const outsider = await t.actor();
    // Warm the outsider's principal; they are no member.
    expect((await t.http.get(`${API}/orgs/${org.slug}/members`).set(auth(outsider.token))).status).toBe(404);
    let during = 0;
    // A write making them owner that fails after its inserts (as a SCIM PATCH whose later operation is refused), while the outsider reads concurrently.
    await expect(
      t.app.get(FabricTransactions).run(async (tx) => {
        const memberId = randomUUID();
        await tx.manager.insert(OrganizationMemberEntity, { id: memberId, organizationId: org.id, userId: outsider.user.id, createdAt: new Date() });
        await tx.manager.insert(OrganizationMemberRoleEntity, { memberId, organizationId: org.id, role: 'owner' });
        during = (await t.http.get(`${API}/orgs/${org.slug}/members`).set(auth(outsider.token))).status;
        throw new Error('refused later in the same transaction');
      }),
    ).rejects.toThrow('refused later');
    // SQLite's one connection: the read saw the open transaction's rows.
    expect(during).toBe(200);
    const rows = await t.app.get(FabricTransactions).run((tx) => tx.manager.countBy(OrganizationMemberEntity, { organizationId: org.id, userId: outsider.user.id }));
    expect(rows).toBe(0);
    // The truth: no member. What is answered:
    expect((await t.http.get(`${API}/orgs/${org.slug}/audit`).set(auth(outsider.token))).status).toBe(404);
    expect((await t.http.get(`${API}/orgs/${org.slug}/members`).set(auth(outsider.token))).status).toBe(404);
  });
});
