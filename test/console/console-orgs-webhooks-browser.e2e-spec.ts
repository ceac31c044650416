import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_NAMES } from '../../libs/fabric-auth/src/fabric-auth.features.js';
import { accessibilityProblems, type PageGlobals, signInWithPassword, watchPage } from '../support/console-browser.js';
import { launchChromium } from '../support/oidc/chromium.js';
import { API, startTestApp, type TestApp, type TestTarget, TEST_OPTIONS } from '../support/test-app.js';
import { eventually } from '../events/events-app.js';
import { HostileOp } from '../support/oidc/hostile-op.js';
import { Receiver } from '../events/receiver.js';

// The console's organization and webhook screens in chromium, driven by roles and labels, on
// SQLite behind Express and PostgreSQL behind Fastify (as console-browser.e2e-spec.ts).
const TARGETS: readonly TestTarget[] = ['sqlite/express', 'postgres/fastify'];
const ARTIFACTS = join('test-artifacts', 'console');
const ROLES = {
  ...TEST_OPTIONS.roles,
  hook_admin: ['webhooks:manage', 'webhooks:read'],
  hook_reader: ['webhooks:read'],
  org_admin: ['orgs:create', 'orgs:list', 'orgs:manage', 'audit:read'],
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
  let op: HostileOp;
  const receivers: Receiver[] = [];
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${target.replace('/', '-')}-${name}.png`), fullPage: true });
  const at = (path: string) => `${t.origin}/admin${path}`;

  beforeAll(async () => {
    t = await startTestApp(target, {
      options: {
        roles: ROLES,
        console: { enabled: true },
        webhooks: { enabled: true, allowPrivateTargets: true, retrySchedule: [1], disableAfterFailures: 100, pollIntervalMs: 100 },
        organizations: { enabled: true, ssoConnections: true, ssoConnectionsPrivateNetworks: true },
      },
      features: [...DEFAULT_FEATURE_NAMES, 'organizations', 'saml', 'webhooks', 'console'],
    });
    op = await new HostileOp().start();
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
    await Promise.all([...receivers.map((r) => r.stop()), op?.close()]);
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
    await signIn(['hook_admin'], 'Organizations');
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
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
    await signIn(['hook_reader'], 'Organizations');
    expect(await page.getByRole('navigation', { name: 'Sections' }).getByRole('link').allTextContents()).toEqual(['Organizations', 'Webhooks']);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
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

  it('creates an organization and invites someone (the token shown once), then reads the audit entry of each step', async () => {
    const person = await signIn(['org_admin'], 'Audit log');
    const slug = `acme-${target.replace('/', '-')}`;
    await page.getByRole('link', { name: 'Organizations' }).click();
    await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
    await page.getByText('No organizations.').waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);

    await page.getByLabel('Name', { exact: true }).fill('Acme Corporation');
    await page.getByLabel('Slug (2–63 lowercase letters, digits and hyphens)').fill(slug);
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('heading', { name: 'Organization Acme Corporation' }).waitFor();
    expect(page.url()).toBe(at(`/orgs/${slug}`));
    const members = page.getByRole('table', { name: 'Members' });
    await expect.poll(() => members.getByRole('row').filter({ hasText: person.username }).textContent()).toContain('owner');

    await page.getByLabel('Email to invite').fill('bob@example.test');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    const token = page.getByRole('group', { name: 'Invitation token for bob@example.test' });
    await token.waitFor();
    const shown = (await token.locator('code').textContent()) ?? '';
    expect(shown).toBe(t.invitations.at(-1)?.token);
    const invitations = page.getByRole('table', { name: 'Invitations' });
    await expect.poll(() => invitations.getByRole('row').filter({ hasText: 'bob@example.test' }).textContent()).toContain('pending');
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot('organization');
    await token.getByRole('button', { name: 'Done' }).click();
    await page.reload();
    await page.getByRole('heading', { name: 'Organization Acme Corporation' }).waitFor();
    await invitations.getByRole('row').filter({ hasText: 'bob@example.test' }).waitFor();
    expect(await page.content()).not.toContain(shown);

    // Each step's audit entry, in the organization's own log and in the audit log, by its actor.
    const orgAudit = page.getByRole('table', { name: 'Audit events of the organization, newest first' });
    for (const action of ['organization.create', 'organization.invitation.create']) {
      await expect.poll(() => orgAudit.getByRole('row').filter({ hasText: action }).textContent()).toContain(person.username);
    }
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    for (const action of ['organization.create', 'organization.invitation.create']) {
      await page.getByLabel('Event', { exact: true }).fill(action);
      await page.getByRole('button', { name: 'Filter' }).click();
      const entry = page.getByRole('row').filter({ hasText: action });
      await expect.poll(() => entry.count()).toBe(1);
      expect(await entry.textContent()).toContain(person.username);
    }

    // The invitation withdrawn: its token no longer works.
    await page.goto(at(`/orgs/${slug}`));
    await page.getByRole('button', { name: 'Revoke the invitation of bob@example.test' }).click();
    await expect.poll(() => page.getByText('The invitation of bob@example.test is revoked.').count()).toBe(1);
    const invitee = await t.actor();
    await t.dataSource.query(
      `UPDATE users SET email = ${target.startsWith('postgres') ? '$1' : '?'}, email_verified = ${target.startsWith('postgres') ? 'true' : '1'} WHERE id = ${target.startsWith('postgres') ? '$2' : '?'}`,
      ['bob@example.test', invitee.user.id],
    );
    expect((await t.http.post(`${API}/orgs/invitations/accept`).set(bearer(invitee.token)).send({ token: shown })).status).toBe(400);
  });

  it('changes a member’s roles and removes them; adds, tests and deletes an SSO connection (its secret never shown back); claims a domain', async () => {
    await signIn(['org_admin'], 'Audit log');
    const slug = `globex-${target.replace('/', '-')}`;
    expect((await t.http.post(`${API}/orgs`).set(bearer(admin)).send({ slug, name: 'Globex' })).status).toBe(201);
    const member = await t.actor();
    expect((await t.http.post(`${API}/orgs/${slug}/members`).set(bearer(admin)).send({ username: member.user.username })).status).toBe(201);
    await page.goto(at(`/orgs/${slug}`));
    await page.getByRole('heading', { name: 'Organization Globex' }).waitFor();

    await page.getByRole('button', { name: `Change roles of ${member.user.username}` }).click();
    await page.getByLabel(`Org roles of ${member.user.username} (separated by commas)`).fill('admin');
    await page.getByRole('button', { name: 'Save roles' }).click();
    await expect.poll(() => page.getByText(`${member.user.username} now holds admin.`).count()).toBe(1);
    expect((await t.http.get(`${API}/orgs/${slug}/members/${member.user.username}`).set(bearer(admin))).body.roles).toEqual(['admin']);
    await page.getByRole('button', { name: `Remove ${member.user.username}` }).click();
    await page.getByRole('button', { name: 'Confirm removal' }).click();
    await expect.poll(() => page.getByText(`${member.user.username} is removed from the organization.`).count()).toBe(1);
    expect((await t.http.get(`${API}/orgs/${slug}/members/${member.user.username}`).set(bearer(admin))).status).toBe(404);

    await page.getByLabel('Connection name').fill('Globex IdP');
    await page.getByLabel('Issuer URL').fill(op.issuer);
    await page.getByLabel('Client id').fill(op.clientId);
    await page.getByLabel('Client secret (stored encrypted, never shown again)').fill(op.clientSecret);
    await page.getByRole('button', { name: 'Add connection' }).click();
    const connection = page.getByRole('table', { name: 'SSO connections' }).getByRole('row').filter({ hasText: 'Globex IdP' });
    await expect.poll(() => connection.textContent()).toContain('secret stored');
    expect(await page.content()).not.toContain(op.clientSecret);
    await connection.getByRole('button', { name: 'Test Globex IdP' }).click();
    await expect.poll(() => page.getByText('The connection Globex IdP works: the identity provider answered what a sign-in needs.').count()).toBe(1);

    await page.getByLabel('Domain to claim').fill('globex.example');
    await page.getByRole('button', { name: 'Claim domain' }).click();
    const claim = page.getByRole('table', { name: 'Domains' }).getByRole('row').filter({ hasText: 'globex.example' });
    await expect.poll(() => claim.textContent()).toMatch(/publish a TXT record at _fabric-auth\.globex\.example holding fabric-auth-domain-verification=/);
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot('organization-sso');

    await connection.getByRole('button', { name: 'Delete Globex IdP' }).click();
    await page.getByRole('button', { name: 'Confirm deletion' }).click();
    await page.getByText('No SSO connections.').waitFor();
    await claim.getByRole('button', { name: 'Give up globex.example' }).click();
    await page.getByText('No domain claims.').waitFor();
    expect((await t.http.get(`${API}/orgs/${slug}/connections`).set(bearer(admin))).body.items).toEqual([]);
  });

  it('a plain member sees the organization and its members but no write control, and a forged invitation from their page is refused', async () => {
    const slug = `initech-${target.replace('/', '-')}`;
    expect((await t.http.post(`${API}/orgs`).set(bearer(admin)).send({ slug, name: 'Initech' })).status).toBe(201);
    const user = await signIn([], 'Organizations');
    expect((await t.http.post(`${API}/orgs/${slug}/members`).set(bearer(admin)).send({ username: user.username })).status).toBe(201);
    await page.reload();
    await page.getByRole('link', { name: 'Initech' }).click();
    await page.getByRole('heading', { name: 'Organization Initech' }).waitFor();
    await page.getByRole('table', { name: 'Members' }).getByRole('row').filter({ hasText: user.username }).waitFor();
    expect(await page.getByRole('heading', { level: 2 }).allTextContents()).toEqual(['Members']);
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out', 'Previous page', 'Next page']);
    expect(await page.getByRole('textbox').count()).toBe(0);
    expect(await accessibilityProblems(page)).toEqual([]);

    const forged = await page.evaluate(
      async ({ api, slug }) => {
        const csrf = decodeURIComponent(
          (globalThis as unknown as PageGlobals).document.cookie
            .split('; ')
            .find((c) => c.startsWith('csrf_token='))
            ?.slice('csrf_token='.length) ?? '',
        );
        const res = await fetch(`${api}/orgs/${slug}/invitations`, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
          body: JSON.stringify({ email: 'mallory@example.test' }),
        });
        return res.status;
      },
      { api: API, slug },
    );
    expect(forged).toBe(403);
    expect((await t.http.get(`${API}/orgs/${slug}/invitations`).set(bearer(admin))).body.items).toEqual([]);
  });

  it('a session revoked mid-use returns the console to sign-in with a sentence, and signing in again comes back to the same screen', async () => {
    const { user, password } = await t.createUser({ roles: ['org_admin'] });
    const slug = `umbrella-${target.replace('/', '-')}`;
    expect((await t.http.post(`${API}/orgs`).set(bearer(admin)).send({ slug, name: 'Umbrella', owner: user.username })).status).toBe(201);
    await browser.context.clearCookies();
    await signInWithPassword(page, at(`/orgs/${slug}`), user.username, password);
    await page.getByRole('heading', { name: 'Organization Umbrella' }).waitFor();
    // The screen's reads all answered before the session ends.
    await page.getByRole('table', { name: 'Invitations' }).waitFor();
    await page.getByRole('table', { name: 'Audit events of the organization, newest first' }).waitFor();
    await page.getByRole('table', { name: 'Domains' }).or(page.getByText('No domain claims.')).waitFor();
    await page.getByText('No SSO connections.').waitFor();

    expect((await t.http.post(`${API}/users/${user.username}/sessions/revoke`).set(bearer(admin))).status).toBe(200);
    // Revocation reaches every instance within 2 s (SPEC): from then on the page's cookie session is refused.
    await expect.poll(() => page.evaluate(async (api) => (await fetch(`${api}/auth/me`, { credentials: 'same-origin' })).status, API), { timeout: 5_000 }).toBe(401);
    await page.getByLabel('Email to invite').fill('carol@example.test');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in to the admin console' }).waitFor();
    expect(await page.getByRole('status').textContent()).toBe('Your session has ended. Sign in again.');
    expect(page.url()).toBe(at(`/orgs/${slug}`));

    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Organization Umbrella' }).waitFor();
    expect(page.url()).toBe(at(`/orgs/${slug}`));
    expect((await t.http.get(`${API}/orgs/${slug}/invitations`).set(bearer(admin))).body.items).toEqual([]);
  });

  it('signs in with a passkey, passwordless and as the second factor after the password (a virtual authenticator in chromium)', async () => {
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    try {
      const { user, password } = await t.createUser();
      await browser.context.clearCookies();
      await signInWithPassword(page, at(''), user.username, password);
      await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
      // The passkey registered through the API from the page, as any browser client does.
      const registered = await page.evaluate(
        async ({ api, username }) => {
          const g = globalThis as unknown as {
            document: { cookie: string };
            navigator: {
              credentials: {
                create(o: unknown): Promise<{ id: string; rawId: ArrayBuffer; type: string; response: { clientDataJSON: ArrayBuffer; attestationObject: ArrayBuffer } }>;
              };
            };
          };
          const csrf = decodeURIComponent(
            g.document.cookie
              .split('; ')
              .find((c) => c.startsWith('csrf_token='))
              ?.slice('csrf_token='.length) ?? '',
          );
          const call = (path: string, body: unknown) =>
            fetch(`${api}/users/${username}/mfa/passkeys${path}`, {
              method: 'POST',
              credentials: 'same-origin',
              headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
              body: JSON.stringify(body),
            });
          const bytes = (s: string) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0));
          const text = (b: ArrayBuffer) =>
            btoa(String.fromCharCode(...new Uint8Array(b)))
              .replace(/\+/g, '-')
              .replace(/\//g, '_')
              .replace(/=+$/, '');
          const o = (await (await call('/options', {})).json()) as { challenge: string; user: { id: string }; excludeCredentials?: Array<{ id: string }> };
          const created = await g.navigator.credentials.create({
            publicKey: {
              ...o,
              challenge: bytes(o.challenge),
              user: { ...o.user, id: bytes(o.user.id) },
              excludeCredentials: (o.excludeCredentials ?? []).map((c) => ({ ...c, id: bytes(c.id) })),
            },
          });
          const credential = {
            id: created.id,
            rawId: text(created.rawId),
            type: created.type,
            response: { clientDataJSON: text(created.response.clientDataJSON), attestationObject: text(created.response.attestationObject), transports: ['internal'] },
            clientExtensionResults: {},
          };
          return (await call('', { name: 'Virtual authenticator', credential })).status;
        },
        { api: API, username: user.username },
      );
      expect(registered).toBe(201);

      // Passwordless: the discoverable passkey names its user.
      await browser.context.clearCookies();
      await page.goto(at(''));
      await page.getByRole('heading', { name: 'Sign in to the admin console' }).waitFor();
      await page.getByRole('button', { name: 'Use a passkey' }).click();
      await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
      await expect.poll(() => page.getByText(`Signed in as ${user.username}`).count()).toBe(1);

      // The password, then the passkey as the second factor.
      await browser.context.clearCookies();
      await signInWithPassword(page, at(''), user.username, password);
      await page.getByRole('heading', { name: 'Second factor' }).waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.getByRole('button', { name: 'Use a passkey' }).click();
      await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
      await expect.poll(() => page.getByText(`Signed in as ${user.username}`).count()).toBe(1);
    } finally {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
      await cdp.detach();
    }
  });
});
