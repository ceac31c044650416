import { afterAll, describe, expect, it } from 'vitest';
import { CONSOLE_TARGETS, consoleSuite } from '../support/console-browser.js';
import { startAppWithOp } from '../support/oidc/fixtures.js';
import type { TestOp } from '../support/oidc/test-op.js';

// The sign-in screen's "Sign in with <provider>" link in chromium: through a real OpenID Provider
// on loopback and back to the console screen the link named in return_to, signed in.
describe.each(CONSOLE_TARGETS)('the console’s SSO sign-in in chromium on %s', (target) => {
  let op: TestOp;
  let ada: string;
  const suite = consoleSuite(
    target,
    async (t) => {
      ada = (await t.createUser({ prefix: 'ada' })).user.username;
    },
    async (cell) => {
      const started = await startAppWithOp(cell, { corp: { jitProvisioning: true, defaultRoles: ['viewer'] } }, [], { console: { enabled: true } });
      op = started.op;
      op.accounts.set('grace', { preferred_username: 'grace.sso', name: 'Grace Hopper', email: 'grace.sso@example.test', email_verified: true });
      return started.t;
    },
  );
  afterAll(() => op?.close());

  it('the provider’s link leads through its login page back to the screen the console was on, signed in', async () => {
    const { page, t } = suite;
    // A screen other than the console's first, opened on the host of the provider's redirect URI
    // (127.0.0.1), where the login-state cookie is set and read.
    const screen = `${t.url}/admin/users/${ada}`;
    await page.goto(screen);
    await page.getByRole('heading', { name: 'Sign in to the admin console' }).waitFor();
    await page.getByRole('link', { name: 'Sign in with corp' }).click();
    await page.waitForURL(`${op.issuer}/interaction/**`);
    await page.fill('#login', 'grace');
    await page.click('#sign-in');
    await page.waitForURL(screen);
    await page.getByRole('heading', { name: `User ${ada}`, level: 1 }).waitFor();
    await page.getByText(`${ada}@example.test`).waitFor();
    expect(await page.getByText('Signed in as grace.sso').count()).toBe(1);
    expect(await page.getByRole('navigation', { name: 'Sections' }).getByRole('link').allTextContents()).toEqual(['Users']);
    expect(op.hits('/auth')).toBe(1);
    await suite.shot('sso-signed-in');
  }, 30_000);
});
