import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deriveKey } from './crypto.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for secrets at rest: private signing keys, TOTP secrets, organizations' OIDC client secrets. The key is derived
 * (HKDF) from `auth.encryption_key`, or from `auth.secret_key` when that is not set, with
 * one derivation per purpose, so a ciphertext of one kind never opens as another; the row's
 * id (`kid`, factor id) is authenticated data, so a ciphertext moved to another row does
 * not decrypt.
 */
export class KeyEncryption {
  private readonly key: Buffer;

  constructor(material: string, purpose: 'signing-key' | 'totp-secret' | 'sso-client-secret' | 'webhook-secret' = 'signing-key') {
    this.key = deriveKey(material, `fabric-auth ${purpose} encryption`);
  }

  seal(plaintext: Buffer, kid: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(kid, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url')}`;
  }

  /** The plaintext, or undefined when the data was sealed under another key or altered. */
  open(sealed: string, kid: string): Buffer | undefined {
    const [version, body] = sealed.split('.');
    if (version !== VERSION || body === undefined) return undefined;
    const raw = Buffer.from(body, 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(kid, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      return undefined;
    }
  }
}
