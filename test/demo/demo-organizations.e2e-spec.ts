import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callDemo, type DemoProcess, loginToDemo, startDemo } from '../support/demo-process.js';

const SECRET = 'demo-organizations-secret-5b1f9c2e7a4d8e3f6c0b';
const ADMIN = 'Demo-orgs-admin-passw0rd';
const CONFIG = `auth:
  system_admin_username: admin
  roles:
    viewer: [reports:read, users:list, users:read]
  organizations:
    enabled: true
    roles:
      owner: [org:manage, org:members:manage, org:roles:manage, org:audit:read, org:service-accounts:manage, reports:read]
      admin: [org:members:manage, reports:read]
      member: [reports:read]
server:
  secure_cookies: false
`;

/**
 * Issue 22 item 7, on the demo as the README starts it (config file, FABRIC_… environment):
 * an organization is created, someone is invited (the link in the log), accepts, switches into
 * it, and the demo's org-scoped route answers for that organization and no other.
 */
describe('the demo with organizations on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fabric-demo-orgs-'));
  let demo: DemoProcess;
  let admin: string;
  beforeAll(async () => {
    writeFileSync(join(dir, 'config.yaml'), CONFIG);
    demo = await startDemo({ DATA_DIR: join(dir, 'data'), CONFIG_FILE: join(dir, 'config.yaml'), FABRIC_AUTH__SECRET_KEY: SECRET, FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: ADMIN });
    admin = (await loginToDemo(demo, 'admin', ADMIN)).access_token;
  });
  afterAll(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const person = async (username: string) => {
    const password = `${username[0].toUpperCase()}${username.slice(1)}-passw0rd-2026`;
    expect((await callDemo(demo, 'POST', '/users', admin, { username, email: `${username}@example.test`, password })).status).toBe(201);
    return { username, token: (await loginToDemo(demo, username, password)).access_token };
  };
  const switchTo = (token: string, organization: string) => callDemo(demo, 'POST', '/auth/token', token, { grant_type: 'organization', organization });

  it('creates organizations, invites through the log, switches, and answers per organization', async () => {
    const alice = await person('alice');
    for (const slug of ['acme', 'globex']) {
      const created = await callDemo(demo, 'POST', '/orgs', admin, { slug, name: slug.toUpperCase(), owner: 'alice' });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }

    // Bob verifies his email with the link the development notifier logs, then accepts an invitation.
    const bob = await person('bob');
    expect((await callDemo(demo, 'POST', '/users/bob/email/verify', bob.token)).status).toBe(202);
    await expect.poll(() => /Email verification link for "bob".*?token=([A-Za-z0-9_-]+)/.exec(demo.output())?.[1]).toBeTruthy();
    const verification = /Email verification link for "bob".*?token=([A-Za-z0-9_-]+)/.exec(demo.output())![1];
    expect((await callDemo(demo, 'POST', '/auth/email/verify', undefined, { token: verification })).status).toBe(204);

    const invited = await callDemo(demo, 'POST', '/orgs/acme/invitations', alice.token, { email: 'bob@example.test', roles: ['member'] });
    expect(invited.status, JSON.stringify(invited.body)).toBe(201);
    await expect.poll(() => demo.output()).toContain('Invitation of bob@example.test to organization "acme"');
    const link = new RegExp(`accept-invitation\\?token=${invited.body.token as string}`);
    expect(demo.output()).toMatch(link);
    expect((await callDemo(demo, 'POST', '/orgs/invitations/accept', bob.token, { token: invited.body.token })).status).toBe(200);

    // Alice acts in each of her organizations in turn; Bob only in the one he joined.
    for (const slug of ['acme', 'globex']) {
      const switched = await switchTo(alice.token, slug);
      expect(switched.status).toBe(200);
      const here = await callDemo(demo, 'GET', '/demo/org', switched.body.access_token as string);
      expect(here.body).toEqual({ organization: slug, roles: ['owner'], message: `Reports of ${slug}` });
      expect((await callDemo(demo, 'GET', '/demo/org/reports', switched.body.access_token as string)).body).toEqual({ organization: slug, items: [`${slug}-q3-revenue`] });
    }
    const bobInAcme = await switchTo(bob.token, 'acme');
    expect(bobInAcme.status).toBe(200);
    expect((await callDemo(demo, 'GET', '/demo/org/reports', bobInAcme.body.access_token as string)).body).toEqual({ organization: 'acme', items: ['acme-q3-revenue'] });
    expect((await switchTo(bob.token, 'globex')).status).toBe(400);
    // Without an active organization the org-scoped routes refuse.
    expect((await callDemo(demo, 'GET', '/demo/org', bob.token)).body).toMatchObject({ statusCode: 403, error: 'organization_required' });
  });
});
