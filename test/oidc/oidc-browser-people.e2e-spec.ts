import { existsSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium } from '../support/oidc/chromium.js';
import { startAppWithOp } from '../support/oidc/fixtures.js';
import { OIDC_API } from '../support/oidc/sign-in.js';
import type { TestOp } from '../support/oidc/test-op.js';
import { DATABASES, type TestApp } from '../support/test-app.js';

let subjects = 0;

describe.each(DATABASES)('SSO for people in a real browser on %s', (kind) => {
  let t: TestApp;
  let op: TestOp;
  let browser: { context: BrowserContext; close(): Promise<void> };
  let page: Page;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    ({ t, op } = await startAppWithOp(kind, { oidc: { jitProvisioning: true, defaultRoles: ['viewer'] }, nojit: {} }));
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await op?.close();
  });
  beforeEach(async () => {
    await browser.context.clearCookies();
    for (const open of browser.context.pages()) await open.close();
    page = await browser.context.newPage();
  });

  function account(): string {
    const subject = `person-${++subjects}-${process.pid}`;
    op.accounts.set(subject, { preferred_username: subject, email: `${subject}@idp.test`, email_verified: true });
    return subject;
  }

  async function atProviderSignIn(on: Page, subject: string): Promise<void> {
    await on.waitForURL(`${op.issuer}/interaction/**`);
    await on.fill('#login', subject);
    await on.click('#sign-in');
  }

  async function signInFromHome(subject: string): Promise<void> {
    await page.goto(`${t.url}/`);
    await expect.poll(() => page.textContent('#status')).toBe('Not signed in');
    await page.click('#sso-login');
    await atProviderSignIn(page, subject);
    await page.waitForURL(`${t.url}/`);
    await expect.poll(() => page.textContent('#status')).toBe(`Signed in as ${subject}`);
  }

  it('a refused login lands on the error page with its code', async () => {
    await page.goto(`${t.url}${OIDC_API}/nojit/login`);
    await atProviderSignIn(page, account());
    await page.waitForURL(`${t.url}${OIDC_API}/error?error=no_account`);
    expect(await page.getAttribute('#sso-error', 'data-error')).toBe('no_account');
    expect(await page.textContent('#sso-error')).toContain('There is no account for this identity here');
  }, 60_000);

  it('logs out at the provider too, then signs in as someone else', async () => {
    const first = account();
    await signInFromHome(first);
    await page.click('#sso-logout');
    await page.waitForURL(`${op.issuer}/session/end**`);
    await page.click('#logout-yes');
    await page.waitForURL(`${t.url}/`);
    await expect.poll(() => page.textContent('#status')).toBe('Not signed in');
    const second = account();
    await page.click('#sso-login');
    // The provider's session is gone: it asks who is signing in.
    await atProviderSignIn(page, second);
    await page.waitForURL(`${t.url}/`);
    await expect.poll(() => page.textContent('#status')).toBe(`Signed in as ${second}`);
  }, 90_000);

  it('two tabs at the provider sign-in page at once both complete', async () => {
    const subject = account();
    const second = await browser.context.newPage();
    await page.goto(`${t.url}${OIDC_API}/login?return_to=/`);
    await page.waitForURL(`${op.issuer}/interaction/**`);
    await second.goto(`${t.url}${OIDC_API}/login?return_to=/`);
    await atProviderSignIn(second, subject);
    await second.waitForURL(`${t.url}/`);
    await expect.poll(() => second.textContent('#status')).toBe(`Signed in as ${subject}`);
    await atProviderSignIn(page, subject);
    await page.waitForURL(`${t.url}/`);
    await expect.poll(() => page.textContent('#status')).toBe(`Signed in as ${subject}`);
  }, 90_000);

  // Linking from a session opened through the same provider with another person would end
  // that session: the provider's sign-in of the second person logs the first one out there,
  // and its back-channel logout reaches us. So the realistic case: a local account links SSO.
  it('a signed-in local user links an SSO identity from the demo page, then unlinks it', async () => {
    const { user, password } = await t.createUser();
    await page.goto(`${t.url}/`);
    const signedIn = await page.evaluate(
      async ([username, secret]) =>
        (
          await fetch('/api/v1/auth/token', {
            method: 'POST',
            credentials: 'same-origin',
            body: new URLSearchParams({ grant_type: 'password', username: username, password: secret, set_cookies: 'true' }),
          })
        ).status,
      [user.username, password],
    );
    expect(signedIn).toBe(200);
    await page.reload();
    await expect.poll(() => page.textContent('#status')).toBe(`Signed in as ${user.username}`);
    const subjects = () => page.locator('#identities li').evaluateAll((items) => items.map((i) => (i as unknown as { dataset: { subject?: string } }).dataset.subject));
    await expect.poll(subjects).toEqual([]);
    const identity = account();
    await page.click('#sso-link');
    await atProviderSignIn(page, identity);
    await page.waitForURL(`${t.url}/`);
    // Still the same account and session, now with the identity linked.
    await expect.poll(() => page.textContent('#status')).toBe(`Signed in as ${user.username}`);
    await expect.poll(subjects).toEqual([identity]);
    await page.click(`#identities li[data-subject="${identity}"] button.unlink`);
    await expect.poll(subjects).toEqual([]);
  }, 90_000);
});
