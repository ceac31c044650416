import { existsSync } from 'node:fs';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/demo-process.js';
import { decodePayload } from '../support/jwt-forge.js';
import { nextStep, totpCode } from '../support/mfa.js';
import { CHROMIUM, launchChromium } from '../support/oidc/chromium.js';
import { DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The demo page in Debian's chromium, with a virtual authenticator (Chrome DevTools Protocol
 * `WebAuthn.addVirtualAuthenticator`: a platform authenticator with user verification). The
 * page is served from http://localhost (WebAuthn needs a domain as RP ID, not an address).
 */
describe.each(DATABASES)('MFA on the demo page in a real browser on %s', (kind) => {
  let t: TestApp;
  let base: string;
  let browser: { context: BrowserContext; close(): Promise<void> };
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    const port = await freePort();
    base = `http://localhost:${port}`;
    // No public_base_url: the page origin is the one derived from the port the app listens on.
    t = await startTestApp(kind, { port });
    browser = await launchChromium();
    page = await browser.context.newPage();
    cdp = await browser.context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    }));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const accessClaims = async () => {
    const cookie = (await browser.context.cookies(base)).find((c) => c.name === 'access_token');
    return decodePayload(cookie!.value);
  };

  async function signInWithPassword(username: string, password: string): Promise<void> {
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('#password-submit');
  }

  async function logOut(): Promise<void> {
    await page.click('#logout');
    await expect.poll(() => page.textContent('#status')).toBe('Signed out');
  }

  it('enrols TOTP (QR code shown) and a passkey, then signs in passwordless and with either as the second factor', async () => {
    const { user, password } = await t.createUser({ prefix: 'browser' });
    await page.goto(`${base}/`);
    await expect.poll(() => page.textContent('#status')).toBe('Not signed in');
    await signInWithPassword(user.username, password);
    await page.waitForSelector('#status[data-username]');
    expect(await page.textContent('#status')).toBe(`Signed in as ${user.username}`);

    // A passkey, registered through navigator.credentials.create(); the first factor brings the recovery codes.
    await page.fill('#passkey-name', 'Virtual authenticator');
    await page.click('#passkey-register');
    await expect.poll(() => page.textContent('#message')).toBe('Passkey registered');
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    const stored = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
    expect(stored).toHaveLength(1);
    expect(stored[0].isResidentCredential).toBe(true);

    await logOut();

    // Passwordless: the discoverable passkey names its user; user verification is required.
    await page.click('#passkey-signin');
    await page.waitForSelector('#status[data-username]');
    expect(await page.textContent('#status')).toBe(`Signed in as ${user.username}`);
    expect((await accessClaims()).amr).toEqual(['hwk', 'mfa']);

    // TOTP, from that session: adding a factor to an account that has one needs a recent second factor.
    // The QR code is an image the page shows; the key is typed into "the app" (the test).
    await page.click('#totp-start');
    await page.waitForSelector('#totp-enrol:not([hidden])');
    expect(await page.getAttribute('#totp-qr', 'src')).toMatch(/^data:image\/svg\+xml;base64,/);
    // The data URI decodes to an image the browser can draw.
    expect(await page.evaluate('document.getElementById("totp-qr").naturalWidth')).toBeGreaterThan(0);
    const secret = (await page.textContent('#totp-secret'))!;
    await page.fill('#totp-code', totpCode(secret, t.clock.now()));
    await page.click('#totp-confirm');
    await expect.poll(() => page.textContent('#message')).toBe('Authenticator app enabled');
    await expect.poll(() => page.getAttribute('#mfa-summary', 'data-factors')).toBe('totp,passkey,recovery_code');
    await logOut();

    // The password, then the passkey as the second factor.
    await signInWithPassword(user.username, password);
    await page.waitForSelector('#second-factor:not([hidden])');
    expect(await page.textContent('#factors')).toBe('totp, passkey, recovery_code');
    await page.click('#passkey-second');
    await page.waitForSelector('#status[data-username]');
    expect((await accessClaims()).amr).toEqual(['pwd', 'hwk', 'mfa']);
    await logOut();

    // The password, then a code of the authenticator app.
    nextStep(t);
    await signInWithPassword(user.username, password);
    await page.waitForSelector('#second-factor:not([hidden])');
    await page.fill('#otp', totpCode(secret, t.clock.now()));
    await page.click('#otp-submit');
    await page.waitForSelector('#status[data-username]');
    expect((await accessClaims()).amr).toEqual(['pwd', 'otp', 'mfa']);
    await logOut();
  }, 90_000);
});
