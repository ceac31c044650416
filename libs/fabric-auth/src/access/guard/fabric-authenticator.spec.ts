import { describe, expect, it } from 'vitest';
import { bearerToken } from './fabric-authenticator.js';

/** What the scheme check was before it dropped its regular expression: the reference. */
function byRegExp(authorization: string): string | undefined {
  const scheme = /^Bearer +/i.exec(authorization);
  if (scheme === null) return undefined;
  const token = authorization.slice(scheme[0].length).replace(/ +$/, '');
  return token === '' || token.includes(' ') ? undefined : token;
}

describe('bearerToken', () => {
  it('reads the token after the scheme in any case, with spaces around it', () => {
    expect(bearerToken('Bearer a.b.c')).toBe('a.b.c');
    expect(bearerToken('bearer a.b.c')).toBe('a.b.c');
    expect(bearerToken('BEARER   a.b.c  ')).toBe('a.b.c');
    expect(bearerToken('bEaReR x')).toBe('x');
  });

  it('refuses other schemes, a missing token, a missing space and a token with a space inside', () => {
    for (const header of ['', 'Bearer', 'Bearer ', 'Bearer    ', 'Bearerx', 'Bearer\ta.b.c', 'Basic YWRtaW46YWRtaW4=', 'Bearer a b', ' Bearer a', 'Beare a']) {
      expect(bearerToken(header), header).toBeUndefined();
    }
  });

  it('matches ASCII letters only: no look-alike, no character one bit away from a letter', () => {
    // U+0392 and U+0412 are capital Greek Beta and Cyrillic Ve; '"' and '\u0002' are a small letter's code less the case bit.
    for (const header of ['\u0392earer t', '\u0412earer t', 'Be\u00c1rer t', '\u0002earer t', 'B"arer t', 'Bearer\u00a0t']) {
      expect(bearerToken(header), header).toBe(byRegExp(header));
      expect(bearerToken(header), header).toBeUndefined();
    }
  });

  it('agrees with the regular expression on random headers made of the characters that matter', () => {
    const alphabet = ['B', 'b', 'e', 'E', 'a', 'A', 'r', 'R', ' ', ' ', 't', '.', '\t', '"', 'Bearer', 'bearer ', '\u0000', '\u00e1'];
    let seed = 15;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20_000; i++) {
      const header = Array.from({ length: Math.floor(next() * 12) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      expect(bearerToken(header), JSON.stringify(header)).toBe(byRegExp(header));
    }
  });
});
