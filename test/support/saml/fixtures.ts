import type { FabricAuthOptions, SamlProviderOptions } from 'nestjs-fabric-auth';
import { AuditEventEntity, SessionEntity, UserEntity } from 'nestjs-fabric-auth/entities';
import { expect } from 'vitest';
import { freePort } from '../demo-process.js';
import { type Hop, parseSetCookies, type FetchBrowser } from '../oidc/fetch-browser.js';
import { API, type ScratchDatabase, startTestApp, type TestApp, type TestTarget } from '../test-app.js';
import { parseRedirect, type ResponseSpec, TestIdp } from './test-idp.js';

export const SAML_API = `${API}/auth/saml`;

/** The app with SAML connections by name, each at the same loopback IdP (its metadata by URL unless a spec says otherwise). */
export async function startAppWithIdp(
  kind: TestTarget,
  connections: Record<string, Partial<SamlProviderOptions>>,
  settings: { options?: Partial<FabricAuthOptions>; idp?: TestIdp; sharedDatabase?: ScratchDatabase; bodyLimit?: number } = {},
): Promise<{ t: TestApp; idp: TestIdp; saml: SamlSide }> {
  const idp = settings.idp ?? (await TestIdp.start());
  try {
    const port = await freePort();
    const appUrl = `http://127.0.0.1:${port}`;
    const providers = Object.fromEntries(Object.entries(connections).map(([name, spec]) => [name, { type: 'saml' as const, idpMetadataUrl: `${idp.url}/metadata`, ...spec }]));
    const t = await startTestApp(kind, {
      port,
      options: { publicBaseUrl: appUrl, ...settings.options, providers },
      sharedDatabase: settings.sharedDatabase,
      ...(settings.bodyLimit ? { http: { bodyLimit: settings.bodyLimit } } : {}),
    });
    return { t, idp, saml: new SamlSide(t, idp) };
  } catch (error) {
    if (!settings.idp) await idp.close();
    throw error;
  }
}

/** The app's SAML routes as a browser and the IdP meet them. */
export class SamlSide {
  constructor(
    readonly t: TestApp,
    readonly idp: TestIdp,
  ) {}

  acsUrl(connection = 'corp'): string {
    return `${this.t.url}${SAML_API}/${connection}/acs`;
  }

  entityId(connection = 'corp'): string {
    return `${this.t.url}${SAML_API}/${connection}/metadata`;
  }

  /** `/login` in this browser: its AuthnRequest's ID, read from the redirect to the IdP. */
  async start(browser: FetchBrowser, connection = 'corp', returnTo?: string): Promise<{ requestId: string; hop: Hop }> {
    const query = returnTo === undefined ? '' : `?return_to=${encodeURIComponent(returnTo)}`;
    const hop = await browser.request(`${this.t.url}${SAML_API}/${connection}/login${query}`);
    expect(hop.status, hop.body).toBe(302);
    expect(hop.location!.startsWith(`${this.idp.url}/sso?`)).toBe(true);
    return { requestId: parseRedirect(hop.location!).id, hop };
  }

  /** A response to `requestId` for this app's connection, as `spec` shapes it. */
  response(requestId: string | null, spec: Partial<ResponseSpec> = {}, connection = 'corp'): Promise<string> {
    return this.idp.response({ ...this.idp.user, inResponseTo: requestId, acsUrl: this.acsUrl(connection), audience: this.entityId(connection), ...spec });
  }

  /** POSTs a form to the ACS, as the IdP's auto-posting page makes the browser do. */
  post(browser: FetchBrowser, fields: Record<string, string>, connection = 'corp'): Promise<Hop> {
    return browser.request(this.acsUrl(connection), {
      method: 'POST',
      body: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  /** The whole SP-initiated login through the IdP's own SSO endpoint, for the IdP's current `user`. */
  async login(browser: FetchBrowser, connection = 'corp', returnTo?: string): Promise<Hop> {
    const { hop } = await this.start(browser, connection, returnTo);
    const page = await browser.request(hop.location!);
    const encoded = /name="SAMLResponse" value="([^"]+)"/.exec(page.body)![1];
    return this.post(browser, { SAMLResponse: encoded }, connection);
  }
}

export interface Counts {
  users: number;
  sessions: number;
  failures: Map<string, number>;
}

export async function counts(t: TestApp): Promise<Counts> {
  const users = await t.dataSource.getRepository(UserEntity).count();
  const sessions = await t.dataSource.getRepository(SessionEntity).count();
  const events = await t.dataSource.getRepository(AuditEventEntity).find({ where: { action: 'saml.login.failure' } });
  const failures = new Map<string, number>();
  for (const event of events) failures.set(String(event.details?.reason), (failures.get(String(event.details?.reason)) ?? 0) + 1);
  return { users, sessions, failures };
}

/**
 * A refused login, as an API client sees it (`Accept: application/json`): the status, Nest's
 * error shape with a fixed message, no session cookie, no new user or session, and one more
 * `saml.login.failure` event with that reason.
 */
export async function expectRefused(t: TestApp, before: Counts, hop: Hop, status: number, reason: string): Promise<void> {
  expect(hop.status, hop.body).toBe(status);
  expect(JSON.parse(hop.body)).toEqual({ statusCode: status, message: expect.any(String), error: expect.any(String) });
  const cookies = parseSetCookies(hop.setCookie);
  for (const name of ['access_token', 'refresh_token', 'csrf_token']) expect(cookies.has(name), name).toBe(false);
  const after = await counts(t);
  expect(after.users).toBe(before.users);
  expect(after.sessions).toBe(before.sessions);
  expect(after.failures.get(reason) ?? 0, `saml.login.failure events with reason ${reason}`).toBe((before.failures.get(reason) ?? 0) + 1);
}
