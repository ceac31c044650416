import { describe, expect, it } from 'vitest';
import { DATABASES, startupProblems } from '../support/test-app.js';
import { startScimApp } from './scim-app.js';

const startupProblemsOf = (kind: (typeof DATABASES)[number], organizations: boolean, roleMapping: Record<string, string[]>) =>
  startupProblems(() => startScimApp(kind, { organizations, options: { scim: { enabled: true, roleMapping } } }));

describe.each(DATABASES)('auth.scim.role_mapping checked at startup on %s', (kind) => {
  it('single-tenant: a role that does not exist stops startup, naming the group', async () => {
    expect(await startupProblemsOf(kind, false, { Engineering: ['viewer', 'veiwer'], Audit: ['auditor'] })).toEqual([
      'auth.scim.role_mapping.Engineering: role "veiwer" does not exist (declare it under auth.roles or create it through the roles API)',
    ]);
  });

  it('with organizations: an org role no template declares (nor any organization) and owner stop startup', async () => {
    expect(await startupProblemsOf(kind, true, { Admins: ['admin', 'owner'], Readers: ['member', 'reader'] })).toEqual([
      'auth.scim.role_mapping.Admins: role "owner" is never granted through SCIM',
      'auth.scim.role_mapping.Readers: org role "reader" does not exist (declare it under auth.organizations.roles or define it in an organization)',
    ]);
  });

  it('roles that exist start, in both shapes', async () => {
    const single = await startScimApp(kind, { options: { scim: { enabled: true, roleMapping: { Engineering: ['viewer'], Audit: ['auditor'] } } } });
    await single.close();
    const orgs = await startScimApp(kind, { organizations: true, options: { scim: { enabled: true, roleMapping: { Admins: ['admin'], Everyone: ['member'] } } } });
    await orgs.close();
  });
});
