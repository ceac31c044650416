import { createHmac, hash, hkdfSync, type KeyObject, timingSafeEqual } from 'node:crypto';

export type DigestEncoding = 'hex' | 'base64url';

/**
 * SHA-256 of a string (as UTF-8) or bytes. One-shot `crypto.hash` (~0.4 µs for a key) rather
 * than `createHash`, since API keys are hashed on every request.
 */
export function sha256(data: string | Buffer, encoding: DigestEncoding): string;
export function sha256(data: string | Buffer, encoding: 'buffer'): Buffer;
export function sha256(data: string | Buffer, encoding: DigestEncoding | 'buffer'): string | Buffer {
  return hash('sha256', data, encoding);
}

export function hmacSha256(key: Buffer | string | KeyObject, data: string, encoding: DigestEncoding): string;
export function hmacSha256(key: Buffer | string | KeyObject, data: string, encoding: 'buffer'): Buffer;
export function hmacSha256(key: Buffer | string | KeyObject, data: string, encoding: DigestEncoding | 'buffer'): string | Buffer {
  const mac = createHmac('sha256', key).update(data);
  return encoding === 'buffer' ? mac.digest() : mac.digest(encoding);
}

/**
 * Whether two secrets (strings as UTF-8) are equal, in time that does not depend on where
 * they differ. Inputs of different lengths are simply unequal (`timingSafeEqual` would
 * throw): what we compare are MACs, digests and derived keys of fixed, public length, so the
 * length says nothing.
 */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const left = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const right = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * A 32-byte key for one purpose, derived from the configured secret (HKDF-SHA256, empty
 * salt, `info` naming the purpose), so a MAC or ciphertext made for one purpose never
 * verifies or opens as another. Changing `info` invalidates what was made with the old key.
 */
export function deriveKey(secret: string | Buffer, info: string): Buffer {
  const material = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  return Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), info, 32));
}
