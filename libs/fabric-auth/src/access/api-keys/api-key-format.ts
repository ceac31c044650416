import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { sha256 } from '../../core/crypto.js';

/**
 * `fab_` + 43 base62 characters (256 random bits) + 6 base62 characters of CRC32.
 * The fixed prefix lets secret scanners find leaked keys; the checksum lets a mistyped
 * or invented key be refused without touching the database (GitHub's token design).
 */
export const API_KEY_PREFIX = 'fab_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SECRET_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
/** Characters of every key we issue. */
export const API_KEY_LENGTH = API_KEY_PREFIX.length + SECRET_LENGTH + CHECKSUM_LENGTH;
/** Characters of the raw key shown in listings: the prefix and 8 of the secret. */
export const LISTED_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;
const KEY_SHAPE = new RegExp(`^${API_KEY_PREFIX}[0-9A-Za-z]{${SECRET_LENGTH + CHECKSUM_LENGTH}}$`);

function base62(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(value % 62n)] + out;
    value /= 62n;
  }
  return out;
}

/** Checked on every X-API-Key request: plain numbers (a CRC32 is exact in a double), no BigInt. */
function checksum(secret: string): string {
  let value = crc32(secret);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

export interface GeneratedApiKey {
  key: string;
  hash: string;
  prefix: string;
}

/** One-shot `crypto.hash`: on every X-API-Key request, without a Hash object per call. */
export function hashApiKey(key: string): string {
  return sha256(key, 'hex');
}

export function generateApiKey(): GeneratedApiKey {
  // 43 base62 digits hold 256 bits; 34 random bytes (272 bits) reduced mod 62^43 keep the bias negligible.
  const secret = base62(BigInt(`0x${randomBytes(34).toString('hex')}`) % 62n ** BigInt(SECRET_LENGTH), SECRET_LENGTH);
  const key = `${API_KEY_PREFIX}${secret}${checksum(secret)}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, LISTED_PREFIX_LENGTH) };
}

/** Shape and checksum only: true for any key we could have issued. */
export function isWellFormedApiKey(key: string): boolean {
  if (!KEY_SHAPE.test(key)) return false;
  const secret = key.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + SECRET_LENGTH);
  return key.endsWith(checksum(secret));
}
