import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchBrowser, parseSetCookies } from '../support/oidc/fetch-browser.js';
import { SAML_API, type SamlSide, startAppWithIdp } from '../support/saml/fixtures.js';
import { selfSignedCertificate } from '../support/saml/certificate.js';
import { redirectSignatureValid, TestIdp } from '../support/saml/test-idp.js';
import { API, DATABASES, type TestApp } from '../support/test-app.js';

const HOST = '127.0.0.1';
let people = 0;

describe.each(DATABASES)('SAML SP-initiated single logout on %s', (kind) => {
  let t: TestApp;
  let idp: TestIdp;
  let saml: SamlSide;
  beforeAll(async () => {
    idp = await TestIdp.start();
    // The same IdP, its metadata given inline without its SingleLogoutService.
    const withoutSlo = idp.metadata().replace(/<[^>]*SingleLogoutService[^>]*>(<\/[^>]*SingleLogoutService>)?/g, '');
    const signer = selfSignedCertificate('sp-signing.test');
    ({ t, saml } = await startAppWithIdp(
      kind,
      {
        corp: { jitProvisioning: true },
        quiet: { jitProvisioning: true, idpMetadataUrl: undefined, idpMetadata: withoutSlo },
        signed: { jitProvisioning: true, signingKey: `${signer.privateKey}${signer.certificate}` },
      },
      { idp },
    ));
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  async function signedIn(connection = 'corp'): Promise<{ browser: FetchBrowser; email: string }> {
    const email = `leaving-${++people}-${process.pid}@corp.example`;
    idp.user = { nameId: email, attributes: { email: [email] } };
    const browser = new FetchBrowser();
    expect((await saml.login(browser, connection)).status).toBe(302);
    return { browser, email };
  }

  const me = (browser: FetchBrowser) => t.http.get(`${API}/auth/me`).set('cookie', `access_token=${browser.cookie(HOST, 'access_token')}`);

  async function logoutLocally(browser: FetchBrowser) {
    const answer = await browser.request(`${t.url}${API}/auth/logout`, { method: 'POST', headers: { 'x-csrf-token': browser.cookie(HOST, 'csrf_token')! } });
    expect(answer.status, answer.body).toBe(204);
    return answer;
  }

  it('logout, then GET /auth/saml/logout: the local session is over, and the browser goes to the IdP with a LogoutRequest for its NameID and SessionIndex', async () => {
    const { browser, email } = await signedIn();
    const token = browser.cookie(HOST, 'access_token');
    const logout = await logoutLocally(browser);
    expect(parseSetCookies(logout.setCookie).get('fabric_saml_logout')?.attributes).toContain('HttpOnly');
    expect((await t.http.get(`${API}/auth/me`).set('cookie', `access_token=${token}`)).status).toBe(401);

    const toIdp = await browser.request(`${t.url}${SAML_API}/logout?return_to=/bye`);
    expect(toIdp.status).toBe(302);
    const url = new URL(toIdp.location!);
    expect(`${url.origin}${url.pathname}`).toBe(`${idp.url}/slo`);
    expect(url.searchParams.get('RelayState')).toBe('/bye');
    const request = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
    expect(request).toContain(`<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${email}</saml:NameID>`);
    expect(request).toMatch(/SessionIndex[^>]*>_[0-9a-f]+</);
    expect(request).toContain(`Destination="${idp.url}/slo"`);

    // The IdP answers at the connection's SingleLogoutService, which sends the browser on.
    const back = await browser.request(`${t.url}${SAML_API}/corp/slo?SAMLResponse=x&RelayState=${encodeURIComponent('/bye')}`);
    expect(back.location).toBe(`${t.url}/bye`);
    // The marker is spent: a second visit goes nowhere near the IdP.
    expect((await browser.request(`${t.url}${SAML_API}/logout`)).location).toBe(`${t.url}/`);
  });

  it('with a signing_key, the LogoutRequest is signed (HTTP-Redirect), as the SP metadata announces; without one it is not', async () => {
    const { browser } = await signedIn('signed');
    await logoutLocally(browser);
    const signedUrl = new URL((await browser.request(`${t.url}${SAML_API}/logout`)).location!);
    expect(signedUrl.searchParams.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    expect(redirectSignatureValid(signedUrl, (await t.http.get(`${SAML_API}/signed/metadata`)).text)).toBe(true);

    const plain = await signedIn();
    await logoutLocally(plain.browser);
    const plainUrl = new URL((await plain.browser.request(`${t.url}${SAML_API}/logout`)).location!);
    expect(plainUrl.searchParams.has('Signature')).toBe(false);
  });

  it('never reaches the IdP while the session lives, nor with a forged marker', async () => {
    const { browser } = await signedIn();
    browser.setCookie(HOST, 'fabric_saml_logout', 'forged.9999999999999.x');
    const answer = await browser.request(`${t.url}${SAML_API}/logout`);
    expect(answer.location).toBe(`${t.url}/`);
    expect((await me(browser)).status).toBe(200);
  });

  it('an IdP without a SingleLogoutService: back to return_to, signed out here all the same', async () => {
    const { browser } = await signedIn('quiet');
    const token = browser.cookie(HOST, 'access_token');
    await logoutLocally(browser);
    expect((await t.http.get(`${API}/auth/me`).set('cookie', `access_token=${token}`)).status).toBe(401);
    expect((await browser.request(`${t.url}${SAML_API}/logout?return_to=/bye`)).location).toBe(`${t.url}/bye`);
  });

  it('keeps the IdP’s RelayState on this site', async () => {
    expect((await new FetchBrowser().request(`${t.url}${SAML_API}/corp/slo?RelayState=${encodeURIComponent('https://evil.example/')}`)).location).toBe(`${t.url}/`);
  });

  it('publishes the SingleLogoutService in the SP metadata', async () => {
    expect((await t.http.get(`${SAML_API}/corp/metadata`)).text).toContain(`Location="${t.url}${SAML_API}/corp/slo"`);
  });
});
