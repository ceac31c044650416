import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityProblems, CONSOLE_TARGETS, consoleSuite, type PageGlobals } from '../support/console-browser.js';
import { type EnrolledUser, userWithTotp } from '../support/mfa.js';
import { API, type TestApp } from '../support/test-app.js';

// The console's account screens in chromium: users (create, edit, password, second factors, API
// keys), service accounts and their keys, roles. Each step is checked through the API too.
const ADMIN_PERMISSIONS = [
  'users:list',
  'users:read',
  'users:create',
  'users:modify',
  'users:deactivate',
  'api_keys:list',
  'api_keys:create',
  'api_keys:revoke',
  'roles:read',
  'roles:manage',
  'service_accounts:read',
  'service_accounts:create',
  'service_accounts:modify',
  'audit:read',
];
const READER_PERMISSIONS = ['users:list', 'users:read', 'api_keys:list', 'roles:read', 'service_accounts:read'];

describe.each(CONSOLE_TARGETS)('the console account screens in chromium on %s', (target) => {
  const suite = consoleSuite(target);
  let t: TestApp;
  let page: Page;
  let ops: EnrolledUser;
  let admin: string;

  beforeAll(async () => {
    t = suite.t;
    page = suite.page;
    admin = await t.adminToken();
    for (const [name, permissions] of [
      ['console_admin', ADMIN_PERMISSIONS],
      ['console_reader', READER_PERMISSIONS],
    ] as const) {
      const made = await t.http.post(`${API}/roles`).auth(admin, { type: 'bearer' }).send({ name, permissions });
      expect(made.status).toBe(201);
    }
    // With an authenticator app: the admin reset of someone's second factors wants the caller's own.
    ops = await userWithTotp(t, ['console_admin']);
  });

  afterAll(() => suite.context.clearCookies());

  const asAdmin = <T extends { auth(token: string, options: { type: 'bearer' }): T }>(request: T) => request.auth(admin, { type: 'bearer' });
  /** Waits until a live region says `sentence`. */
  const said = (sentence: string) => expect.poll(() => page.getByRole('status').filter({ hasText: sentence }).count()).toBe(1);

  async function openUser(username: string) {
    await page.goto(suite.at(`/users/${username}`));
    await page.getByRole('heading', { name: `User ${username}` }).waitFor();
    await page.getByRole('heading', { name: `Change ${username}` }).waitFor();
  }

  it('creates a user: refusals are sentences naming the field, then the new user opens', async () => {
    await suite.signInWithTotp(ops);
    await page.getByRole('button', { name: 'New user' }).click();
    await page.getByLabel('Username', { exact: true }).fill('Not A Name!');
    await page.getByLabel('Email', { exact: true }).fill('not-an-email');
    await page.getByRole('button', { name: 'Create user' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const told = await alert.getByRole('listitem').allTextContents();
    expect(told.length).toBeGreaterThanOrEqual(2);
    for (const sentence of told) expect(sentence).toMatch(/^[A-Z][^{}[\]]*\.$/);
    expect(told.join(' ')).toMatch(/^Username must be/);
    expect(await accessibilityProblems(page)).toEqual([]);
    await suite.shot('user-create');

    const username = `newcomer${target.startsWith('sqlite') ? 's' : 'p'}`;
    await page.getByLabel('Username', { exact: true }).fill(username);
    await page.getByLabel('Email', { exact: true }).fill(`${username}@example.test`);
    await page.getByLabel('Full name (optional)').fill('New Comer');
    await page.getByLabel('Password (optional: without one, they get an activation link)').fill('Wide-open-prairie-42');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('heading', { name: `User ${username}` }).waitFor();
    expect((await t.login(username, 'Wide-open-prairie-42')).access_token).toBeTruthy();
  });

  it('edits a user (email, name), assigns a role and removes it', async () => {
    const { user } = await t.createUser({ prefix: 'edited-' });
    await suite.signInWithTotp(ops);
    await openUser(user.username);
    expect(await accessibilityProblems(page)).toEqual([]);
    await suite.shot('user-edit');
    await page.getByLabel('Full name', { exact: true }).fill('Edith Ed');
    await page.getByLabel('Email', { exact: true }).fill(`renamed-${user.username}@example.test`);
    await page.getByRole('group', { name: 'Roles' }).getByLabel('auditor').check();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await said(`${user.username} is saved.`);
    let stored = await asAdmin(t.http.get(`${API}/users/${user.username}`));
    expect([stored.body.full_name, stored.body.email, stored.body.roles]).toEqual(['Edith Ed', `renamed-${user.username}@example.test`, ['auditor']]);
    await page.getByRole('group', { name: 'Roles' }).getByLabel('auditor').uncheck();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(async () => (await asAdmin(t.http.get(`${API}/users/${user.username}`))).body.roles).toEqual([]);
    stored = await asAdmin(t.http.get(`${API}/users/${user.username}`));
    expect(stored.body.full_name).toBe('Edith Ed');
  });

  it("sets a user's password, and resets their second factors", async () => {
    const target = await userWithTotp(t);
    await suite.signInWithTotp(ops);
    await openUser(target.username);
    await page.getByLabel('New password', { exact: true }).fill('Brand-new-lantern-77');
    await page.getByRole('button', { name: 'Set password' }).click();
    await said(`The password of ${target.username} is changed; their sessions are revoked.`);
    const token = (password: string) => t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'password', username: target.username, password });
    expect((await token(target.password)).status).toBe(400);
    // Still a second factor to pass: the password alone is not a session yet.
    expect((await token('Brand-new-lantern-77')).body.error).toBe('mfa_required');

    await page.getByRole('button', { name: 'Reset second factors' }).click();
    await page.getByRole('button', { name: 'Confirm reset' }).click();
    await said(`Every second factor of ${target.username} is removed.`);
    const after = await token('Brand-new-lantern-77');
    expect(after.status).toBe(200);
    expect(after.body.access_token).toBeTruthy();
  });

  it("mints a user's API key shown once with a Copy button, then revokes it", async () => {
    const { user } = await t.createUser({ prefix: 'keyed-', roles: ['auditor'] });
    await suite.signInWithTotp(ops);
    await openUser(user.username);
    await page.getByLabel('Key name', { exact: true }).fill('ci-deploy');
    await page.getByLabel('Scopes (optional, separated by spaces)').fill('audit:read');
    await page.getByRole('button', { name: 'Mint key' }).click();
    const shown = page.getByRole('group', { name: 'New API key' });
    await shown.waitFor();
    const key = (await shown.locator('code').textContent()) ?? '';
    expect(key).toMatch(/^fab_/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => shown.getByText('Copied.').count()).toBe(1);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).navigator.clipboard.readText())).toBe(key);
    expect(await accessibilityProblems(page)).toEqual([]);
    await suite.shot('user-api-key');
    expect((await t.http.get(`${API}/audit`).set('X-API-Key', key)).status).toBe(200);

    // Once the page is left the raw key is gone: the list has its prefix only.
    await page.reload();
    await page.getByRole('heading', { name: `User ${user.username}` }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'ci-deploy' });
    await row.waitFor();
    expect(await page.getByRole('group', { name: 'New API key' }).count()).toBe(0);
    expect(await page.content()).not.toContain(key);
    expect(await row.textContent()).toContain(key.slice(0, 8));

    await row.getByRole('button', { name: 'Revoke key ci-deploy' }).click();
    await said('The key ci-deploy is revoked.');
    await expect.poll(() => row.textContent()).toMatch(/Revoked/);
    expect((await t.http.get(`${API}/audit`).set('X-API-Key', key)).status).toBe(401);
  });

  it('service accounts: listed, created, a key minted once and revoked, then deactivated', async () => {
    await suite.signInWithTotp(ops);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Service accounts' }).click();
    await page.getByRole('heading', { name: 'Service accounts', level: 1 }).waitFor();
    await page.getByText('No service accounts.').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('nightly-etl');
    await page.getByLabel('Description (optional)').fill('Nightly export');
    await page.getByLabel('Roles (optional, separated by spaces)').fill('auditor');
    await page.getByRole('button', { name: 'Create service account' }).click();
    await page.getByRole('heading', { name: 'Service account nightly-etl' }).waitFor();

    await page.getByLabel('Key name', { exact: true }).fill('etl-key');
    await page.getByLabel('Scopes (optional, separated by spaces)').fill('audit:read');
    await page.getByRole('button', { name: 'Mint key' }).click();
    const shown = page.getByRole('group', { name: 'New API key' });
    await shown.waitFor();
    const key = (await shown.locator('code').textContent()) ?? '';
    await page.getByRole('button', { name: 'Copy' }).click();
    await shown.getByText('Copied.').waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).navigator.clipboard.readText())).toBe(key);
    expect((await t.http.get(`${API}/audit`).set('X-API-Key', key)).status).toBe(200);
    expect(await accessibilityProblems(page)).toEqual([]);
    await suite.shot('service-account');

    await page.reload();
    const row = page.getByRole('row').filter({ hasText: 'etl-key' });
    await row.waitFor();
    expect(await page.content()).not.toContain(key);
    await row.getByRole('button', { name: 'Revoke key etl-key' }).click();
    await said('The key etl-key is revoked.');
    expect((await t.http.get(`${API}/audit`).set('X-API-Key', key)).status).toBe(401);

    await page.getByRole('button', { name: 'Deactivate service account' }).click();
    await page.getByRole('button', { name: 'Confirm deactivation' }).click();
    await said('nightly-etl is deactivated.');
    const listed = await asAdmin(t.http.get(`${API}/service-accounts`));
    expect(listed.body.items.map((a: { name: string; is_active: boolean }) => [a.name, a.is_active])).toEqual([['nightly-etl', false]]);

    await page.getByRole('link', { name: 'Back to service accounts' }).click();
    const listRow = page.getByRole('row').filter({ hasText: 'nightly-etl' });
    await listRow.waitFor();
    expect(await listRow.textContent()).toContain('Deactivated');
    expect(await accessibilityProblems(page)).toEqual([]);
    await suite.shot('service-accounts');
  });

  it('roles: listed with their permissions; a custom role created, edited, given to a user, taken back and deleted', async () => {
    const { user } = await t.createUser({ prefix: 'supported-' });
    await suite.signInWithTotp(ops);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Roles' }).click();
    await page.getByRole('heading', { name: 'Roles', level: 1 }).waitFor();
    const viewerRow = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'viewer', exact: true }) });
    await viewerRow.waitFor();
    expect(await viewerRow.textContent()).toContain('reports:read, users:list, users:read');
    expect(await accessibilityProblems(page)).toEqual([]);
    await suite.shot('roles');

    await page.getByLabel('Name', { exact: true }).fill('support');
    await page.getByLabel('Description (optional)').fill('Answers tickets');
    await page.getByLabel('Permissions (separated by spaces)').fill('users:list users:read');
    await page.getByRole('button', { name: 'Create role' }).click();
    await page.getByRole('heading', { name: 'Role support' }).waitFor();
    await page.getByLabel('Permissions (separated by spaces)').fill('users:list');
    await page.getByRole('button', { name: 'Save role' }).click();
    await said('The role support is saved.');
    expect((await asAdmin(t.http.get(`${API}/roles/support`))).body.permissions).toEqual(['users:list']);
    expect(await accessibilityProblems(page)).toEqual([]);
    await suite.shot('role');

    await openUser(user.username);
    await page.getByRole('group', { name: 'Roles' }).getByLabel('support').check();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await said(`${user.username} is saved.`);
    expect((await asAdmin(t.http.get(`${API}/users/${user.username}`))).body.roles).toEqual(['support']);
    await page.getByRole('group', { name: 'Roles' }).getByLabel('support').uncheck();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(async () => (await asAdmin(t.http.get(`${API}/users/${user.username}`))).body.roles).toEqual([]);

    await page.goto(suite.at('/roles/support'));
    await page.getByRole('button', { name: 'Delete role' }).click();
    await page.getByRole('button', { name: 'Confirm deletion' }).click();
    await page.getByRole('heading', { name: 'Roles', level: 1 }).waitFor();
    expect((await asAdmin(t.http.get(`${API}/roles/support`))).status).toBe(404);
    // A role from the configuration is shown, not offered for change.
    await page.goto(suite.at('/roles/viewer'));
    await page.getByText('Configuration (read only here)').waitFor();
    expect(await page.getByRole('button', { name: 'Delete role' }).count()).toBe(0);
  });

  it('a reader sees no write controls on the account screens, and their forged writes are refused', async () => {
    const reader = await t.createUser({ prefix: 'reader-', roles: ['console_reader'] });
    const { user } = await t.createUser({ prefix: 'read-only-' });
    await suite.context.clearCookies();
    await suite.signInWithPassword(reader.user.username, reader.password);
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    const controls = async () => ({
      buttons: (await page.getByRole('button').allTextContents()).filter((b) => !['Sign out', 'Previous page', 'Next page', 'Search'].includes(b)),
      fields: await page.locator('main input:not([type=search]), main select').count(),
    });
    expect(await controls()).toEqual({ buttons: [], fields: 0 });

    await page.goto(suite.at(`/users/${user.username}`));
    await page.getByRole('heading', { name: `User ${user.username}` }).waitFor();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByText('No API keys.').waitFor();
    expect(await controls()).toEqual({ buttons: [], fields: 0 });
    await suite.shot('reader-user');

    for (const [section, heading] of [
      ['Service accounts', 'Service accounts'],
      ['Roles', 'Roles'],
    ]) {
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: section }).click();
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await page.getByRole('table').waitFor();
      expect(await controls()).toEqual({ buttons: [], fields: 0 });
    }
    await page.getByRole('link', { name: 'console_admin', exact: true }).click();
    await page.getByRole('heading', { name: 'Role console_admin' }).waitFor();
    await page.getByText('Console or API').waitFor();
    expect(await controls()).toEqual({ buttons: [], fields: 0 });

    expect(await suite.forge('POST', '/roles', { name: 'forged', permissions: ['users:list'] })).toBe(403);
    expect(await suite.forge('DELETE', '/roles/console_admin')).toBe(403);
    expect(await suite.forge('POST', '/service-accounts', { name: 'forged' })).toBe(403);
    expect(await suite.forge('POST', '/users', { username: 'forged', email: 'forged@example.test' })).toBe(403);
    expect(await suite.forge('PATCH', `/users/${user.username}`, { full_name: 'Forged' })).toBe(403);
    expect(await suite.forge('POST', `/users/${user.username}/api-keys`, { name: 'forged' })).toBe(403);
    expect(await suite.forge('POST', `/users/${user.username}/password`, { new_password: 'Forged-password-123' })).toBe(403);
    const stored = await asAdmin(t.http.get(`${API}/users/${user.username}`));
    expect(stored.body.full_name).toBeNull();
    expect((await asAdmin(t.http.get(`${API}/users/forged`))).status).toBe(404);
    expect((await asAdmin(t.http.get(`${API}/roles/console_admin`))).status).toBe(200);
    expect((await asAdmin(t.http.get(`${API}/roles/forged`))).status).toBe(404);
  });
});
