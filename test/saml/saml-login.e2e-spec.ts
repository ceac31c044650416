import { UserIdentityEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchBrowser, jsonClient, parseSetCookies } from '../support/oidc/fetch-browser.js';
import { counts, expectRefused, SAML_API, type SamlSide, startAppWithIdp } from '../support/saml/fixtures.js';
import { selfSignedCertificate } from '../support/saml/certificate.js';
import { PERSISTENT_FORMAT, type TestIdp } from '../support/saml/test-idp.js';
import { API, DATABASES, type TestApp } from '../support/test-app.js';

interface Me {
  id: string;
  username: string;
  email: string | null;
  roles: string[];
  is_system_admin: boolean;
}

let people = 0;
const GROUPS = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups';

describe.each(DATABASES)('SAML 2.0 login: SP metadata, SP-initiated login with JIT and role mapping, IdP-initiated, encrypted assertions, rollover on %s', (kind) => {
  let t: TestApp;
  let idp: TestIdp;
  let saml: SamlSide;
  const sp = selfSignedCertificate('sp.test');
  const spSigner = selfSignedCertificate('sp-signing.test');
  beforeAll(async () => {
    ({ t, idp, saml } = await startAppWithIdp(kind, {
      corp: { jitProvisioning: true, defaultRoles: ['viewer'], roleClaim: GROUPS, roleMapping: { auditors: ['auditor'] } },
      nojit: {},
      portal: { allowIdpInitiated: true, jitProvisioning: true },
      sealed: { jitProvisioning: true, decryptionKey: `${sp.privateKey}${sp.certificate}` },
      signed: { jitProvisioning: true, signingKey: `${spSigner.privateKey}${spSigner.certificate}` },
    }));
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  function person(attributes: Record<string, string[]> = {}): string {
    const email = `person-${++people}-${process.pid}@corp.example`;
    idp.user = { nameId: email, attributes: { email: [email], ...attributes } };
    return email;
  }

  async function me(browser: FetchBrowser): Promise<Me> {
    const answer = await t.http.get(`${API}/auth/me`).set('cookie', `access_token=${browser.cookie('127.0.0.1', 'access_token')}`);
    expect(answer.status).toBe(200);
    return answer.body as Me;
  }

  it('serves the SP metadata: entity id, the ACS over HTTP-POST, and the encryption certificate of a connection that decrypts', async () => {
    const answer = await t.http.get(`${SAML_API}/corp/metadata`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toContain('application/samlmetadata+xml');
    const xml = answer.text;
    expect(xml).toContain(`entityID="${saml.entityId()}"`);
    expect(xml).toContain(`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${saml.acsUrl()}"`);
    expect(xml).not.toContain('use="encryption"');
    const sealed = (await t.http.get(`${SAML_API}/sealed/metadata`)).text;
    expect(sealed).toContain('use="encryption"');
    expect(sealed.replace(/\s/g, '')).toContain(sp.certificateBase64);
    expect(sealed).not.toContain('PRIVATE KEY');
    expect((await t.http.get(`${SAML_API}/unknown/metadata`)).status).toBe(404);
  });

  it('signs in through the IdP: a JIT user with the default roles and the mapped group attribute, the session cookies, back to return_to', async () => {
    const email = person({ displayName: ['Ada Lovelace'], [GROUPS]: ['auditors', 'admins'] });
    const browser = new FetchBrowser();
    const acs = await saml.login(browser, 'corp', '/reports?x=1');
    expect(acs.status, acs.body).toBe(302);
    expect(acs.location).toBe(`${t.url}/reports?x=1`);
    const cookies = parseSetCookies(acs.setCookie);
    expect(cookies.get('access_token')?.attributes).toContain('HttpOnly');
    expect([...cookies.keys()].some((name) => name.startsWith('fabric_saml_state_') && cookies.get(name)!.attributes.includes('Max-Age=0'))).toBe(true);
    const user = await me(browser);
    expect(user).toMatchObject({ username: email.split('@')[0], email, roles: ['auditor', 'viewer'], is_system_admin: false });
    const identity = await t.dataSource.getRepository(UserIdentityEntity).findOneBy({ subject: email });
    expect(identity).toMatchObject({ userId: user.id, provider: 'corp', issuer: idp.entityId });
  });

  it('re-applies the role mapping at the next login, keyed by (IdP, NameID)', async () => {
    const email = person({ [GROUPS]: ['auditors'] });
    const first = new FetchBrowser();
    expect((await saml.login(first)).status).toBe(302);
    const before = await me(first);
    idp.user = { nameId: email, attributes: { email: [email], [GROUPS]: [] } };
    const second = new FetchBrowser();
    expect((await saml.login(second)).status).toBe(302);
    const after = await me(second);
    expect(after.id).toBe(before.id);
    expect(after.roles).toEqual(['viewer']);
  });

  it('takes a persistent NameID with the name from given name and surname, and the email from the Entra ID claim URI', async () => {
    const subject = `00u${++people}${process.pid}`;
    idp.user = {
      nameId: subject,
      nameIdFormat: PERSISTENT_FORMAT,
      attributes: {
        'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': [`grace-${subject}@corp.example`],
        'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname': ['Grace'],
        'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname': ['Hopper'],
      },
    };
    const browser = new FetchBrowser();
    expect((await saml.login(browser)).status).toBe(302);
    const user = await me(browser);
    expect(user.email).toBe(`grace-${subject}@corp.example`);
    const row = await t.users.findById(user.id);
    expect(row?.fullName).toBe('Grace Hopper');
  });

  it('refuses an unknown identity without JIT provisioning: 403, no user, no session; a browser lands on the error page with no_account', async () => {
    person();
    const before = await counts(t);
    const api = await saml.login(jsonClient(), 'nojit');
    await expectRefused(t, before, api, 403, 'no_linked_account');
    const browser = await saml.login(new FetchBrowser(), 'nojit');
    expect(browser.status).toBe(302);
    expect(browser.location).toBe(`${t.url}${SAML_API}/error?error=no_account`);
    const page = await new FetchBrowser().request(browser.location!);
    expect(page.body).toContain('data-error="no_account"');
  });

  it('keeps return_to on this site only', async () => {
    person();
    const acs = await saml.login(new FetchBrowser(), 'corp', '//evil.example/steal');
    expect(acs.location).toBe(`${t.url}/`);
  });

  it('accepts an unsolicited response where IdP-initiated login is allowed, landing on a same-site RelayState', async () => {
    const email = person();
    const browser = new FetchBrowser();
    const encoded = await saml.response(null, {}, 'portal');
    const acs = await saml.post(browser, { SAMLResponse: encoded, RelayState: '/welcome' }, 'portal');
    expect(acs.status, acs.body).toBe(302);
    expect(acs.location).toBe(`${t.url}/welcome`);
    expect((await me(browser)).email).toBe(email);
  });

  it('decrypts an encrypted assertion with the connection’s decryption key', async () => {
    const email = person();
    const browser = new FetchBrowser();
    const { requestId } = await saml.start(browser, 'sealed');
    const spMetadata = (await t.http.get(`${SAML_API}/sealed/metadata`)).text;
    const encoded = await saml.response(requestId, { encryptFor: spMetadata }, 'sealed');
    expect(Buffer.from(encoded, 'base64').toString()).toContain('EncryptedAssertion');
    const acs = await saml.post(browser, { SAMLResponse: encoded }, 'sealed');
    expect(acs.status, acs.body).toBe(302);
    expect(acs.location).toBe(`${t.url}/`);
    expect((await me(browser)).email).toBe(email);
  });

  it('signs AuthnRequests with a signing_key: the SP metadata says so and publishes the key; an IdP requiring signed requests (samlify) accepts them', async () => {
    const metadata = await t.http.get(`${SAML_API}/signed/metadata`);
    expect(metadata.status).toBe(200);
    expect(metadata.text).toMatch(/AuthnRequestsSigned="true"/);
    expect(metadata.text).toMatch(/<KeyDescriptor use="signing">/);
    expect(metadata.text.replace(/\s/g, '')).toContain(spSigner.certificate.replace(/-----[A-Z ]+-----|\s/g, ''));
    const unsignedMetadata = await t.http.get(`${SAML_API}/corp/metadata`);
    expect(unsignedMetadata.text).not.toMatch(/AuthnRequestsSigned="true"/);

    idp.requireSignedRequests = metadata.text;
    try {
      const email = person();
      const browser = new FetchBrowser();
      expect((await saml.login(browser, 'signed')).status).toBe(302);
      expect((await me(browser)).email).toBe(email);
      expect(idp.refusedRequests).toBe(0);
      // The same IdP refuses a connection that signs nothing, and one whose requests another key signed.
      const { hop } = await saml.start(new FetchBrowser(), 'corp');
      expect((await new FetchBrowser().request(hop.location!)).status).toBe(403);
      const body = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s/g, '');
      idp.requireSignedRequests = metadata.text.replace(/(<(?:ds:)?X509Certificate>)[^<]*(<\/(?:ds:)?X509Certificate>)/, `$1${body(sp.certificate)}$2`);
      expect(idp.requireSignedRequests).not.toBe(metadata.text);
      const signedElsewhere = await saml.start(new FetchBrowser(), 'signed');
      expect((await new FetchBrowser().request(signedElsewhere.hop.location!)).status).toBe(403);
      expect(idp.refusedRequests).toBe(2);
    } finally {
      idp.requireSignedRequests = null;
    }
  });

  it('follows a certificate rollover at the IdP without a restart: the metadata is read again when the signer is new', async () => {
    person();
    expect((await saml.login(new FetchBrowser())).status).toBe(302);
    idp.rollOver();
    const reads = idp.metadataReads;
    t.clock.advance(120);
    try {
      const browser = new FetchBrowser();
      expect((await saml.login(browser)).status).toBe(302);
      expect(idp.metadataReads).toBe(reads + 1);
    } finally {
      t.clock.reset();
    }
  });
});
