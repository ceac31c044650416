import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_MAIN, type DemoProcess, startDemo } from '../support/demo-process.js';
import { CHROMIUM, launchChromium } from '../support/oidc/chromium.js';
import { startAppWithOp } from '../support/oidc/fixtures.js';
import type { TestOp } from '../support/oidc/test-op.js';
import { startAppWithIdp } from '../support/saml/fixtures.js';
import type { TestIdp } from '../support/saml/test-idp.js';
import { ADAPTERS, adapterOf, DATABASES, type TestApp } from '../support/test-app.js';

const SECRET = 'demo-page-secret-3c9e1a7f5b2d4e6a8c0f';
/** The screenshot CI keeps (test-artifacts/ is git-ignored). */
const ARTIFACTS = resolve('test-artifacts');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const adapters = ADAPTERS.filter((adapter) => DATABASES.some((target) => adapterOf(target) === adapter));

/**
 * What went wrong on a page of `origin`: console errors (a CSP violation is one: "Refused to
 * load…"), script errors, failed requests, and answers ≥ 400 by path. Chromium also logs each
 * answer ≥ 400 as a console error; those are kept by path instead, so the expected 401 of the
 * signed-out session check can be told apart.
 */
function watchForErrors(page: Page, origin: string): { errors: string[]; refused: string[] } {
  const errors: string[] = [];
  const refused: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource: the server responded with a status of')) errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('requestfailed', (request) => errors.push(`${request.url()}: ${request.failure()?.errorText}`));
  page.on('response', (response) => {
    if (response.status() >= 400 && response.url().startsWith(origin)) refused.push(`${response.status()} ${new URL(response.url()).pathname}`);
  });
  return { errors, refused };
}

/** The page asks who is signed in; signed out, that is its only refused request. */
const SIGNED_OUT_CHECK = '401 /api/v1/auth/me';

describe.each(adapters)('the demo page as a newcomer sees it, run as `npm start` does (%s)', (adapter) => {
  let cwd: string;
  let demo: DemoProcess;
  let browser: { context: BrowserContext; close(): Promise<void> };
  let page: Page;
  let watched: { errors: string[]; refused: string[] };
  beforeAll(async () => {
    if (!existsSync(DEMO_MAIN)) throw new Error(`${DEMO_MAIN} is missing: run \`npm run build\` first`);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    cwd = mkdtempSync(join(tmpdir(), 'fabric-demo-page-'));
    // No admin password and no provider configured: the first start of a fresh checkout.
    demo = await startDemo({ DATABASE_URL: 'sqlite:auth.sqlite', FABRIC_AUTH__SECRET_KEY: SECRET, HTTP_ADAPTER: adapter }, { cwd });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    rmSync(cwd, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await browser.context.clearCookies();
    page = await browser.context.newPage();
    watched = watchForErrors(page, demo.url);
  });

  it('names the admin account and where its password was printed, without the password', async () => {
    const password = /created with the generated password: (\S+)/.exec(demo.output())?.[1];
    expect(password).toBeDefined();
    await page.goto(`${demo.url}/`);
    await expect.poll(() => page.textContent('#status')).toBe('Not signed in');
    const hint = page.locator('#admin-hint');
    await expect.poll(() => hint.isVisible()).toBe(true);
    const text = (await hint.textContent())!.replace(/\s+/g, ' ');
    expect(text).toContain('The administrator account is admin.');
    expect(text).toContain("printed once in the server's output");
    expect(text).toContain('System admin "admin" created with the generated password: …');
    expect(await page.content()).not.toContain(password);
    expect(watched).toEqual({ errors: [], refused: [SIGNED_OUT_CHECK] });
  }, 60_000);

  it('offers no SSO or SAML sign-in, link or logout when no provider is configured', async () => {
    await page.goto(`${demo.url}/`);
    await expect.poll(() => page.textContent('#status')).toBe('Not signed in');
    expect(await page.getByRole('link', { name: 'Sign in with SSO' }).count()).toBe(0);
    expect(await page.locator('#sso-login, #sso-link, #sso-logout, .saml-login').count()).toBe(0);
    await expect.poll(() => page.getByRole('button', { name: 'Sign in', exact: true }).isVisible()).toBe(true);
  }, 60_000);

  it('after signing in, lists what the module offers; each link answers for the session; styled, no CSP error; screenshot kept', async () => {
    const password = /created with the generated password: (\S+)/.exec(demo.output())![1];
    await page.goto(`${demo.url}/`);
    await expect.poll(() => page.textContent('#status')).toBe('Not signed in');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForSelector('#status[data-username="admin"]');

    const links = page.locator('#links a');
    const targets: [string, string][] = [];
    for (let i = 0; i < (await links.count()); i++) {
      targets.push([(await links.nth(i).textContent())!, new URL((await links.nth(i).getAttribute('href'))!, demo.url).href]);
    }
    expect(targets.map(([name]) => name)).toEqual(['Protected demo route', 'Reports demo route', 'Sensitive demo route', 'Users', 'Your API keys', 'Signing keys', 'Swagger UI']);
    for (let i = 0; i < targets.length; i++) expect(await links.nth(i).isVisible()).toBe(true);
    // No console link: it does not exist yet.
    expect(await page.locator('a', { hasText: /console/i }).count()).toBe(0);
    // What each answers to this browser's session (cookies), as a click would.
    const statuses: Record<string, number> = {};
    for (const [name, href] of targets) statuses[name] = (await browser.context.request.get(href)).status();
    expect(statuses).toEqual({
      'Protected demo route': 200,
      'Reports demo route': 200,
      // The admin signed in with a password only: the route says so (403 mfa_required), it exists.
      'Sensitive demo route': 403,
      Users: 200,
      'Your API keys': 200,
      'Signing keys': 200,
      'Swagger UI': 200,
    });
    expect(targets.find(([name]) => name === 'Your API keys')![1]).toBe(`${demo.url}/api/v1/users/admin/api-keys`);

    // The stylesheet applied (served same-origin under the CSP), and nothing was refused.
    const css = await browser.context.request.get(`${demo.url}/demo/app.css`);
    expect(css.status()).toBe(200);
    expect(css.headers()['content-type']).toMatch(/^text\/css/);
    expect(await page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth")).toBe('672px');
    expect(watched).toEqual({ errors: [], refused: [SIGNED_OUT_CHECK] });

    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, adapter === 'express' ? 'demo-page.png' : `demo-page-${adapter}.png`);
    rmSync(file, { force: true });
    await page.screenshot({ path: file, fullPage: true });
    const png = readFileSync(file);
    expect(png.length).toBeGreaterThan(PNG_SIGNATURE.length);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  }, 60_000);
});

describe.each(DATABASES.filter((target) => target.startsWith('sqlite/')))('the demo page with an SSO provider configured (%s)', (target) => {
  let t: TestApp;
  let op: TestOp;
  let browser: { context: BrowserContext; close(): Promise<void> };
  beforeAll(async () => {
    ({ t, op } = await startAppWithOp(target, { oidc: {} }));
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await op?.close();
  });

  it('shows the SSO button, which leads to the provider; the admin password is the configured one', async () => {
    const page = await browser.context.newPage();
    const watched = watchForErrors(page, t.url);
    await page.goto(`${t.url}/`);
    await expect.poll(() => page.textContent('#status')).toBe('Not signed in');
    const sso = page.getByRole('link', { name: 'Sign in with SSO' });
    await expect.poll(() => sso.isVisible()).toBe(true);
    expect((await page.textContent('#admin-hint'))!.replace(/\s+/g, ' ')).toContain('the one configured as auth.system_admin_password');
    await sso.click();
    await page.waitForURL(`${op.issuer}/interaction/**`);
    expect(watched).toEqual({ errors: [], refused: [SIGNED_OUT_CHECK] });
  }, 60_000);
});

describe.each(DATABASES.filter((target) => target.startsWith('sqlite/')))('the demo page with a SAML connection configured (%s)', (target) => {
  let t: TestApp;
  let idp: TestIdp;
  let browser: { context: BrowserContext; close(): Promise<void> };
  beforeAll(async () => {
    ({ t, idp } = await startAppWithIdp(target, { corp: { jitProvisioning: true } }));
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await idp?.close();
  });

  it('shows "Sign in with SAML" (and no OIDC button), which signs the visitor in through the IdP', async () => {
    const email = `saml-demo-${process.pid}@corp.example`;
    idp.user = { nameId: email, attributes: { email: [email] } };
    const page = await browser.context.newPage();
    const watched = watchForErrors(page, t.url);
    await page.goto(`${t.url}/`);
    await expect.poll(() => page.textContent('#status')).toBe('Not signed in');
    expect(await page.locator('#sso-login').count()).toBe(0);
    const saml = page.getByRole('link', { name: 'Sign in with SAML' });
    await expect.poll(() => saml.isVisible()).toBe(true);
    await saml.click();
    await page.waitForURL(`${idp.url}/sso?**`);
    // The loopback IdP's answer is the bare form a real IdP's page auto-submits.
    await page.evaluate('document.forms[0].submit()');
    await page.waitForURL(`${t.url}/`);
    await expect.poll(() => page.textContent('#status')).toBe(`Signed in as ${email.split('@')[0]}`);
    expect(watched.errors).toEqual([]);
  }, 60_000);
});
