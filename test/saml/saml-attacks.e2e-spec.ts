import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchBrowser, jsonClient } from '../support/oidc/fetch-browser.js';
import { selfSignedCertificate } from '../support/saml/certificate.js';
import { counts, expectRefused, SAML_API, type SamlSide, startAppWithIdp } from '../support/saml/fixtures.js';
import { ASSERTION, PROTOCOL, type ResponseSpec, type TestIdp } from '../support/saml/test-idp.js';
import { DATABASES, type TestApp } from '../support/test-app.js';

const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
let people = 0;

/** The DOM calls the wrappings make (xmldom's; its typings would pull the browser DOM into the whole compilation). */
interface XmlElement {
  textContent: string | null;
  setAttribute(name: string, value: string): void;
  cloneNode(deep: boolean): XmlElement;
  removeChild(child: XmlElement): XmlElement;
  appendChild(child: XmlElement): XmlElement;
  insertBefore(node: XmlElement, reference: XmlElement): XmlElement;
  replaceChild(node: XmlElement, old: XmlElement): XmlElement;
  getElementsByTagNameNS(namespace: string, localName: string): ArrayLike<XmlElement>;
}
interface XmlDocument {
  documentElement: XmlElement;
  createElementNS(namespace: string, name: string): XmlElement;
}
const { DOMParser, XMLSerializer } = createRequire(import.meta.url)('@xmldom/xmldom') as {
  DOMParser: new () => { parseFromString(xml: string, mimeType: string): XmlDocument };
  XMLSerializer: new () => { serializeToString(doc: XmlDocument): string };
};

function parse(xml: string): XmlDocument {
  return new DOMParser().parseFromString(xml, 'text/xml');
}

function only(parent: XmlElement, namespace: string, localName: string): XmlElement {
  return parent.getElementsByTagNameNS(namespace, localName)[0];
}

/** Rewrites the NameID under `element` to the victim's: what every wrapping attack wants read. */
function impersonate(element: XmlElement, victim: string): void {
  only(element, ASSERTION, 'NameID').textContent = victim;
}

/**
 * The classic XML signature wrapping variants (Somorovsky et al., "On Breaking SAML", 2012),
 * each built from a response the IdP signed validly: the signed element stays in the document
 * where the signature check finds it by ID, and a forged one sits where a naive reader looks.
 */
const WRAPPINGS: Record<string, { sign: ResponseSpec['sign']; wrap: (xml: string, victim: string) => string }> = {
  'XSW1: the signed response inside the forged one’s Signature': {
    sign: 'response',
    wrap: (xml, victim) => {
      const doc = parse(xml);
      const original = doc.documentElement.cloneNode(true);
      doc.documentElement.setAttribute('ID', '_forged');
      impersonate(doc.documentElement, victim);
      const signature = only(doc.documentElement, DSIG, 'Signature');
      signature.appendChild(original);
      return new XMLSerializer().serializeToString(doc);
    },
  },
  'XSW2: the signed response beside the forged one’s Signature': {
    sign: 'response',
    wrap: (xml, victim) => {
      const doc = parse(xml);
      const original = doc.documentElement.cloneNode(true);
      original.removeChild(only(original, DSIG, 'Signature'));
      doc.documentElement.setAttribute('ID', '_forged');
      impersonate(doc.documentElement, victim);
      const signature = only(doc.documentElement, DSIG, 'Signature');
      doc.documentElement.insertBefore(original, signature);
      return new XMLSerializer().serializeToString(doc);
    },
  },
  'XSW3: a forged assertion before the signed one': {
    sign: 'assertion',
    wrap: (xml, victim) => {
      const doc = parse(xml);
      const signed = only(doc.documentElement, ASSERTION, 'Assertion');
      const forged = signed.cloneNode(true);
      forged.setAttribute('ID', '_forged');
      forged.removeChild(only(forged, DSIG, 'Signature'));
      impersonate(forged, victim);
      doc.documentElement.insertBefore(forged, signed);
      return new XMLSerializer().serializeToString(doc);
    },
  },
  'XSW4: the signed assertion inside a forged one': {
    sign: 'assertion',
    wrap: (xml, victim) => {
      const doc = parse(xml);
      const signed = only(doc.documentElement, ASSERTION, 'Assertion');
      const forged = signed.cloneNode(true);
      forged.setAttribute('ID', '_forged');
      forged.removeChild(only(forged, DSIG, 'Signature'));
      impersonate(forged, victim);
      doc.documentElement.replaceChild(forged, signed);
      forged.appendChild(signed);
      return new XMLSerializer().serializeToString(doc);
    },
  },
  'XSW7: the signed assertion in Extensions, a forged one in its place': {
    sign: 'assertion',
    wrap: (xml, victim) => {
      const doc = parse(xml);
      const signed = only(doc.documentElement, ASSERTION, 'Assertion');
      const forged = signed.cloneNode(true);
      forged.removeChild(only(forged, DSIG, 'Signature'));
      impersonate(forged, victim);
      const extensions = doc.createElementNS(PROTOCOL, 'samlp:Extensions');
      doc.documentElement.replaceChild(forged, signed);
      extensions.appendChild(signed);
      doc.documentElement.insertBefore(extensions, forged);
      return new XMLSerializer().serializeToString(doc);
    },
  },
  'XSW8: the signed assertion inside the forged one’s Signature Object': {
    sign: 'assertion',
    wrap: (xml, victim) => {
      const doc = parse(xml);
      const signed = only(doc.documentElement, ASSERTION, 'Assertion');
      const forged = signed.cloneNode(true);
      impersonate(forged, victim);
      const original = signed.cloneNode(true);
      original.removeChild(only(original, DSIG, 'Signature'));
      const object = doc.createElementNS(DSIG, 'ds:Object');
      object.appendChild(original);
      only(forged, DSIG, 'Signature').appendChild(object);
      doc.documentElement.replaceChild(forged, signed);
      return new XMLSerializer().serializeToString(doc);
    },
  },
};

describe.each(DATABASES)('SAML 2.0 attacks, each refused with no session and a stable code, on %s', (kind) => {
  let t: TestApp;
  let idp: TestIdp;
  let saml: SamlSide;
  beforeAll(async () => {
    ({ t, idp, saml } = await startAppWithIdp(
      kind,
      {
        corp: { jitProvisioning: true },
        legacy: { jitProvisioning: true, allowSha1: true },
        whole: { jitProvisioning: true, wantAssertionsSigned: false },
        portal: { jitProvisioning: true, allowIdpInitiated: true },
      },
      // Above the SAMLResponse cap, so that the cap itself answers.
      { bodyLimit: 1024 * 1024 },
    ));
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  function person(): string {
    const email = `person-${++people}-${process.pid}@corp.example`;
    idp.user = { nameId: email, attributes: { email: [email] } };
    return email;
  }

  /** Starts a login in an API client, sends the response `craft` makes for it, and expects the refusal. */
  async function refused(craft: (requestId: string) => Promise<string> | string, status: number, reason: string, connection = 'corp'): Promise<void> {
    person();
    const browser = jsonClient();
    const { requestId } = await saml.start(browser, connection);
    const before = await counts(t);
    const hop = await saml.post(browser, { SAMLResponse: await craft(requestId) }, connection);
    await expectRefused(t, before, hop, status, reason);
  }

  async function accepted(craft: (requestId: string) => Promise<string> | string, connection = 'corp'): Promise<void> {
    person();
    const browser = new FetchBrowser();
    const { requestId } = await saml.start(browser, connection);
    const hop = await saml.post(browser, { SAMLResponse: await craft(requestId) }, connection);
    expect(hop.status, hop.body).toBe(302);
    expect(hop.location).toBe(`${t.url}/`);
  }

  const base64 = (xml: string) => Buffer.from(xml).toString('base64');

  describe('signatures', () => {
    it('refuses a response with neither the response nor the assertion signed', () => refused((id) => saml.response(id, { sign: 'none' }), 400, 'invalid_signature'));

    it('refuses a response signed but not its assertion where want_assertions_signed (the default)', () =>
      refused((id) => saml.response(id, { sign: 'response' }), 400, 'invalid_signature'));

    it('accepts a response signed as a whole where want_assertions_signed is off', () => accepted((id) => saml.response(id, { sign: 'response' }, 'whole'), 'whole'));

    it('refuses a response signed with another key than the IdP’s certificates', () =>
      refused((id) => saml.response(id, { signer: selfSignedCertificate('attacker.test'), sign: 'both' }), 400, 'invalid_signature'));

    it('refuses a signed assertion altered after signing', () =>
      refused(
        async (id) =>
          base64((await idp.responseXml({ ...idp.user, inResponseTo: id, acsUrl: saml.acsUrl(), audience: saml.entityId() })).replace(idp.user.nameId, 'admin@corp.example')),
        400,
        'invalid_signature',
      ));

    it('refuses SHA-1 unless the connection allows it', async () => {
      await refused((id) => saml.response(id, { algorithm: 'sha1' }), 400, 'weak_algorithm');
      await accepted((id) => saml.response(id, { algorithm: 'sha1' }, 'legacy'), 'legacy');
    });

    for (const [name, { sign, wrap }] of Object.entries(WRAPPINGS)) {
      it(`refuses XML signature wrapping, ${name}`, () =>
        refused(
          async (id) => base64(wrap(await idp.responseXml({ ...idp.user, inResponseTo: id, acsUrl: saml.acsUrl(), audience: saml.entityId(), sign }), 'admin@corp.example')),
          400,
          'signature_wrapping',
        ));
    }

    it('refuses a comment in a signed NameID (which exclusive canonicalisation leaves out of the signature)', () =>
      refused(
        (id) =>
          saml.response(id, {
            nameId: 'admin@corp.example.evil.example',
            beforeSigning: (xml) => xml.replace('admin@corp.example.evil.example</saml:NameID>', 'admin@corp.example<!---->.evil.example</saml:NameID>'),
          }),
        400,
        'xml_refused',
      ));
  });

  describe('XML', () => {
    it('refuses a DOCTYPE with an external entity (XXE)', () =>
      refused(
        async (id) =>
          base64(
            `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${(await idp.responseXml({ ...idp.user, inResponseTo: id, acsUrl: saml.acsUrl(), audience: saml.entityId() })).replace(idp.user.nameId, '&x;')}`,
          ),
        400,
        'xml_refused',
      ));

    it('refuses entity expansion (billion laughs)', () =>
      refused(
        () =>
          base64(
            `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><samlp:Response xmlns:samlp="${PROTOCOL}">&lol2;</samlp:Response>`,
          ),
        400,
        'xml_refused',
      ));

    it('refuses elements nested deeper than any SAML document (a stack-exhausting walk otherwise)', () => {
      // ~27,000 levels fit in the 256 KiB SAMLResponse cap (and overflow the stack); fewer here, to stay under the default body limit.
      const depth = 2_000;
      return refused(() => base64(`<samlp:Response xmlns:samlp="${PROTOCOL}">${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</samlp:Response>`), 400, 'xml_refused');
    });

    it('refuses malformed base64 and what is not XML', async () => {
      await refused(() => 'not*base64!', 400, 'malformed_response');
      await refused(() => base64('{"json": true}'), 400, 'malformed_response');
      await refused(() => base64('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><unclosed></samlp:Response>'), 400, 'malformed_response');
    });

    it('refuses a repeated SAMLResponse field (which response would be read?)', async () => {
      person();
      const browser = jsonClient();
      const { requestId } = await saml.start(browser);
      const encoded = await saml.response(requestId);
      const before = await counts(t);
      const hop = await browser.request(saml.acsUrl(), {
        method: 'POST',
        body: `SAMLResponse=${encodeURIComponent(encoded)}&SAMLResponse=${encodeURIComponent(encoded)}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      await expectRefused(t, before, hop, 400, 'malformed_response');
    });

    it('refuses a SAMLResponse above 256 KiB with 413', () => refused(() => 'A'.repeat(300 * 1024), 413, 'response_too_large'));
  });

  describe('where the response was meant to go', () => {
    it('refuses another Destination', () => refused((id) => saml.response(id, { destination: 'https://sp.elsewhere.example/acs' }), 400, 'wrong_destination'));
    it('refuses another Audience', () => refused((id) => saml.response(id, { audience: 'https://sp.elsewhere.example' }), 400, 'wrong_audience'));
    it('refuses another Recipient', () => refused((id) => saml.response(id, { recipient: 'https://sp.elsewhere.example/acs' }), 400, 'wrong_recipient'));
    it('refuses another Issuer', () => refused((id) => saml.response(id, { issuer: 'https://idp.elsewhere.example' }), 400, 'wrong_issuer'));
    it('refuses an error status from the IdP as access_denied', () =>
      refused((id) => saml.response(id, { statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder' }), 400, 'idp_error'));
  });

  describe('time', () => {
    it('refuses expired Conditions beyond the clock skew, and accepts them within it', async () => {
      await refused((id) => saml.response(id, { notOnOrAfter: Date.now() - 60_000 }), 400, 'expired');
      await accepted((id) => saml.response(id, { notOnOrAfter: Date.now() - 2_000 }));
    });

    it('refuses an expired bearer confirmation', () => refused((id) => saml.response(id, { subjectNotOnOrAfter: Date.now() - 60_000 }), 400, 'expired'));

    it('refuses not-yet-valid Conditions beyond the clock skew', () => refused((id) => saml.response(id, { notBefore: Date.now() + 60_000 }), 400, 'not_yet_valid'));
  });

  describe('whose login it answers', () => {
    it('refuses the answer to another browser’s login (InResponseTo bound to the browser that started it)', async () => {
      person();
      const victim = jsonClient();
      const attacker = jsonClient();
      const { requestId } = await saml.start(victim);
      await saml.start(attacker);
      const before = await counts(t);
      const hop = await saml.post(attacker, { SAMLResponse: await saml.response(requestId) });
      await expectRefused(t, before, hop, 400, 'state_mismatch');
    });

    it('refuses an answer naming another request in its bearer confirmation', () => refused((id) => saml.response(id, { subjectInResponseTo: '_another' }), 400, 'state_mismatch'));

    it('refuses an unsolicited response while IdP-initiated login is off; a browser gets invalid_state', async () => {
      person();
      const before = await counts(t);
      const api = await saml.post(jsonClient(), { SAMLResponse: await saml.response(null) });
      await expectRefused(t, before, api, 400, 'unsolicited_response');
      const browser = await saml.post(new FetchBrowser(), { SAMLResponse: await saml.response(null) });
      expect(browser.status).toBe(302);
      expect(browser.location).toBe(`${t.url}${SAML_API}/error?error=invalid_state`);
    });

    it('keeps an IdP-initiated RelayState on this site', async () => {
      person();
      const hop = await saml.post(new FetchBrowser(), { SAMLResponse: await saml.response(null, {}, 'portal'), RelayState: 'https://evil.example/' }, 'portal');
      expect(hop.status).toBe(302);
      expect(hop.location).toBe(`${t.url}/`);
    });

    it('refuses a replayed assertion (single use, kept in the database)', async () => {
      person();
      const encoded = await saml.response(null, {}, 'portal');
      expect((await saml.post(new FetchBrowser(), { SAMLResponse: encoded }, 'portal')).status).toBe(302);
      const before = await counts(t);
      const replay = await saml.post(jsonClient(), { SAMLResponse: encoded }, 'portal');
      await expectRefused(t, before, replay, 400, 'assertion_replayed');
    });

    it('refuses a response replayed in the browser that used it (its login is over)', async () => {
      person();
      const browser = jsonClient();
      const { requestId } = await saml.start(browser);
      const encoded = await saml.response(requestId);
      const cookies = browser.cookieNames('127.0.0.1', 'fabric_saml_state_').map((name) => [name, browser.cookie('127.0.0.1', name)!] as const);
      expect((await saml.post(browser, { SAMLResponse: encoded })).status).toBe(302);
      for (const [name, value] of cookies) browser.setCookie('127.0.0.1', name, value);
      const before = await counts(t);
      await expectRefused(t, before, await saml.post(browser, { SAMLResponse: encoded }), 400, 'state_replayed');
    });
  });
});
