import type { Page } from 'playwright-core';
import { DateUtils } from 'typeorm/util/DateUtils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityProblems, CONSOLE_TARGETS, consoleSuite, type PageGlobals } from '../support/console-browser.js';
import { type EnrolledUser, nextStep, totpCode, userWithTotp } from '../support/mfa.js';
import { API, type TestApp } from '../support/test-app.js';

/** Users seeded to search among, as the issue asks. */
const SEEDED = 10_000;

/**
 * crew0000 … crew9999 in one multi-row INSERT of literals (the API, or one parameter per value,
 * would take minutes or pass the drivers' parameter limits); every value is made here, none comes
 * from outside.
 */
async function seedCrew(t: TestApp): Promise<void> {
  const stamp = DateUtils.mixedDateToUtcDatetimeString(new Date());
  const rows = Array.from({ length: SEEDED }, (_, i) => {
    const name = `crew${String(i).padStart(4, '0')}`;
    return `('00000000-0000-4000-8000-${String(i).padStart(12, '0')}', '${name}', '${name}@example.test', TRUE, FALSE, FALSE, '${stamp}', '${stamp}')`;
  });
  await t.dataSource.query(`INSERT INTO users (id, username, email, is_active, is_system_admin, email_verified, created_at, updated_at) VALUES ${rows.join(', ')}`);
}

describe.each(CONSOLE_TARGETS)('the admin console in chromium on %s', (target) => {
  const suite = consoleSuite(target, seedCrew);
  let t: TestApp;
  let page: Page;
  let ops: EnrolledUser;
  const shot = (name: string) => suite.shot(name);
  const at = (path: string) => suite.at(path);
  const signInWithPassword = (username: string, password: string) => suite.signInWithPassword(username, password);

  beforeAll(async () => {
    t = suite.t;
    page = suite.page;
    // The person at the console: may manage users and read the audit log, with an authenticator app.
    ops = await userWithTotp(t, ['user_admin', 'auditor']);
  });

  afterAll(() => suite.context.clearCookies());

  async function signInAsOps() {
    await suite.signInWithTotp(ops);
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
  }

  async function search(prefix: string) {
    await page.getByRole('searchbox', { name: 'Username or email starts with' }).fill(prefix);
    await page.getByRole('button', { name: 'Search' }).click();
  }

  const userRows = () =>
    page
      .getByRole('table')
      .getByRole('row')
      .filter({ has: page.getByRole('cell') });

  it('serves the page under its CSP, and signs a person in with the password then the authenticator code', async () => {
    await suite.context.clearCookies();
    const answer = await page.goto(at(''));
    expect(answer?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(answer?.headers()['x-frame-options']).toBe('DENY');
    await page.getByRole('heading', { name: 'Sign in to the admin console' }).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot('sign-in');

    await page.getByLabel('Username').fill(ops.username);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/^[A-Z][^{}]*[.!?]$/);

    await page.getByLabel('Password').fill(ops.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Second factor' }).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot('second-factor');
    nextStep(t);
    await page.getByLabel('Code from your authenticator app').fill(totpCode(ops.secret, t.clock.now()));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await expect.poll(() => page.getByText(`Signed in as ${ops.username}`).count()).toBe(1);
    expect(page.url()).toBe(at('/users'));
    // The session is the cookie pair, never in storage the page's scripts could leak.
    expect(
      await page.evaluate(() => {
        const globals = globalThis as unknown as PageGlobals;
        return [globals.localStorage.length, globals.sessionStorage.length];
      }),
    ).toEqual([0, 0]);
    const cookies = await suite.context.cookies();
    expect(cookies.find((c) => c.name === 'access_token')?.httpOnly).toBe(true);
  });

  it(`finds a user by prefix among ${SEEDED.toLocaleString('en')}, paging through the matches with cursors`, async () => {
    await signInAsOps();
    await search('crew');
    await expect.poll(() => page.getByText(/^(About )?10,000 users$/).count()).toBe(1);
    await search('crew1');
    await expect.poll(() => userRows().first().textContent()).toContain('crew1000');
    expect(await userRows().count()).toBe(25);
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => userRows().first().textContent()).toContain('crew1025');
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(() => userRows().first().textContent()).toContain('crew1000');
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot('users');

    await search('crew1234');
    await expect.poll(() => userRows().count()).toBe(1);
    await page.getByRole('link', { name: 'crew1234', exact: true }).click();
    await page.getByRole('heading', { name: 'User crew1234' }).waitFor();
    expect(page.url()).toBe(at('/users/crew1234'));
    await page.getByText('crew1234@example.test').waitFor();
    // A reload opens the same screen: the server answers the page for the screen's address.
    await page.reload();
    await page.getByRole('heading', { name: 'User crew1234' }).waitFor();
  });

  it('deactivating a user ends their session (their next API call is 401); the audit log shows who did it', async () => {
    const { user, password } = await t.createUser({ prefix: 'crew-target-' });
    const theirs = await t.login(user.username, password);
    expect((await t.http.get(`${API}/auth/me`).auth(theirs.access_token, { type: 'bearer' })).status).toBe(200);

    await signInAsOps();
    await search(user.username);
    await page.getByRole('link', { name: user.username, exact: true }).click();
    await page.getByRole('heading', { name: `User ${user.username}` }).waitFor();
    await expect.poll(() => page.getByRole('button', { name: /^Revoke the session opened/ }).count()).toBe(1);
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot('user');

    await page.getByRole('button', { name: 'Deactivate user' }).click();
    await page.getByRole('button', { name: 'Confirm deactivation' }).click();
    await expect
      .poll(() =>
        page
          .getByRole('status')
          .filter({ hasText: `${user.username} is deactivated.` })
          .count(),
      )
      .toBe(1);
    await page.getByRole('button', { name: 'Reactivate user' }).waitFor();
    expect((await t.http.get(`${API}/auth/me`).auth(theirs.access_token, { type: 'bearer' })).status).toBe(401);
    expect((await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'refresh_token', refresh_token: theirs.refresh_token })).status).toBe(400);

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.getByLabel('Event', { exact: true }).fill('user.deactivate');
    await page.getByRole('button', { name: 'Filter' }).click();
    const entry = page.getByRole('row').filter({ hasText: 'user.deactivate' }).filter({ hasText: user.id });
    await expect.poll(() => entry.count()).toBe(1);
    expect(await entry.textContent()).toContain(ops.username);
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot('audit');
  });

  it('a viewer sees no write controls, and a forged write from their page is refused', async () => {
    const viewer = await t.createUser({ roles: ['viewer'] });
    await suite.context.clearCookies();
    await signInWithPassword(viewer.user.username, viewer.password);
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Sections' }).getByRole('link').allTextContents()).toEqual(['Users']);

    await page.goto(at('/users/crew0042'));
    await page.getByRole('heading', { name: 'User crew0042' }).waitFor();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    await page.getByText('crew0042@example.test').waitFor();
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    await shot('viewer-user');

    expect(await suite.forge('POST', '/users/crew0042/deactivate')).toBe(403);
    const still = await t.http.get(`${API}/users/crew0042`).auth(await t.adminToken(), { type: 'bearer' });
    expect(still.body.is_active).toBe(true);

    await page.goto(at('/audit'));
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('There is no such page, or your account may not open it.');
  });

  it('a session that ends (revoked, or timed out) returns the console to sign-in, saying so', async () => {
    await signInAsOps();
    const revoked = await t.http.post(`${API}/users/${ops.username}/sessions/revoke`).auth(await t.adminToken(), { type: 'bearer' });
    expect(revoked.status).toBe(200);
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Sign in to the admin console' }).waitFor();
    expect(await page.getByRole('status').textContent()).toBe('Your session has ended. Sign in again.');
  });

  it('works from the keyboard alone: sign in with the second factor, find a user, deactivate them', async () => {
    await suite.context.clearCookies();
    await page.goto(at(''));
    await page.getByRole('heading', { name: 'Sign in to the admin console' }).waitFor();
    const focused = () => page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.getAttribute('name') ?? null);
    await expect.poll(focused).toBe('username');
    await page.keyboard.type(ops.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(ops.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Second factor' }).waitFor();
    await expect.poll(focused).toBe('otp');
    nextStep(t);
    await page.keyboard.type(totpCode(ops.secret, t.clock.now()));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    // The new screen's heading has the focus; the search box is the next stop.
    await page.keyboard.press('Tab');
    await expect.poll(focused).toBe('q');
    await page.keyboard.type('crew0777');
    await page.keyboard.press('Enter');
    await expect.poll(() => userRows().count()).toBe(1);
    const focusedText = () => page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.textContent);
    // Past the Search and New user buttons, the first result.
    for (const stop of ['Search', 'New user', 'crew0777']) {
      await page.keyboard.press('Tab');
      expect(await focusedText()).toBe(stop);
    }
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'User crew0777' }).waitFor();
    // The heading has the focus; the first control after the facts is Deactivate, then the confirmation takes the focus.
    await page.getByText('crew0777@example.test').waitFor();
    await page.keyboard.press('Tab');
    expect(await focusedText()).toBe('Deactivate user');
    await page.keyboard.press('Enter');
    await expect.poll(focusedText).toBe('Confirm deactivation');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'crew0777 is deactivated.' }).count()).toBe(1);
    expect((await t.http.get(`${API}/users/crew0777`).auth(await t.adminToken(), { type: 'bearer' })).body.is_active).toBe(false);
  });

  it('shows a refusal as a sentence, never the raw answer', async () => {
    await signInAsOps();
    await page.goto(at('/users/nobody-by-that-name'));
    const alert = page.getByRole('alert').first();
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text).toMatch(/^[A-Z][^{}[\]]*[.!?]$/);
    expect(text).not.toMatch(/statusCode|at .*\.js|Error:/);
  });
});
