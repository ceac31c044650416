import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { inflateRawSync } from 'node:zlib';
import { type KeyAndCertificate, selfSignedCertificate } from './certificate.js';

/** The part of samlify this IdP uses. Its own typings import xmldom's, which put the browser DOM types into the whole compilation. */
interface Samlify {
  setSchemaValidator(validator: { validate: (xml: string) => Promise<string> }): void;
  IdentityProvider(settings: Record<string, unknown>): { getMetadata(): string };
  ServiceProvider(settings: { metadata: string }): { entityMeta: unknown };
  Constants: { namespace: { binding: { redirect: string } } };
  SamlLib: {
    constructSAMLSignature(options: Record<string, unknown>): string;
    verifyMessageSignature(metadata: unknown, octetString: string, signature: Buffer, verifyAlgorithm: string): boolean;
    encryptAssertion(idp: unknown, sp: unknown, xml: string): Promise<string>;
  };
}
const samlify = createRequire(import.meta.url)('samlify') as Samlify;

// samlify checks its own XML against a schema validator the app must choose; this IdP only
// builds and signs responses (the library under test parses them), so none is needed.
samlify.setSchemaValidator({ validate: async () => 'not validated' });

export const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
export const PERSISTENT_FORMAT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';

/** What the IdP says about a person. */
export interface IdpUser {
  nameId: string;
  nameIdFormat?: string;
  attributes?: Record<string, string[]>;
}

/** One response, with every field a test may want to get wrong. */
export interface ResponseSpec extends IdpUser {
  /** The AuthnRequest answered; null: unsolicited (IdP-initiated). */
  inResponseTo: string | null;
  /** The SP's ACS URL: Destination and Recipient unless overridden. */
  acsUrl: string;
  /** The SP's entity id: the Audience unless overridden. */
  audience: string;
  destination?: string;
  recipient?: string;
  issuer?: string;
  /** The assertion's SubjectConfirmationData InResponseTo; default `inResponseTo`. */
  subjectInResponseTo?: string | null;
  /** Milliseconds; default now. */
  now?: number;
  notBefore?: number;
  notOnOrAfter?: number;
  subjectNotOnOrAfter?: number;
  /** Which elements carry a signature. Default `assertion`. */
  sign?: 'assertion' | 'response' | 'both' | 'none';
  /** Sign with this key instead of the IdP's (an attacker's). */
  signer?: KeyAndCertificate;
  algorithm?: 'sha256' | 'sha1';
  /** The SP's metadata: the assertion is encrypted to its encryption certificate. */
  encryptFor?: string;
  assertionId?: string;
  statusCode?: string;
  /** Applied to the XML before any signature (a comment in the NameID, say). */
  beforeSigning?: (xml: string) => string;
}

const escape = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const iso = (ms: number) => new Date(ms).toISOString();
const id = () => `_${randomBytes(16).toString('hex')}`;

/** What an AuthnRequest asked, read from its HTTP-Redirect encoding. */
export interface ParsedRequest {
  id: string;
  issuer: string;
  acsUrl: string | null;
}

export function parseRedirect(url: string): ParsedRequest & { relayState: string | null } {
  const query = new URL(url).searchParams;
  const xml = inflateRawSync(Buffer.from(query.get('SAMLRequest')!, 'base64')).toString('utf8');
  const attribute = (name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(xml)?.[1] ?? null;
  return {
    id: attribute('ID')!,
    issuer: /<saml2?:Issuer[^>]*>([^<]*)</.exec(xml)?.[1] ?? '',
    acsUrl: attribute('AssertionConsumerServiceURL'),
    relayState: query.get('RelayState'),
  };
}

/**
 * The HTTP-Redirect binding's signature check (SAML Bindings §3.4.4.1) of an AuthnRequest or a
 * LogoutRequest: over `SAMLRequest=…&RelayState=…&SigAlg=…` exactly as the parameters arrived (still URL-encoded),
 * verified by samlify with the signing certificate of the SP's metadata.
 */
export function redirectSignatureValid(url: URL, spMetadata: string): boolean {
  const raw = new Map(
    url.search
      .slice(1)
      .split('&')
      .map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)] as const),
  );
  const signature = raw.get('Signature');
  const sigAlg = raw.get('SigAlg');
  if (!signature || !sigAlg) return false;
  const signed = ['SAMLRequest', 'RelayState', 'SigAlg']
    .filter((name) => raw.has(name))
    .map((name) => `${name}=${raw.get(name)}`)
    .join('&');
  try {
    const sp = samlify.ServiceProvider({ metadata: spMetadata });
    return samlify.SamlLib.verifyMessageSignature(sp.entityMeta, signed, Buffer.from(decodeURIComponent(signature), 'base64'), decodeURIComponent(sigAlg));
  } catch {
    return false;
  }
}

/**
 * A SAML IdP on loopback built on samlify: it serves its metadata (with the certificate of the
 * moment: `rollOver()` swaps it) and an SSO endpoint answering an AuthnRequest with an
 * auto-posting form for `user`, and builds any response a test asks for, signed by samlify
 * (xml-crypto) with its key, or an attacker's.
 */
export class TestIdp {
  user: IdpUser = { nameId: 'nobody@idp.test' };
  keys: KeyAndCertificate = selfSignedCertificate('idp.test');
  metadataReads = 0;
  /**
   * The SP metadata of a service provider whose AuthnRequests must be signed: the SSO endpoint
   * then checks each request's HTTP-Redirect signature against that metadata's signing
   * certificate with samlify, as an IdP requiring signed requests does, and answers 403 otherwise.
   */
  requireSignedRequests: string | null = null;
  /** AuthnRequests the SSO endpoint refused for a missing or wrong signature. */
  refusedRequests = 0;
  private server!: Server;
  url = '';

  constructor(readonly entityId = `https://idp.test/${randomBytes(4).toString('hex')}`) {}

  static async start(): Promise<TestIdp> {
    const idp = new TestIdp();
    idp.server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', idp.url);
      if (url.pathname === '/metadata') {
        idp.metadataReads++;
        response.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(idp.metadata());
        return;
      }
      if (url.pathname === '/sso') {
        if (idp.requireSignedRequests !== null && !redirectSignatureValid(url, idp.requireSignedRequests)) {
          idp.refusedRequests++;
          response.writeHead(403, { 'content-type': 'text/plain' }).end('AuthnRequest signature missing or invalid');
          return;
        }
        const asked = parseRedirect(url.href);
        void idp.response({ ...idp.user, inResponseTo: asked.id, acsUrl: asked.acsUrl!, audience: asked.issuer }).then((encoded) => {
          const form = `<form method="post" action="${escape(asked.acsUrl!)}"><input type="hidden" name="SAMLResponse" value="${encoded}"></form>`;
          response.writeHead(200, { 'content-type': 'text/html' }).end(form);
        });
        return;
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((done) => idp.server.listen(0, '127.0.0.1', done));
    idp.url = `http://127.0.0.1:${(idp.server.address() as { port: number }).port}`;
    return idp;
  }

  /** The IdP's SAML metadata, with its signing certificate of the moment. */
  metadata(): string {
    return samlify
      .IdentityProvider({
        entityID: this.entityId,
        signingCert: this.keys.certificate,
        singleSignOnService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: `${this.url}/sso` }],
        singleLogoutService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: `${this.url}/slo` }],
      })
      .getMetadata();
  }

  /** A new signing key: the metadata lists only the new certificate from now on. */
  rollOver(): void {
    this.keys = selfSignedCertificate('idp.test');
  }

  /** The XML of a response before signing (for tests that wrap or rewrite it). */
  unsignedXml(spec: ResponseSpec): string {
    const now = spec.now ?? Date.now();
    const inResponseTo = spec.inResponseTo === null ? '' : ` InResponseTo="${escape(spec.inResponseTo)}"`;
    const subjectAnswers = spec.subjectInResponseTo === undefined ? spec.inResponseTo : spec.subjectInResponseTo;
    const subjectInResponseTo = subjectAnswers === null ? '' : ` InResponseTo="${escape(subjectAnswers)}"`;
    const issuer = escape(spec.issuer ?? this.entityId);
    const attributes = Object.entries(spec.attributes ?? {})
      .map(([name, values]) => `<saml:Attribute Name="${escape(name)}">${values.map((v) => `<saml:AttributeValue>${escape(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`)
      .join('');
    const xml =
      `<samlp:Response xmlns:samlp="${PROTOCOL}" xmlns:saml="${ASSERTION}" ID="${id()}" Version="2.0" IssueInstant="${iso(now)}" Destination="${escape(spec.destination ?? spec.acsUrl)}"${inResponseTo}>` +
      `<saml:Issuer>${issuer}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="${spec.statusCode ?? 'urn:oasis:names:tc:SAML:2.0:status:Success'}"/></samlp:Status>` +
      `<saml:Assertion xmlns:saml="${ASSERTION}" ID="${spec.assertionId ?? id()}" Version="2.0" IssueInstant="${iso(now)}">` +
      `<saml:Issuer>${issuer}</saml:Issuer>` +
      `<saml:Subject><saml:NameID Format="${spec.nameIdFormat ?? EMAIL_FORMAT}">${escape(spec.nameId)}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${iso(spec.subjectNotOnOrAfter ?? now + 300_000)}" Recipient="${escape(spec.recipient ?? spec.acsUrl)}"${subjectInResponseTo}/></saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${iso(spec.notBefore ?? now - 5_000)}" NotOnOrAfter="${iso(spec.notOnOrAfter ?? now + 300_000)}"><saml:AudienceRestriction><saml:Audience>${escape(spec.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${id()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
      (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '') +
      `</saml:Assertion></samlp:Response>`;
    return spec.beforeSigning ? spec.beforeSigning(xml) : xml;
  }

  /** Signs `xml`'s assertion (`assertion`) or the whole response (`response`) as samlify does. */
  sign(xml: string, what: 'assertion' | 'response', signer: KeyAndCertificate = this.keys, algorithm: 'sha256' | 'sha1' = 'sha256'): string {
    const assertion = what === 'assertion';
    return samlify.SamlLib.constructSAMLSignature({
      rawSamlMessage: xml,
      ...(assertion ? { referenceTagXPath: "/*[local-name(.)='Response']/*[local-name(.)='Assertion']" } : { isMessageSigned: true }),
      privateKey: signer.privateKey,
      privateKeyPass: '',
      signatureAlgorithm: algorithm === 'sha1' ? RSA_SHA1 : RSA_SHA256,
      signingCert: signer.certificateBase64,
      isBase64Output: false,
      signatureConfig: {
        prefix: 'ds',
        location: {
          reference: assertion ? "/*[local-name(.)='Response']/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']" : "/*[local-name(.)='Response']/*[local-name(.)='Issuer']",
          action: 'after',
        },
      },
    });
  }

  /** A response as the HTTP-POST binding carries it: signed (and encrypted) as `spec` says, base64. */
  async response(spec: ResponseSpec): Promise<string> {
    return Buffer.from(await this.responseXml(spec)).toString('base64');
  }

  async responseXml(spec: ResponseSpec): Promise<string> {
    const sign = spec.sign ?? 'assertion';
    let xml = this.unsignedXml(spec);
    if (sign === 'assertion' || sign === 'both') xml = this.sign(xml, 'assertion', spec.signer, spec.algorithm);
    if (spec.encryptFor) xml = await this.encrypt(xml, spec.encryptFor);
    if (sign === 'response' || sign === 'both') xml = this.sign(xml, 'response', spec.signer, spec.algorithm);
    return xml;
  }

  private async encrypt(xml: string, spMetadata: string): Promise<string> {
    const idp = samlify.IdentityProvider({
      entityID: this.entityId,
      signingCert: this.keys.certificate,
      privateKey: this.keys.privateKey,
      isAssertionEncrypted: true,
      dataEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
      keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
      singleSignOnService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: `${this.url}/sso` }],
      singleLogoutService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: `${this.url}/slo` }],
    });
    const sp = samlify.ServiceProvider({ metadata: spMetadata });
    return Buffer.from(await samlify.SamlLib.encryptAssertion(idp, sp, xml), 'base64').toString('utf8');
  }

  async close(): Promise<void> {
    await new Promise<void>((done) => this.server.close(() => done()));
  }
}
