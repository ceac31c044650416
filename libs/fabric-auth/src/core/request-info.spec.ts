import { describe, expect, it } from 'vitest';
import { cookieValue, parseCookies } from './request-info.js';

const read = (header: string | undefined, name: string) => cookieValue({ headers: { cookie: header } }, name);

describe('cookieValue', () => {
  it('reads one cookie as parseCookies reads the whole header', () => {
    const headers = [
      'access_token=a.b.c; refresh_token=r; csrf_token=x',
      '  access_token = a.b.c ;csrf_token=x',
      'access_token="quoted"',
      'access_token=%7Bjson%7D',
      'access_token=%E0%A4%A',
      'access_token=; csrf_token=',
      'access_token',
      ';;;access_token=v;;',
      'access_token=one; access_token=two',
      'access_token=same; access_token=same',
      'access_token=one; access_token=two; access_token=one',
      'xaccess_token=v; access_tokenx=w',
      'a=b=c; access_token=d=e',
      '=v; access_token=ok',
      'no-equals; other; access_token=late',
      'csrf_token=x; access_token=',
      '',
    ];
    for (const header of headers) {
      for (const name of ['access_token', 'csrf_token', 'a']) {
        expect(read(header, name), `${name} in "${header}"`).toBe(parseCookies(header).get(name));
      }
    }
    expect(read(undefined, 'access_token')).toBeUndefined();
  });

  it('agrees with parseCookies on random headers made of the characters that matter', () => {
    const alphabet = ['a', 'b', '=', ';', ' ', '"', '%', '4', '1', 'access_token', 'csrf_token', '\t'];
    let seed = 19;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 5_000; i++) {
      const header = Array.from({ length: Math.floor(next() * 24) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      for (const name of ['access_token', 'csrf_token', 'a']) {
        expect(read(header, name), `${name} in "${header}"`).toBe(parseCookies(header).get(name));
      }
    }
  });

  it('trims names as String.prototype.trim does, whatever the whitespace', () => {
    const spaces = [' ', '\t', '\n', '\v', '\f', '\r', '\u00a0', '\u0085', '\u1680', '\u2000', '\u200a', '\u200b', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff'];
    for (const space of spaces) {
      for (const header of [`${space}access_token=v`, `access_token${space}=v`, `x=1;${space}access_token${space}${space}=v`, `${space}${space}access_token=v; refresh_token=r`]) {
        expect(read(header, 'access_token'), JSON.stringify(header)).toBe(parseCookies(header).get('access_token'));
      }
    }
  });

  it('reads the first header of a repeated Cookie header, as parseCookies callers do', () => {
    expect(cookieValue({ headers: { cookie: ['access_token=first', 'access_token=second'] } }, 'access_token')).toBe('first');
  });
});
