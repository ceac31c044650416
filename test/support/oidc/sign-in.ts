import type { FetchBrowser, Hop } from './fetch-browser.js';

export const OIDC_API = '/api/v1/auth/oidc';

export function loginUrl(appUrl: string, provider?: string, returnTo?: string, query: Record<string, string> = {}): string {
  const url = new URL(`${appUrl}${OIDC_API}${provider ? `/${provider}` : ''}/login`);
  if (returnTo !== undefined) url.searchParams.set('return_to', returnTo);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url.href;
}

export interface Authorization {
  /** The provider's redirect back to the app's callback, not yet followed. */
  callbackUrl: string;
}

/** The app's login route and the provider's redirects, up to its sign-in page; returns that page's URL. */
export async function openProviderLogin(browser: FetchBrowser, appUrl: string, options: { provider?: string; returnTo?: string } = {}): Promise<string> {
  const [login, ...toProvider] = await browser.follow(loginUrl(appUrl, options.provider, options.returnTo), (next) => !next.pathname.startsWith('/interaction/'));
  if (login.status !== 302) throw new Error(`login answered ${login.status}: ${login.body}`);
  const last = toProvider.at(-1) ?? login;
  const interactionUrl = last.location!;
  if (!new URL(interactionUrl).pathname.startsWith('/interaction/')) throw new Error(`the provider did not ask for a login: ${interactionUrl}`);
  return interactionUrl;
}

/** Fills the provider's sign-in page with `subject`; returns the provider's redirect to the app's callback, not yet followed. */
export async function submitProviderLogin(browser: FetchBrowser, appUrl: string, interactionUrl: string, subject: string): Promise<string> {
  const app = new URL(appUrl);
  const page = await browser.request(interactionUrl);
  if (page.status !== 200) throw new Error(`interaction page answered ${page.status}: ${page.body}`);
  const submitted = await browser.request(interactionUrl, {
    method: 'POST',
    body: new URLSearchParams({ login: subject }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  if (submitted.status !== 303 && submitted.status !== 302) throw new Error(`sign-in answered ${submitted.status}: ${submitted.body}`);
  const back = await browser.follow(submitted.location!, (next) => next.origin !== app.origin);
  const callbackUrl = (back.at(-1) ?? submitted).location;
  if (!callbackUrl || new URL(callbackUrl).origin !== app.origin) throw new Error(`the provider did not redirect back: ${JSON.stringify(back.at(-1))}`);
  return callbackUrl;
}

/**
 * Drives a login at the test provider up to (not into) the app's callback: the app's login
 * route, the provider's sign-in page filled with `subject`, the provider's redirects.
 */
export async function authorizeAt(browser: FetchBrowser, appUrl: string, subject: string, options: { provider?: string; returnTo?: string } = {}): Promise<Authorization> {
  const interactionUrl = await openProviderLogin(browser, appUrl, options);
  return { callbackUrl: await submitProviderLogin(browser, appUrl, interactionUrl, subject) };
}

/** A whole login: authorize, then the app's callback. */
export async function signIn(browser: FetchBrowser, appUrl: string, subject: string, options: { provider?: string; returnTo?: string } = {}): Promise<Hop> {
  const { callbackUrl } = await authorizeAt(browser, appUrl, subject, options);
  return browser.request(callbackUrl);
}
