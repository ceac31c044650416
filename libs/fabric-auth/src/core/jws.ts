import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject, sign, verify } from 'node:crypto';
import { FabricAuthError } from './fabric-auth.error.js';
import { constantTimeEqual, hmacSha256, sha256 } from './crypto.js';

/**
 * Compact JWS with node:crypto's synchronous primitives. jose's WebCrypto verify waits in the
 * libuv pool behind bcrypt (NOTES), so the hot path signs and verifies here: one algorithm per
 * key, never taken from the token. HS256 accepts what jsonwebtoken 9 accepted, which it replaced
 * (one JWT library in the tree, issue 21).
 */
export const ASYMMETRIC_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const;
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];
export type SigningAlgorithm = 'HS256' | AsymmetricAlgorithm;

/** The public half as published in a JWKS (RFC 7517), with `kid`, `alg` and `use`. */
export interface PublicJwk {
  kty: string;
  kid: string;
  alg: AsymmetricAlgorithm;
  use: 'sig';
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
/** Header members that would name key material; we never issue them, so a token carrying one is not ours. */
const KEY_SOURCING_HEADERS = ['jku', 'jwk', 'x5u', 'x5c', 'x5t', 'x5t#S256'];
const MAX_KID_LENGTH = 128;

/** What is wrong with using `key` for `algorithm`, or undefined when it fits. */
export function keyProblem(key: KeyObject, algorithm: AsymmetricAlgorithm): string | undefined {
  switch (algorithm) {
    case 'EdDSA':
      return key.asymmetricKeyType === 'ed25519' ? undefined : 'EdDSA needs an Ed25519 key';
    case 'ES256':
      return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? undefined : 'ES256 needs an EC P-256 key';
    case 'RS256':
      if (key.asymmetricKeyType !== 'rsa') return 'RS256 needs an RSA key';
      return (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048 ? undefined : 'RS256 needs an RSA key of at least 2048 bits';
  }
}

/** A private key from PEM (PKCS#8, PKCS#1 or SEC1) or a JWK (object or JSON text). */
export function privateKeyFrom(material: string | JsonWebKey): KeyObject {
  if (typeof material === 'string' && material.trim().startsWith('{')) material = JSON.parse(material) as JsonWebKey;
  const key = typeof material === 'string' ? createPrivateKey(material) : createPrivateKey({ key: material, format: 'jwk' });
  if (key.type !== 'private') throw new Error('not a private key');
  return key;
}

export function publicJwkOf(key: KeyObject, kid: string, algorithm: AsymmetricAlgorithm): PublicJwk {
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  const { kty, crv, x, y, n, e } = jwk;
  return { kty: kty!, ...(crv && { crv }), ...(x && { x }), ...(y && { y }), ...(n && { n }), ...(e && { e }), kid, alg: algorithm, use: 'sig' };
}

/** RFC 7638 thumbprint: a `kid` that names the key itself. */
export function thumbprintOf(key: KeyObject): string {
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  const members =
    jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n } : jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return sha256(JSON.stringify(members), 'base64url');
}

function rawSign(algorithm: AsymmetricAlgorithm, input: Buffer, key: KeyObject): Buffer {
  switch (algorithm) {
    case 'EdDSA':
      return sign(null, input, key);
    case 'ES256':
      return sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' });
    case 'RS256':
      return sign('sha256', input, key);
  }
}

function rawVerify(algorithm: AsymmetricAlgorithm, input: Buffer, key: KeyObject, signature: Buffer): boolean {
  switch (algorithm) {
    case 'EdDSA':
      return signature.length === 64 && verify(null, input, key, signature);
    case 'ES256':
      return signature.length === 64 && verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature);
    case 'RS256':
      return verify('sha256', input, key, signature);
  }
}

export function signCompact(algorithm: AsymmetricAlgorithm, kid: string, privateKey: KeyObject, payload: object): string {
  const header = Buffer.from(JSON.stringify({ alg: algorithm, kid, typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const input = `${header}.${body}`;
  return `${input}.${rawSign(algorithm, Buffer.from(input), privateKey).toString('base64url')}`;
}

export interface ParsedJws {
  kid: string;
  signingInput: string;
  signature: Buffer;
  payloadSegment: string;
}

/** Splits a compact JWS and checks its header; the signature is checked by `verifyParsed`. */
export function parseCompact(token: string, algorithm: AsymmetricAlgorithm): ParsedJws {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) throw new FabricAuthError('malformed', 'not a compact JWS');
  const [headerSegment, payloadSegment, signatureSegment] = parts as [string, string, string];
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(headerSegment, 'base64url').toString('utf8'));
  } catch {
    throw new FabricAuthError('malformed', 'header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new FabricAuthError('malformed', 'header');
  const h = header as Record<string, unknown>;
  if (h.alg !== algorithm) throw new FabricAuthError('bad_token', `alg ${String(h.alg).slice(0, 20)}`);
  if ('crit' in h) throw new FabricAuthError('bad_token', 'crit header');
  const named = KEY_SOURCING_HEADERS.find((name) => name in h);
  if (named) throw new FabricAuthError('bad_token', `${named} header`);
  if (typeof h.kid !== 'string' || h.kid.length === 0 || h.kid.length > MAX_KID_LENGTH) throw new FabricAuthError('bad_token', 'kid');
  return { kid: h.kid, signingInput: `${headerSegment}.${payloadSegment}`, signature: Buffer.from(signatureSegment, 'base64url'), payloadSegment };
}

/** The payload of a parsed token once its signature checks out with `publicKey`. */
export function verifyParsed(parsed: ParsedJws, algorithm: AsymmetricAlgorithm, publicKey: KeyObject): unknown {
  if (!rawVerify(algorithm, Buffer.from(parsed.signingInput), publicKey, parsed.signature)) {
    throw new FabricAuthError('bad_token', 'signature');
  }
  try {
    return JSON.parse(Buffer.from(parsed.payloadSegment, 'base64url').toString('utf8'));
  } catch {
    throw new FabricAuthError('malformed', 'payload is not JSON');
  }
}

/** HS256 with `secret_key`: the header jsonwebtoken wrote, `{"alg":"HS256","typ":"JWT"}`, and no `kid`. */
export function signHs256(key: KeyObject, payload: object): string {
  const input = `${Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${hmacSha256(key, input, 'base64url')}`;
}

/**
 * The header and payload of an HS256 token whose MAC checks out with `key`; refused (`bad_token`)
 * as jsonwebtoken 9 refused: three non-empty base64url segments, a JSON header naming HS256 (any
 * other member allowed, `kid` included: the key is fixed), a payload that is a JSON object, and
 * the signature compared as text, so another encoding of the same bytes is not accepted.
 */
export function verifyHs256(token: string, key: KeyObject): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) throw new FabricAuthError('bad_token', 'jwt malformed');
  const [headerSegment, payloadSegment, signatureSegment] = parts as [string, string, string];
  const header = jsonOf(headerSegment);
  if (typeof header !== 'object' || header === null || (header as Record<string, unknown>).alg !== 'HS256') throw new FabricAuthError('bad_token', 'invalid algorithm');
  const payload = jsonOf(payloadSegment);
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new FabricAuthError('bad_token', 'invalid payload');
  if (!constantTimeEqual(signatureSegment, hmacSha256(key, `${headerSegment}.${payloadSegment}`, 'base64url'))) throw new FabricAuthError('bad_token', 'invalid signature');
  return { header: header as Record<string, unknown>, payload: payload as Record<string, unknown> };
}

function jsonOf(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}
