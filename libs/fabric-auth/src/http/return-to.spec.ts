import { describe, expect, it } from 'vitest';
import { safeReturnPath } from './return-to.js';

describe('safeReturnPath (SEC-70)', () => {
  it.each([
    'https://evil.example',
    '//evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    'https://app.example.com.evil.example',
    'https:evil.example',
    'javascript:alert(1)',
    '%2F%2Fevil.example',
    '/%2F/evil.example',
    '/%5Cevil.example',
    '/%09/evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    'http://[',
    '/%E0%A4%A',
    'evil.example',
    '',
    `/${'a'.repeat(3000)}`,
    // Dot segments that the URL parser collapses into `//host` (SEC-90).
    '/.//evil.example/',
    '/x/..//evil.example/',
    '/%2e//evil.example/',
    '/%2E%2E//evil.example/',
    '/.%2e//evil.example/',
    '/%2e%2E//evil.example/x?y#z',
    '/a/b/../..//evil.example',
    '/a/%2e%2e/%2E%2E//evil.example',
    '/././/evil.example',
    '/x/.././/evil.example',
    '/./%2F/evil.example',
    '/x/../%5Cevil.example',
  ])('%j falls back to /', (value) => {
    expect(safeReturnPath(value)).toBe('/');
  });

  it.each([undefined, null, 42, ['/a', '/b'], { path: '/a' }])('a non-string (%j) falls back to /', (value) => {
    expect(safeReturnPath(value)).toBe('/');
  });

  it.each([
    ['/', '/'],
    ['/reports?q=1#top', '/reports?q=1#top'],
    ['/a/../b', '/b'],
    ['/café', '/caf%C3%A9'],
    ['/search?next=https://evil.example', '/search?next=https://evil.example'],
  ])('%j stays on this origin as %j', (value, expected) => {
    expect(safeReturnPath(value)).toBe(expected);
  });
});
