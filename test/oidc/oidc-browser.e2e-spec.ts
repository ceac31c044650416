import { existsSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium } from '../support/oidc/chromium.js';
import { startAppWithOp } from '../support/oidc/fixtures.js';
import type { TestOp } from '../support/oidc/test-op.js';
import { DATABASES, type TestApp } from '../support/test-app.js';

describe.each(DATABASES)("the demo's SSO login in a real browser on %s", (kind) => {
  let t: TestApp;
  let op: TestOp;
  let browser: { context: BrowserContext; close(): Promise<void> };
  let page: Page;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    ({ t, op } = await startAppWithOp(kind, { oidc: { jitProvisioning: true, defaultRoles: ['viewer'] } }));
    op.accounts.set('browser-user', { preferred_username: 'browser.user', email: 'browser.user@example.test', email_verified: true });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await op?.close();
  });
  beforeEach(async () => {
    await browser.context.clearCookies();
    page = await browser.context.newPage();
  });

  async function signInThroughTheProvider(): Promise<void> {
    await page.goto(`${t.url}/`);
    await expect.poll(() => page.textContent('#status')).toBe('Not signed in');
    await page.click('#sso-login');
    await page.waitForURL(`${op.issuer}/interaction/**`);
    await page.fill('#login', 'browser-user');
    await page.click('#sign-in');
    await page.waitForURL(`${t.url}/`);
    await page.waitForSelector('#status[data-username]');
  }

  it('clicks through the SSO login and lands on the page showing the signed-in user', async () => {
    await signInThroughTheProvider();
    expect(await page.textContent('#status')).toBe('Signed in as browser.user');
    const cookies = await browser.context.cookies(t.url);
    const byName = new Map(cookies.map((c) => [c.name, c]));
    expect(byName.get('access_token')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(byName.get('refresh_token')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(byName.get('csrf_token')).toMatchObject({ httpOnly: false });
    expect([...byName.keys()].filter((name) => name.startsWith('fabric_oidc_state'))).toEqual([]);
    // HttpOnly: the page's script sees the CSRF token and nothing else of the session.
    const visible = await page.evaluate<string>('document.cookie');
    expect(visible.split('; ').map((c) => c.split('=')[0])).toEqual(['csrf_token']);
  }, 60_000);

  it("a page's fetch needs the CSRF token for unsafe requests: without it 403, with it the logout is a 204", async () => {
    await signInThroughTheProvider();
    const withoutToken = await page.evaluate(() => fetch('/api/v1/auth/logout', { method: 'POST', credentials: 'same-origin' }).then((r) => r.status));
    expect(withoutToken).toBe(403);
    expect(await page.evaluate(() => fetch('/api/v1/auth/me', { credentials: 'same-origin' }).then((r) => r.status))).toBe(200);
    const logout = page.waitForResponse((response) => response.url().endsWith('/api/v1/auth/logout'));
    await page.click('#logout');
    expect((await logout).status()).toBe(204);
    await expect.poll(() => page.textContent('#status')).toBe('Signed out');
    expect(await page.evaluate(() => fetch('/api/v1/auth/me', { credentials: 'same-origin' }).then((r) => r.status))).toBe(401);
  }, 60_000);
});
