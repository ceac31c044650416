import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_NAMES } from '../../libs/fabric-auth/src/fabric-auth.features.js';
import { accessibilityProblems, type PageGlobals, signInWithPassword, watchPage } from '../support/console-browser.js';
import { launchChromium } from '../support/oidc/chromium.js';
import { API, startTestApp, type TestApp, type TestTarget, TEST_OPTIONS } from '../support/test-app.js';
import { eventually } from '../events/events-app.js';
import { Receiver } from '../events/receiver.js';

// The console's organization and webhook screens in chromium, driven by roles and labels, on
// SQLite behind Express and PostgreSQL behind Fastify (as console-browser.e2e-spec.ts).
const TARGETS: readonly TestTarget[] = ['sqlite/express', 'postgres/fastify'];
const ARTIFACTS = join('test-artifacts', 'console');
const ROLES = {
  ...TEST_OPTIONS.roles,
  hook_admin: ['webhooks:manage', 'webhooks:read'],
  hook_reader: ['webhooks:read'],
};
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

let browser: Awaited<ReturnType<typeof launchChromium>>;
beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});
afterAll(() => browser?.close());

describe.each(TARGETS)('the console’s organization and webhook screens in chromium on %s', (target) => {
  let t: TestApp;
  let page: Page;
  let admin: string;
  let watched: Awaited<ReturnType<typeof watchPage>>;
  const receivers: Receiver[] = [];
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${target.replace('/', '-')}-${name}.png`), fullPage: true });
  const at = (path: string) => `${t.origin}/admin${path}`;

  beforeAll(async () => {
    t = await startTestApp(target, {
      options: {
        roles: ROLES,
        console: { enabled: true },
        webhooks: { enabled: true, allowPrivateTargets: true, retrySchedule: [1], disableAfterFailures: 100, pollIntervalMs: 100 },
      },
      features: [...DEFAULT_FEATURE_NAMES, 'webhooks', 'console'],
    });
    admin = await t.adminToken();
    page = await browser.context.newPage();
    watched = await watchPage(page);
  });

  afterEach(async () => {
    const found = await watched.take();
    expect(found.csp, 'CSP violations').toEqual([]);
    expect(found.errors, 'errors in the page').toEqual([]);
  });

  afterAll(async () => {
    await page?.close();
    await browser.context.clearCookies();
    await Promise.all(receivers.map((r) => r.stop()));
    await t?.close();
  });

  async function signIn(roles: string[], home: string) {
    const { user, password } = await t.createUser({ roles });
    await browser.context.clearCookies();
    await signInWithPassword(page, at(''), user.username, password);
    await page.getByRole('heading', { name: home, level: 1 }).waitFor();
    return user;
  }

  async function createUserThroughApi(username: string) {
    const res = await t.http
      .post(`${API}/users`)
      .set(bearer(admin))
      .send({ username, email: `${username}@example.test`, password: 'Corr3ct-horse-battery' });
    expect(res.status).toBe(201);
  }

  const cellsOf = (row: string) => page.getByRole('row').filter({ hasText: row });

  it('registers a webhook endpoint (its secret shown once, with Copy), changes it, shows deliveries with attempts and status codes, and redelivers one', async () => {
    const receiver = await new Receiver().start();
    receivers.push(receiver);
    receiver.answer = () => 500;
    await signIn(['hook_admin'], 'Webhooks');
    expect(page.url()).toBe(at('/webhooks'));
    await page.getByText('No webhook endpoints yet.').waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);

    await page.getByLabel('Address (URL)').fill(receiver.url);
    await page.getByLabel('Events (names separated by commas, or * for all)').fill('user.created');
    await page.getByLabel('Description').fill('CRM sync');
    await page.getByRole('button', { name: 'Register endpoint' }).click();
    const secret = page.getByRole('group', { name: `Signing secret of ${receiver.url}` });
    await secret.waitFor();
    const shown = (await secret.locator('code').textContent()) ?? '';
    expect(shown).toMatch(/^whsec_/);
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.origin });
    await secret.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => secret.getByRole('status').textContent()).toBe('Copied.');
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).navigator.clipboard.readText())).toBe(shown);
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot('webhook-secret');
    await secret.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => page.getByText(shown).count()).toBe(0);
    // Never shown again: neither the list nor the endpoint's page has it.
    await page.reload();
    await page.getByRole('link', { name: receiver.url }).click();
    await page.getByRole('heading', { name: `Webhook ${receiver.url}` }).waitFor();
    expect(await page.content()).not.toContain(shown);

    await page.getByLabel('Events (names separated by commas, or * for all)').fill('user.created, user.deactivated');
    await page.getByLabel('Description').fill('CRM sync, two events');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('The endpoint is saved.');
    const stored = (await t.http.get(`${API}/webhooks`).set(bearer(admin))).body.items as Array<{ id: string; events: string[]; description: string }>;
    expect(stored.map((h) => [h.events, h.description])).toEqual([[['user.created', 'user.deactivated'], 'CRM sync, two events']]);

    // An event the receiver refuses twice (the first attempt and the one retry): the delivery failed, HTTP 500.
    await createUserThroughApi(`hooked-${target.replace('/', '-')}`);
    await eventually(() => receiver.received.length === 2, 'two attempts', 15_000);
    const delivery = cellsOf('user.created');
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Refresh deliveries' }).click();
          return delivery.first().textContent();
        },
        { timeout: 15_000 },
      )
      .toMatch(/failed.*2.*HTTP 500/);
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot('webhook');

    receiver.answer = () => 200;
    await delivery.getByRole('button', { name: /^Redeliver user\.created / }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('The user.created event is queued for delivery again.');
    await eventually(() => receiver.received.length === 3, 'the redelivery', 15_000);
    expect(receiver.received[2].headers['webhook-id']).toBe(receiver.received[0].headers['webhook-id']);
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Refresh deliveries' }).click();
          return delivery.first().textContent();
        },
        { timeout: 15_000 },
      )
      .toMatch(/succeeded.*HTTP 200/);

    await page.getByRole('button', { name: 'Delete endpoint' }).click();
    await page.getByRole('button', { name: 'Confirm deletion' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.getByText('No webhook endpoints yet.').waitFor();
    expect((await t.http.get(`${API}/webhooks`).set(bearer(admin))).body.items).toEqual([]);
  });

  it('a webhooks reader sees the endpoints and deliveries but no write control, and a forged write from their page is refused', async () => {
    const hook = (
      await t.http
        .post(`${API}/webhooks`)
        .set(bearer(admin))
        .send({ url: 'https://hooks.example.com/fabric', events: ['*'] })
    ).body as { id: string };
    await signIn(['hook_reader'], 'Webhooks');
    expect(await page.getByRole('navigation', { name: 'Sections' }).getByRole('link').allTextContents()).toEqual(['Webhooks']);
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    expect(await page.getByRole('textbox').count()).toBe(0);
    await page.getByRole('link', { name: 'https://hooks.example.com/fabric' }).click();
    await page.getByRole('heading', { name: 'Webhook https://hooks.example.com/fabric' }).waitFor();
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out', 'Refresh deliveries']);
    expect(await page.getByRole('textbox').count()).toBe(0);
    expect(await accessibilityProblems(page)).toEqual([]);

    const forged = await page.evaluate(
      async ({ api, id }) => {
        const csrf = decodeURIComponent(
          (globalThis as unknown as PageGlobals).document.cookie
            .split('; ')
            .find((c) => c.startsWith('csrf_token='))
            ?.slice('csrf_token='.length) ?? '',
        );
        const res = await fetch(`${api}/webhooks/${id}`, { method: 'DELETE', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf } });
        return res.status;
      },
      { api: API, id: hook.id },
    );
    expect(forged).toBe(403);
    expect((await t.http.get(`${API}/webhooks/${hook.id}`).set(bearer(admin))).status).toBe(200);
    await t.http.delete(`${API}/webhooks/${hook.id}`).set(bearer(admin)).expect(204);
  });
});
