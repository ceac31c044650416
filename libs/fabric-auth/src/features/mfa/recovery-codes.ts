import { randomInt } from 'node:crypto';
import { deriveKey, hmacSha256 } from '../../core/crypto.js';

export const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32: no i, l, o, u, so a code read aloud or copied by hand survives. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const GROUP = 5;

/** Ten codes of 10 symbols (50 bits each), shown as `xxxxx-xxxxx`. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    let code = '';
    for (let i = 0; i < 2 * GROUP; i++) code += ALPHABET[randomInt(ALPHABET.length)];
    return `${code.slice(0, GROUP)}-${code.slice(GROUP)}`;
  });
}

/** What a person typed, in the form that was hashed: case, dashes and spaces ignored, look-alikes folded. */
export function normalizeRecoveryCode(input: string): string | undefined {
  const folded = input
    .toLowerCase()
    .replace(/[\s-]/g, '')
    .replace(/[io]/g, (c) => (c === 'o' ? '0' : '1'))
    .replace(/l/g, '1');
  return folded.length === 2 * GROUP && [...folded].every((c) => ALPHABET.includes(c)) ? folded : undefined;
}

/**
 * HMAC-SHA-256 under a key derived from the encryption (or secret) key: 50 bits would not
 * withstand an offline search of a plain hash, but a MAC cannot be searched without the key.
 */
export class RecoveryCodeHasher {
  private readonly key: Buffer;

  constructor(material: string) {
    this.key = deriveKey(material, 'fabric-auth recovery-code mac');
  }

  hash(normalized: string): string {
    return hmacSha256(this.key, normalized, 'hex');
  }
}
