import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, deriveKey, hmacSha256, sha256 } from './crypto.js';

// Stored hashes, MACs in live cookies and ciphertexts at rest depend on these exact outputs:
// each is pinned to a published test vector or to the construction it replaced.
describe('sha256', () => {
  it('gives the FIPS 180-2 digest of "abc" in each encoding', () => {
    expect(sha256('abc', 'hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256('abc', 'base64url')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    expect(sha256('abc', 'buffer').toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes strings as UTF-8', () => {
    expect(sha256('é', 'hex')).toBe(createHash('sha256').update(Buffer.from('é', 'utf8')).digest('hex'));
  });
});

describe('hmacSha256', () => {
  it('gives RFC 4231 test case 2', () => {
    expect(hmacSha256('Jefe', 'what do ya want for nothing?', 'hex')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('agrees across encodings', () => {
    const key = Buffer.alloc(32, 7);
    expect(hmacSha256(key, 'body', 'base64url')).toBe(hmacSha256(key, 'body', 'buffer').toString('base64url'));
  });
});

describe('constantTimeEqual', () => {
  it('is true only for equal content', () => {
    expect(constantTimeEqual('same-mac', 'same-mac')).toBe(true);
    expect(constantTimeEqual('same-mac', 'same-maC')).toBe(false);
    expect(constantTimeEqual(Buffer.from([1, 2, 3]), Buffer.from([1, 2, 3]))).toBe(true);
    expect(constantTimeEqual(Buffer.from([1, 2, 3]), Buffer.from([1, 2, 4]))).toBe(false);
  });

  it('answers false, without throwing, for inputs of different lengths', () => {
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', 'a')).toBe(false);
    expect(constantTimeEqual(Buffer.alloc(32), Buffer.alloc(64))).toBe(false);
  });

  it('compares strings by their UTF-8 bytes', () => {
    expect(constantTimeEqual('é', 'é')).toBe(true);
    // Same UTF-16 length, different UTF-8 lengths.
    expect(constantTimeEqual('é', 'e')).toBe(false);
  });
});

describe('deriveKey', () => {
  it('gives RFC 5869 test case 3 (empty salt, here empty info) truncated to 32 bytes', () => {
    const ikm = Buffer.alloc(22, 0x0b);
    expect(deriveKey(ikm, '').toString('hex')).toBe('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d');
  });

  it('is the HKDF-SHA256 the library always used: empty salt, UTF-8 secret, 32 bytes', () => {
    const secret = 'a configured secret key of 32+ characters';
    const before = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), 'fabric-auth list cursor', 32));
    expect(deriveKey(secret, 'fabric-auth list cursor').equals(before)).toBe(true);
  });

  it('derives unrelated keys for different purposes', () => {
    expect(deriveKey('secret', 'fabric-auth csrf token').equals(deriveKey('secret', 'fabric-auth refresh-token mac'))).toBe(false);
    expect(deriveKey('secret', 'x')).toHaveLength(32);
  });
});

it('hmacSha256 with a string key is the device-token key the library always used', () => {
  const before = createHmac('sha256', 'secret').update('nestjs-fabric-auth device token v1').digest();
  expect(hmacSha256('secret', 'nestjs-fabric-auth device token v1', 'buffer').equals(before)).toBe(true);
});
