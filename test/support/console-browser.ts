import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { type EnrolledUser, nextStep, totpCode } from './mfa.js';
import { launchChromium } from './oidc/chromium.js';
import { API, startTestApp, type TestApp, type TestTarget } from './test-app.js';

/** The browser flows run on SQLite behind Express and on PostgreSQL behind Fastify; the serving and its headers are checked on all four cells by console-serving.e2e-spec.ts. */
export const CONSOLE_TARGETS: readonly TestTarget[] = ['sqlite/express', 'postgres/fastify'];
export const ARTIFACTS = join('test-artifacts', 'console');

/** The page's globals the console tests read (this project has no DOM typings): cast inside each `page.evaluate`, which runs in the page. */
export interface PageGlobals {
  axe?: { run(context: unknown, options: object): Promise<{ violations: AxeViolation[] }> };
  cspReports?: string[];
  document: {
    cookie: string;
    activeElement: { getAttribute(name: string): string | null; textContent: string | null } | null;
    addEventListener(type: string, listener: (event: { violatedDirective: string; blockedURI: string }) => void): void;
  };
  localStorage: { length: number };
  sessionStorage: { length: number };
  navigator: { clipboard: { readText(): Promise<string> } };
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical findings on the page as it is (its source evaluated through the DevTools protocol, which the page's CSP does not govern). */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => (globalThis as unknown as PageGlobals).axe !== undefined))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const globals = globalThis as unknown as PageGlobals;
    return (await globals.axe!.run(globals.document, { resultTypes: ['violations'] })).violations;
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * What the page must never do, collected while a test runs: CSP violations (from the page's own
 * `securitypolicyviolation` events and the browser's log) and errors (the API's 4xx answers
 * some steps expect are not errors). `take()` answers them and starts again.
 */
export async function watchPage(page: Page): Promise<{ take(): Promise<{ csp: string[]; errors: string[] }> }> {
  const cspReports: string[] = [];
  const consoleErrors: string[] = [];
  await page.addInitScript(() => {
    const globals = globalThis as unknown as PageGlobals;
    globals.document.addEventListener('securitypolicyviolation', (event) => {
      const reports = (globals.cspReports ??= []);
      reports.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  page.on('console', (message) => {
    if (message.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d /.test(message.text())) consoleErrors.push(message.text());
    if (/Content Security Policy/i.test(message.text())) cspReports.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  return {
    async take() {
      const inPage = await page.evaluate(() => (globalThis as unknown as PageGlobals).cspReports ?? []).catch(() => []);
      const found = { csp: [...cspReports, ...inPage], errors: [...consoleErrors] };
      cspReports.length = 0;
      consoleErrors.length = 0;
      return found;
    },
  };
}

/** The console's password step: its sign-in screen at `consoleUrl`, the username and password, Sign in. */
export async function signInWithPassword(page: Page, consoleUrl: string, username: string, password: string): Promise<void> {
  await page.goto(consoleUrl);
  await page.getByRole('heading', { name: 'Sign in to the admin console' }).waitFor();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export interface ConsoleSuite {
  readonly t: TestApp;
  readonly page: Page;
  readonly context: BrowserContext;
  /** `/admin` + path on the app's origin. */
  at(path: string): string;
  /** A full-page screenshot kept under test-artifacts/console, named by target. */
  shot(name: string): Promise<void>;
  signInWithPassword(username: string, password: string): Promise<void>;
  /** Signs in with the password then the authenticator code, and waits for the first screen. */
  signInWithTotp(user: EnrolledUser): Promise<void>;
  /** A write sent from the page with its session and CSRF header, as a forged call would be: the answer's status. */
  forge(method: string, path: string, body?: unknown): Promise<number>;
}

/**
 * Registers the hooks of one browser suite on `target` (call inside a describe); the fields of the
 * answer are set once its beforeAll ran. `seed` runs on the started app before the page opens;
 * `start` starts the app instead of the default (console on), e.g. beside an OpenID Provider.
 */
export function consoleSuite(target: TestTarget, seed?: (t: TestApp) => Promise<void>, start?: (target: TestTarget) => Promise<TestApp>): ConsoleSuite {
  let t: TestApp;
  let page: Page;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let watched: Awaited<ReturnType<typeof watchPage>>;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await (start ? start(target) : startTestApp(target, { options: { console: { enabled: true } } }));
    await seed?.(t);
    browser = await launchChromium();
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.origin });
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
    await browser?.close();
    await t?.close();
  });

  const at = (path: string) => `${t.origin}/admin${path}`;
  const suite: ConsoleSuite = {
    get t() {
      return t;
    },
    get page() {
      return page;
    },
    get context() {
      return browser.context;
    },
    at,
    async shot(name) {
      await page.screenshot({ path: join(ARTIFACTS, `${target.replace('/', '-')}-${name}.png`), fullPage: true });
    },
    signInWithPassword(username, password) {
      return signInWithPassword(page, at(''), username, password);
    },
    async signInWithTotp(user) {
      await browser.context.clearCookies();
      await signInWithPassword(page, at(''), user.username, user.password);
      await page.getByRole('heading', { name: 'Second factor' }).waitFor();
      nextStep(t);
      await page.getByLabel('Code from your authenticator app').fill(totpCode(user.secret, t.clock.now()));
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.getByRole('navigation', { name: 'Sections' }).waitFor();
    },
    forge(method, path, body) {
      return page.evaluate(
        async ({ url, method, body }) => {
          const cookie = (globalThis as unknown as PageGlobals).document.cookie.split('; ').find((c) => c.startsWith('csrf_token='));
          const csrf = decodeURIComponent(cookie?.slice('csrf_token='.length) ?? '');
          const res = await fetch(url, {
            method,
            credentials: 'same-origin',
            headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          return res.status;
        },
        { url: `${API}${path}`, method, body },
      );
    },
  };
  return suite;
}
