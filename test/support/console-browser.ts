import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

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
