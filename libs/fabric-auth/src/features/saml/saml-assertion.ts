/**
 * What SAML 2.0 asks of a response beyond its signature (Core §2–3, Profiles §4.1.4), which
 * node-saml 5.1 leaves to us: Destination, the issuers, the bearer confirmation's Recipient,
 * times and InResponseTo, the audience, read on the one assertion `checkResponseShape` left.
 */

import type { ExternalIdentity } from '../../core/ports/sign-in-provider.js';
import { SamlLoginFailure } from './saml-login.error.js';
import { attributeOf, elementChildren, onlyChild, SAML_ASSERTION, SAML_PROTOCOL, textOf, type XmlNode } from './saml-xml.js';

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const ENTITY_FORMAT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity';
/** SAML times are UTC (Core §1.3.3). */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const MAX_SUBJECT = 255;

/** What the checks expect of this response. */
export interface Expected {
  idpEntityId: string;
  spEntityId: string;
  acsUrl: string;
  /** The AuthnRequest this browser's login sent; null for an IdP-initiated response (allowed by the connection). */
  requestId: string | null;
  /** Milliseconds, on FabricClock. */
  now: number;
  skewSeconds: number;
}

/** What a checked assertion says, for the replay guard and the session. */
export interface CheckedAssertion {
  id: string;
  /** Milliseconds after which the assertion is refused anyway: its ID is kept as used until then. */
  usableUntil: number;
  nameId: string;
  nameIdFormat: string | null;
  sessionIndex: string | null;
  attributes: Map<string, string[]>;
}

function instant(value: string | null, what: string): number | null {
  if (value === null) return null;
  if (!INSTANT.test(value) || Number.isNaN(Date.parse(value))) throw new SamlLoginFailure('invalid_assertion', `${what} is not a UTC instant`);
  return Date.parse(value);
}

function checkIssuer(element: XmlNode | null, expected: string, where: string, required: boolean): void {
  if (element === null) {
    if (required) throw new SamlLoginFailure('wrong_issuer', `no ${where} Issuer`);
    return;
  }
  const format = attributeOf(element, 'Format');
  if ((format !== null && format !== ENTITY_FORMAT) || textOf(element) !== expected) throw new SamlLoginFailure('wrong_issuer', `${where} Issuer`);
}

/** The response's own attributes: a successful status, sent to our ACS, by our IdP. */
export function checkResponse(response: XmlNode, expected: Pick<Expected, 'idpEntityId' | 'acsUrl'>): void {
  if (attributeOf(response, 'Version') !== '2.0') throw new SamlLoginFailure('malformed_response', 'Version');
  const status = onlyChild(response, SAML_PROTOCOL, 'Status', 'malformed_response');
  const code = status ? onlyChild(status, SAML_PROTOCOL, 'StatusCode', 'malformed_response') : null;
  const value = code ? attributeOf(code, 'Value') : null;
  if (value !== SUCCESS) {
    const second = code ? elementChildren(code, SAML_PROTOCOL, 'StatusCode')[0] : undefined;
    const reason = (second && attributeOf(second, 'Value')) ?? value ?? 'none';
    throw new SamlLoginFailure('idp_error', reason.slice(reason.lastIndexOf(':') + 1).slice(0, 64));
  }
  // Bindings §3.5.5.2: a signed message names where it was meant to go; we require it of every response.
  if (attributeOf(response, 'Destination') !== expected.acsUrl) throw new SamlLoginFailure('wrong_destination', String(attributeOf(response, 'Destination')));
  checkIssuer(onlyChild(response, SAML_ASSERTION, 'Issuer', 'malformed_response'), expected.idpEntityId, 'Response', false);
}

/** The assertion: issuer, subject and its bearer confirmation, conditions and audience, at `expected.now`. */
export function checkAssertion(assertion: XmlNode, expected: Expected): CheckedAssertion {
  const skew = expected.skewSeconds * 1000;
  const id = attributeOf(assertion, 'ID');
  if (!id || id.length > 256) throw new SamlLoginFailure('invalid_assertion', 'no ID');
  if (attributeOf(assertion, 'Version') !== '2.0') throw new SamlLoginFailure('invalid_assertion', 'Version');
  const issued = instant(attributeOf(assertion, 'IssueInstant'), 'IssueInstant');
  if (issued === null) throw new SamlLoginFailure('invalid_assertion', 'no IssueInstant');
  if (issued > expected.now + skew) throw new SamlLoginFailure('not_yet_valid', 'IssueInstant in the future');
  checkIssuer(onlyChild(assertion, SAML_ASSERTION, 'Issuer'), expected.idpEntityId, 'Assertion', true);

  const subject = onlyChild(assertion, SAML_ASSERTION, 'Subject');
  const nameIdElement = subject ? onlyChild(subject, SAML_ASSERTION, 'NameID') : null;
  if (!subject || !nameIdElement) throw new SamlLoginFailure('invalid_assertion', 'no Subject NameID (an EncryptedID is not supported)');
  const nameId = textOf(nameIdElement);
  const nameIdFormat = attributeOf(nameIdElement, 'Format');
  if (nameId.length === 0 || nameId.length > MAX_SUBJECT) throw new SamlLoginFailure('invalid_assertion', 'NameID empty or longer than 255 characters');
  // A transient NameID names a new person at every login: JIT would create an account each time.
  if (nameIdFormat === TRANSIENT) throw new SamlLoginFailure('invalid_assertion', 'transient NameID; configure a persistent, email or unspecified NameID at the IdP');

  const bearerUntil = checkBearer(subject, expected, skew);

  const conditions = onlyChild(assertion, SAML_ASSERTION, 'Conditions');
  if (!conditions) throw new SamlLoginFailure('invalid_assertion', 'no Conditions');
  const notBefore = instant(attributeOf(conditions, 'NotBefore'), 'Conditions NotBefore');
  const notOnOrAfter = instant(attributeOf(conditions, 'NotOnOrAfter'), 'Conditions NotOnOrAfter');
  if (notBefore !== null && notBefore > expected.now + skew) throw new SamlLoginFailure('not_yet_valid', 'Conditions NotBefore');
  if (notOnOrAfter !== null && notOnOrAfter <= expected.now - skew) throw new SamlLoginFailure('expired', 'Conditions NotOnOrAfter');
  const restrictions = elementChildren(conditions, SAML_ASSERTION, 'AudienceRestriction');
  // Core §2.5.1.4: every AudienceRestriction must name us.
  if (restrictions.length === 0 || !restrictions.every((r) => elementChildren(r, SAML_ASSERTION, 'Audience').some((a) => textOf(a) === expected.spEntityId))) {
    throw new SamlLoginFailure('wrong_audience');
  }

  const authn = elementChildren(assertion, SAML_ASSERTION, 'AuthnStatement');
  if (authn.length === 0) throw new SamlLoginFailure('invalid_assertion', 'no AuthnStatement');
  const sessionIndex = attributeOf(authn[0], 'SessionIndex');

  return {
    id,
    usableUntil: Math.max(bearerUntil, notOnOrAfter ?? 0) + skew,
    nameId,
    nameIdFormat,
    sessionIndex: sessionIndex && sessionIndex.length <= 255 ? sessionIndex : null,
    attributes: attributesOf(assertion),
  };
}

/** Profiles §4.1.4.2: a bearer confirmation for our ACS, unexpired, answering our request (or none when unsolicited). */
function checkBearer(subject: XmlNode, expected: Expected, skew: number): number {
  const bearers = elementChildren(subject, SAML_ASSERTION, 'SubjectConfirmation').filter((c) => attributeOf(c, 'Method') === BEARER);
  if (bearers.length === 0) throw new SamlLoginFailure('invalid_assertion', 'no bearer SubjectConfirmation');
  let refusal: SamlLoginFailure | null = null;
  for (const bearer of bearers) {
    const data = onlyChild(bearer, SAML_ASSERTION, 'SubjectConfirmationData');
    try {
      if (!data) throw new SamlLoginFailure('invalid_assertion', 'no SubjectConfirmationData');
      if (attributeOf(data, 'Recipient') !== expected.acsUrl) throw new SamlLoginFailure('wrong_recipient', String(attributeOf(data, 'Recipient')));
      const until = instant(attributeOf(data, 'NotOnOrAfter'), 'SubjectConfirmationData NotOnOrAfter');
      if (until === null) throw new SamlLoginFailure('invalid_assertion', 'SubjectConfirmationData without NotOnOrAfter');
      if (until <= expected.now - skew) throw new SamlLoginFailure('expired', 'SubjectConfirmationData NotOnOrAfter');
      const notBefore = instant(attributeOf(data, 'NotBefore'), 'SubjectConfirmationData NotBefore');
      if (notBefore !== null && notBefore > expected.now + skew) throw new SamlLoginFailure('not_yet_valid', 'SubjectConfirmationData NotBefore');
      const answers = attributeOf(data, 'InResponseTo');
      if (answers !== expected.requestId) throw new SamlLoginFailure('state_mismatch', 'SubjectConfirmationData InResponseTo');
      return until;
    } catch (error) {
      if (!(error instanceof SamlLoginFailure)) throw error;
      refusal ??= error;
    }
  }
  throw refusal!;
}

function attributesOf(assertion: XmlNode): Map<string, string[]> {
  const attributes = new Map<string, string[]>();
  for (const statement of elementChildren(assertion, SAML_ASSERTION, 'AttributeStatement')) {
    for (const attribute of elementChildren(statement, SAML_ASSERTION, 'Attribute')) {
      const name = attributeOf(attribute, 'Name');
      if (!name) continue;
      const values = elementChildren(attribute, SAML_ASSERTION, 'AttributeValue')
        .map((v) => {
          try {
            return textOf(v);
          } catch {
            // A structured value (an XML type) is not one this library maps.
            return '';
          }
        })
        .filter((v) => v.length > 0);
      attributes.set(name, [...(attributes.get(name) ?? []), ...values]);
    }
  }
  return attributes;
}

/**
 * The names IdPs give each attribute: plain (Okta, Google), OID (LDAP-shaped, Shibboleth,
 * Keycloak's X500 mappers, whose email is PKCS #9's `emailAddress`) and claim URIs (Entra ID, ADFS).
 */
const EMAIL = [
  'email',
  'mail',
  'emailaddress',
  'Email',
  'urn:oid:0.9.2342.19200300.100.1.3',
  'urn:oid:1.2.840.113549.1.9.1',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
];
const DISPLAY_NAME = ['displayName', 'displayname', 'name', 'urn:oid:2.16.840.1.113730.3.1.241', 'http://schemas.microsoft.com/identity/claims/displayname'];
const GIVEN_NAME = ['givenName', 'firstName', 'given_name', 'urn:oid:2.5.4.42', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname'];
const SURNAME = ['sn', 'surname', 'lastName', 'family_name', 'urn:oid:2.5.4.4', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname'];
const USERNAME = ['username', 'uid', 'preferred_username', 'urn:oid:0.9.2342.19200300.100.1.1', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'];

function first(attributes: Map<string, string[]>, names: string[], max: number): string | null {
  for (const name of names) {
    const value = attributes.get(name)?.[0];
    if (value !== undefined && value.length <= max) return value;
  }
  return null;
}

/**
 * The identity the core resolves: (IdP entity id, NameID) as its key, the usual attributes
 * for the profile, the role attribute's values for the mapping. The email is taken as the IdP
 * vouches for it: an enterprise IdP's directory holds its users' addresses (linking by it
 * still needs `link_verified_email`).
 */
export function identityOf(checked: CheckedAssertion, idpEntityId: string, roleAttribute: string | undefined): ExternalIdentity {
  const { attributes } = checked;
  const fromNameId = checked.nameIdFormat === EMAIL_FORMAT ? checked.nameId : null;
  const email = first(attributes, EMAIL, 320) ?? fromNameId;
  const given = [first(attributes, GIVEN_NAME, 100), first(attributes, SURNAME, 100)].filter(Boolean).join(' ');
  const validEmail = email !== null && /^[^@\s]+@[^@\s]+$/.test(email) ? email : null;
  return {
    issuer: idpEntityId,
    subject: checked.nameId,
    email: validEmail,
    emailVerified: validEmail !== null,
    name: first(attributes, DISPLAY_NAME, 200) ?? (given || null),
    preferredUsername: first(attributes, USERNAME, 200) ?? (checked.nameIdFormat === EMAIL_FORMAT ? null : checked.nameId.slice(0, 200)),
    groups: roleAttribute === undefined ? [] : (attributes.get(roleAttribute) ?? []).slice(0, 1000),
  };
}
