import { describe, expect, it } from 'vitest';
import { API, startTestApp } from '../support/test-app.js';

// Organizations are opt-in: `auth.organizations.enabled` mounts them, and without it nothing of
// them is there. forRootAsync reads its options too late to mount routes, so there the feature is
// named in `features` as well; startup refuses the two disagreeing rather than guess.
describe('auth.organizations.enabled', () => {
  it('off (the default): no /orgs route, a 404 even for the admin', async () => {
    const t = await startTestApp('sqlite/express', { registration: 'sync' });
    try {
      expect((await t.http.get(`${API}/orgs`).set('authorization', `Bearer ${await t.adminToken()}`)).status).toBe(404);
    } finally {
      await t.close();
    }
  });

  it('on with forRoot: the feature is loaded by the option alone', async () => {
    const t = await startTestApp('sqlite/express', { registration: 'sync', options: { organizations: { enabled: true } } });
    try {
      const answer = await t.http.get(`${API}/orgs`).set('authorization', `Bearer ${await t.adminToken()}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ items: [], total: 0 });
    } finally {
      await t.close();
    }
  });

  it('on with forRootAsync but not in features: startup says to name it', async () => {
    // The demo names the feature itself when its config turns it on; a host that lists its features without it:
    const features = ['login', 'users', 'mfa', 'roles', 'audit', 'apiKeys', 'serviceAccounts', 'oidc', 'signingKeys', 'maintenance'] as const;
    await expect(startTestApp('sqlite', { options: { organizations: { enabled: true } }, features })).rejects.toThrow(
      /auth\.organizations\.enabled: is true, but the organizations feature is not loaded; add "organizations" to features/,
    );
  });

  it('the demo registered with forRootAsync names it when its config turns it on', async () => {
    const t = await startTestApp('sqlite/express', { options: { organizations: { enabled: true } } });
    try {
      expect((await t.http.get(`${API}/orgs`).set('authorization', `Bearer ${await t.adminToken()}`)).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('an org role template naming an unregistered or a platform permission stops startup', async () => {
    const roles = (member: string[]) => ({ owner: ['org:manage', 'org:members:manage', 'org:roles:manage', 'org:audit:read', 'org:service-accounts:manage'], member });
    await expect(startTestApp('sqlite', { options: { organizations: { enabled: true, roles: roles(['reports:write']) } } })).rejects.toThrow(
      /auth\.organizations\.roles\.member: "reports:write" is not a registered permission/,
    );
    await expect(startTestApp('sqlite', { options: { organizations: { enabled: true, roles: roles(['users:list']) } } })).rejects.toThrow(
      /auth\.organizations\.roles\.member: "users:list" is a platform permission/,
    );
  });

  it('in features with the option off: startup refuses', async () => {
    await expect(startTestApp('sqlite', { features: ['login', 'organizations'] })).rejects.toThrow(
      /features: loads organizations, but auth\.organizations\.enabled is not true; turn it on, or leave organizations out/,
    );
  });
});
