import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchBrowser, jsonClient } from '../support/oidc/fetch-browser.js';
import { counts, expectRefused, type SamlSide, startAppWithIdp } from '../support/saml/fixtures.js';
import { TestIdp } from '../support/saml/test-idp.js';
import { DATABASES, scratchDatabase, type ScratchDatabase, type TestApp } from '../support/test-app.js';

describe.each(DATABASES)('SAML assertion IDs are single use across instances sharing the database, on %s', (kind) => {
  let database: ScratchDatabase;
  let idp: TestIdp;
  let first: { t: TestApp; saml: SamlSide };
  let second: { t: TestApp; saml: SamlSide };
  beforeAll(async () => {
    database = await scratchDatabase(kind);
    idp = await TestIdp.start();
    // Two instances behind one public URL: the first one's.
    first = await startAppWithIdp(kind, { corp: { jitProvisioning: true, allowIdpInitiated: true } }, { idp, sharedDatabase: database });
    second = await startAppWithIdp(kind, { corp: { jitProvisioning: true, allowIdpInitiated: true } }, { idp, sharedDatabase: database, options: { publicBaseUrl: first.t.url } });
  });
  afterAll(async () => {
    await first?.t.close();
    await second?.t.close();
    await idp?.close();
    await database?.drop();
  });

  it('refuses on the second instance an assertion the first one accepted, even with the browser’s state cookie copied', async () => {
    idp.user = { nameId: `replayed-${process.pid}@corp.example`, attributes: {} };
    const browser = new FetchBrowser();
    const { requestId } = await first.saml.start(browser);
    const state = browser.cookieNames('127.0.0.1', 'fabric_saml_state_').map((name) => [name, browser.cookie('127.0.0.1', name)!] as const);
    const encoded = await first.saml.response(requestId);
    expect((await first.saml.post(browser, { SAMLResponse: encoded })).status).toBe(302);

    const attacker = jsonClient();
    for (const [name, value] of state) attacker.setCookie('127.0.0.1', name, value);
    const before = await counts(second.t);
    const replay = await attacker.request(`${second.t.url}/api/v1/auth/saml/corp/acs`, {
      method: 'POST',
      body: new URLSearchParams({ SAMLResponse: encoded }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    await expectRefused(second.t, before, replay, 400, 'assertion_replayed');
  });

  it('refuses on the second instance an unsolicited assertion the first one accepted', async () => {
    idp.user = { nameId: `unsolicited-${process.pid}@corp.example`, attributes: {} };
    const encoded = await first.saml.response(null);
    expect((await first.saml.post(new FetchBrowser(), { SAMLResponse: encoded })).status).toBe(302);
    const before = await counts(second.t);
    const replay = await jsonClient().request(`${second.t.url}/api/v1/auth/saml/corp/acs`, {
      method: 'POST',
      body: new URLSearchParams({ SAMLResponse: encoded }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    await expectRefused(second.t, before, replay, 400, 'assertion_replayed');
  });
});
