/**
 * Reading SAML XML defensively, before and beside node-saml's signature checks: what is
 * refused outright (a DOCTYPE, entities, comments, processing instructions, oversized or
 * malformed base64) and the one document shape a response may have, so that the element
 * node-saml verified is the only one there is to read (XML signature wrapping).
 */

import { createRequire } from 'node:module';
import { SamlLoginFailure } from './saml-login.error.js';

/** A DOM node, as far as these checks read it (xmldom's). */
export interface XmlNode {
  nodeType: number;
  nodeValue: string | null;
  localName: string | null;
  namespaceURI: string | null;
  firstChild: XmlNode | null;
  nextSibling: XmlNode | null;
  parentNode: XmlNode | null;
  hasAttribute(name: string): boolean;
  getAttribute(name: string): string | null;
}

interface XmlParser {
  parseFromString(xml: string, mimeType: string): { documentElement: XmlNode | null; firstChild: XmlNode | null } | undefined;
}

type ParserProblem = (message: string) => void;

// xmldom's own typings declare `/// <reference lib="dom" />`, which would put the browser's DOM
// types (its fetch among them) into the whole library's compilation: loaded untyped instead.
const require = createRequire(import.meta.url);
const { DOMParser } = require('@xmldom/xmldom') as {
  DOMParser: new (options: { errorHandler: { warning: ParserProblem; error: ParserProblem; fatalError: ParserProblem } }) => XmlParser;
};

export const SAML_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const SAML_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const SAML_METADATA = 'urn:oasis:names:tc:SAML:2.0:metadata';
export const XML_DSIG = 'http://www.w3.org/2000/09/xmldsig#';

/** Element nesting accepted: a response or IdP metadata is about ten deep, so this is room to spare. */
export const MAX_XML_DEPTH = 64;

/** Characters of the base64 `SAMLResponse` accepted; a real response is a few KiB, one with many groups a few dozen. */
export const MAX_SAML_RESPONSE = 256 * 1024;

const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;
const ENTITY_REFERENCE = 5;
const PROCESSING_INSTRUCTION = 7;
const COMMENT = 8;
const DOCUMENT_TYPE = 10;

/**
 * The signature and digest algorithms a response may use. SHA-1 only where the connection
 * allows it; never HMAC (a key the verifier holds, not the IdP's).
 */
const SIGNATURE_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
]);
const DIGEST_ALGORITHMS = new Set(['http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2001/04/xmldsig-more#sha384', 'http://www.w3.org/2001/04/xmlenc#sha512']);
const SHA1_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
const SHA1_DIGEST = 'http://www.w3.org/2000/09/xmldsig#sha1';
const TRANSFORMS = new Set([
  'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  'http://www.w3.org/2001/10/xml-exc-c14n#',
  'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments',
]);

/** The attributes xml-crypto resolves a signature's `Reference URI="#…"` against. */
const ID_ATTRIBUTES = ['ID', 'Id', 'id'];

/** The `SAMLResponse` form field as XML text: bounded, canonical base64, UTF-8, no DOCTYPE or entity. */
export function decodeSamlResponse(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0) throw new SamlLoginFailure('malformed_response', 'no SAMLResponse');
  if (raw.length > MAX_SAML_RESPONSE) throw new SamlLoginFailure('response_too_large', `${raw.length} characters`);
  const compact = raw.replace(/[\r\n\t ]/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) throw new SamlLoginFailure('malformed_response', 'not base64');
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.toString('base64') !== compact) throw new SamlLoginFailure('malformed_response', 'not canonical base64');
  const xml = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes, { stream: false });
  return checkedXmlText(xml, 'malformed_response');
}

function checkedXmlText(xml: string, malformed: 'malformed_response' | 'invalid_assertion'): string {
  if (!xml.trimStart().startsWith('<')) throw new SamlLoginFailure(malformed, 'not XML');
  // Entities are how XXE and billion-laughs documents work; SAML never needs a DTD.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new SamlLoginFailure('xml_refused', 'DOCTYPE or entity declaration');
  return xml;
}

/** Parses XML that passed `checkedXmlText`; any parser error or warning refuses it. */
export function parseXml(xml: string, malformed: 'malformed_response' | 'invalid_assertion' = 'malformed_response'): XmlNode {
  checkedXmlText(xml, malformed);
  const problems: string[] = [];
  const report = (message: string) => void problems.push(message);
  const doc = new DOMParser({ errorHandler: { warning: report, error: report, fatalError: report } }).parseFromString(xml, 'text/xml');
  if (problems.length > 0 || !doc?.documentElement) throw new SamlLoginFailure(malformed, problems[0]?.split('\n')[0] ?? 'no document element');
  for (let node = doc.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === DOCUMENT_TYPE) throw new SamlLoginFailure('xml_refused', 'DOCTYPE');
  }
  refuseHiddenNodes(doc.documentElement);
  return doc.documentElement;
}

/**
 * Comments inside a signed element are outside what exclusive canonicalisation signs: one
 * in a NameID (`admin@corp.example<!---->.evil.example`) changes what a reader takes for the
 * text without breaking the signature. No IdP needs them, nor processing instructions.
 */
function refuseHiddenNodes(element: XmlNode, depth = 1): void {
  // Before any other walk: a document nested deeper than a stack holds would end them all in a RangeError.
  if (depth > MAX_XML_DEPTH) throw new SamlLoginFailure('xml_refused', `elements nested deeper than ${MAX_XML_DEPTH}`);
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === COMMENT) throw new SamlLoginFailure('xml_refused', 'comment');
    if (node.nodeType === PROCESSING_INSTRUCTION) throw new SamlLoginFailure('xml_refused', 'processing instruction');
    if (node.nodeType === ENTITY_REFERENCE) throw new SamlLoginFailure('xml_refused', 'entity reference');
    if (node.nodeType === ELEMENT) refuseHiddenNodes(node, depth + 1);
  }
}

export function elementChildren(parent: XmlNode, namespace?: string, localName?: string): XmlNode[] {
  const found: XmlNode[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType !== ELEMENT) continue;
    const element = node;
    if ((namespace === undefined || element.namespaceURI === namespace) && (localName === undefined || element.localName === localName)) found.push(element);
  }
  return found;
}

export function descendants(root: XmlNode, namespace: string, localName: string): XmlNode[] {
  const found: XmlNode[] = [];
  const walk = (element: XmlNode) => {
    for (const child of elementChildren(element)) {
      if (child.namespaceURI === namespace && child.localName === localName) found.push(child);
      walk(child);
    }
  };
  if (root.namespaceURI === namespace && root.localName === localName) found.push(root);
  walk(root);
  return found;
}

/** The one child of that name, or null; two are refused (`what` names it in the log). */
export function onlyChild(parent: XmlNode, namespace: string, localName: string, failure: SamlLoginFailure['reason'] = 'invalid_assertion'): XmlNode | null {
  const found = elementChildren(parent, namespace, localName);
  if (found.length > 1) throw new SamlLoginFailure(failure, `${localName} repeated`);
  return found[0] ?? null;
}

/** An element's text: its text and CDATA children (comments were refused), trimmed. */
export function textOf(element: XmlNode): string {
  let text = '';
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === TEXT || node.nodeType === CDATA) text += node.nodeValue ?? '';
    else if (node.nodeType === ELEMENT) throw new SamlLoginFailure('invalid_assertion', `${element.localName} has element content`);
  }
  return text.trim();
}

export function attributeOf(element: XmlNode, name: string): string | null {
  return element.hasAttribute(name) ? element.getAttribute(name) : null;
}

function idOf(element: XmlNode): string | null {
  return attributeOf(element, 'ID');
}

/**
 * The only shape a response may have: one `samlp:Response` (the root), holding exactly one
 * `saml:Assertion` or `saml:EncryptedAssertion` as a direct child, no other response or
 * assertion anywhere (the XSW variants hide a copy of the signed element beside the one a
 * reader takes), every signature a direct child of the response or the assertion that it
 * signs by its unique `ID`, and every `ID` in the document distinct.
 */
export function checkResponseShape(response: XmlNode, allowSha1: boolean): { assertion: XmlNode | null; encrypted: XmlNode | null } {
  if (response.namespaceURI !== SAML_PROTOCOL || response.localName !== 'Response') throw new SamlLoginFailure('malformed_response', `root is ${response.localName}`);
  if (descendants(response, SAML_PROTOCOL, 'Response').length !== 1) throw new SamlLoginFailure('signature_wrapping', 'several Response elements');
  const assertions = descendants(response, SAML_ASSERTION, 'Assertion');
  const encrypted = descendants(response, SAML_ASSERTION, 'EncryptedAssertion');
  if (assertions.length + encrypted.length > 1) throw new SamlLoginFailure('signature_wrapping', 'several assertions');
  const [assertion = null] = assertions;
  const [encryptedAssertion = null] = encrypted;
  for (const found of [assertion, encryptedAssertion]) {
    if (found && found.parentNode !== response) throw new SamlLoginFailure('signature_wrapping', `${found.localName} is not a child of the Response`);
  }
  checkIds(response);
  checkSignatures(response, [response, ...(assertion ? [assertion] : [])], allowSha1);
  return { assertion, encrypted: encryptedAssertion };
}

/** The same rules for a decrypted assertion: the root, its only signature its own. */
export function checkAssertionShape(assertion: XmlNode, allowSha1: boolean): void {
  if (assertion.namespaceURI !== SAML_ASSERTION || assertion.localName !== 'Assertion') throw new SamlLoginFailure('invalid_assertion', `decrypted ${assertion.localName}`);
  if (descendants(assertion, SAML_ASSERTION, 'Assertion').length !== 1) throw new SamlLoginFailure('signature_wrapping', 'nested assertions');
  checkIds(assertion);
  checkSignatures(assertion, [assertion], allowSha1);
}

function checkIds(root: XmlNode): void {
  const seen = new Set<string>();
  const walk = (element: XmlNode) => {
    for (const name of ID_ATTRIBUTES) {
      const value = attributeOf(element, name);
      if (value === null) continue;
      if (seen.has(value)) throw new SamlLoginFailure('signature_wrapping', 'duplicate ID');
      seen.add(value);
    }
    for (const child of elementChildren(element)) walk(child);
  };
  walk(root);
}

function checkSignatures(root: XmlNode, signable: XmlNode[], allowSha1: boolean): void {
  for (const signature of descendants(root, XML_DSIG, 'Signature')) {
    const parent = signature.parentNode;
    if (!parent || !signable.includes(parent)) throw new SamlLoginFailure('signature_wrapping', `Signature inside ${parent?.localName ?? 'nothing'}`);
    if (elementChildren(parent, XML_DSIG, 'Signature').length !== 1) throw new SamlLoginFailure('signature_wrapping', `${parent.localName} has several signatures`);
    const signedInfo = onlyChild(signature, XML_DSIG, 'SignedInfo', 'signature_wrapping');
    const references = signedInfo ? elementChildren(signedInfo, XML_DSIG, 'Reference') : [];
    const id = idOf(parent);
    if (references.length !== 1 || !id || attributeOf(references[0], 'URI') !== `#${id}`) {
      throw new SamlLoginFailure('signature_wrapping', `the signature of ${parent.localName} does not sign it by its ID`);
    }
    checkAlgorithms(signedInfo!, references[0], allowSha1);
  }
}

function checkAlgorithms(signedInfo: XmlNode, reference: XmlNode, allowSha1: boolean): void {
  const algorithm = (parent: XmlNode, name: string) => {
    const element = onlyChild(parent, XML_DSIG, name, 'signature_wrapping');
    return element ? attributeOf(element, 'Algorithm') : null;
  };
  const signature = algorithm(signedInfo, 'SignatureMethod');
  const digest = algorithm(reference, 'DigestMethod');
  const canonicalization = algorithm(signedInfo, 'CanonicalizationMethod');
  if ((signature === SHA1_SIGNATURE || digest === SHA1_DIGEST) && !allowSha1) throw new SamlLoginFailure('weak_algorithm', 'SHA-1 (allow_sha1 is off)');
  if (signature === null || !(SIGNATURE_ALGORITHMS.has(signature) || (allowSha1 && signature === SHA1_SIGNATURE))) {
    throw new SamlLoginFailure('weak_algorithm', `signature algorithm ${signature}`);
  }
  if (digest === null || !(DIGEST_ALGORITHMS.has(digest) || (allowSha1 && digest === SHA1_DIGEST))) throw new SamlLoginFailure('weak_algorithm', `digest ${digest}`);
  if (canonicalization === null || !TRANSFORMS.has(canonicalization)) throw new SamlLoginFailure('invalid_signature', `canonicalization ${canonicalization}`);
  const transforms = onlyChild(reference, XML_DSIG, 'Transforms', 'signature_wrapping');
  for (const transform of transforms ? elementChildren(transforms, XML_DSIG, 'Transform') : []) {
    const used = attributeOf(transform, 'Algorithm');
    if (used === null || !TRANSFORMS.has(used)) throw new SamlLoginFailure('invalid_signature', `transform ${used}`);
  }
}
