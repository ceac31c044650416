import { createSecretKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FabricAuthError } from './fabric-auth.error.js';
import { hmacSha256 } from './crypto.js';
import { signHs256, verifyHs256 } from './jws.js';

// HS256 replaced jsonwebtoken 9 on the default token path: tokens already issued must still
// verify, and nothing it refused may pass.
const key = createSecretKey(Buffer.from('AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow', 'base64url'));
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const signed = (header: unknown, payload: unknown) => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${hmacSha256(key, input, 'base64url')}`;
};
const refusal = (token: string) => {
  try {
    verifyHs256(token, key);
  } catch (error) {
    return error instanceof FabricAuthError ? error.failure : error;
  }
  return 'accepted';
};

describe('HS256', () => {
  it('verifies the example of RFC 7515 appendix A.1', () => {
    const token =
      'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    expect(verifyHs256(token, key)).toEqual({ header: { typ: 'JWT', alg: 'HS256' }, payload: { iss: 'joe', exp: 1300819380, 'http://example.com/is_root': true } });
  });

  it('signs with the header jsonwebtoken wrote, and verifies what it signs', () => {
    const token = signHs256(key, { sub: 'a', n: 1 });
    expect(token.split('.')[0]).toBe('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9');
    expect(verifyHs256(token, key).payload).toEqual({ sub: 'a', n: 1 });
  });

  it('accepts header members it does not use, kid included, as jsonwebtoken did (the key is fixed)', () => {
    expect(refusal(signed({ alg: 'HS256', kid: 'other', typ: 'at+jwt' }, { a: 1 }))).toBe('accepted');
  });

  it('refuses another algorithm, none, an empty or re-encoded signature, and a payload that is not an object', () => {
    const token = signed({ alg: 'HS256', typ: 'JWT' }, { a: 1 });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    // 32 bytes are 43 characters, the last one carrying 2 unused bits: the same MAC written otherwise.
    const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const reencoded = signature.slice(0, -1) + last[last.indexOf(signature.at(-1)!) ^ 1];
    expect(Buffer.from(reencoded, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    expect(refusal(`${header}.${payload}.${reencoded}`)).toBe('bad_token');
    expect(refusal(`${header}.${payload}.`)).toBe('bad_token');
    expect(refusal(`${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`)).toBe('bad_token');
    expect(refusal(signed({ alg: 'HS384', typ: 'JWT' }, { a: 1 }))).toBe('bad_token');
    expect(refusal(signed({ alg: 'hs256' }, { a: 1 }))).toBe('bad_token');
    expect(refusal(signed({ alg: 'HS256' }, [1]))).toBe('bad_token');
    expect(refusal(signed({ alg: 'HS256' }, 'text'))).toBe('bad_token');
    expect(refusal(signed('not json', { a: 1 }))).toBe('bad_token');
    expect(refusal(`${token}.x`)).toBe('bad_token');
    expect(refusal(`${header}.${payload}.${signature}=`)).toBe('bad_token');
  });
});
