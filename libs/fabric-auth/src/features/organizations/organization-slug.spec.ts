import { describe, expect, it } from 'vitest';
import { normalizeSlug, slugKey } from './organization-slug.js';

describe('organization slugs', () => {
  it('are stored lower case after NFKC', () => {
    expect(normalizeSlug('Acme-42')).toBe('acme-42');
    expect(normalizeSlug('ａｃｍｅ')).toBe('acme');
    expect(normalizeSlug('ab')).toBe('ab');
    expect(normalizeSlug('a'.repeat(63))).toBe('a'.repeat(63));
  });

  it('refuse what is not 2–63 of a-z0-9- between letters or digits, and ids', () => {
    for (const bad of ['a', 'a'.repeat(64), '-acme', 'acme-', 'ac me', 'acme_co', 'аcme', 'ac\u200bme', 'acme\u202e', '', 'acme.io', '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17']) {
      expect(normalizeSlug(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('share a key when they differ only by look-alike characters', () => {
    expect(slugKey('acme')).toBe(slugKey('acrne'));
    expect(slugKey('g00gle')).toBe(slugKey('google'));
    expect(slugKey('paypa1')).toBe(slugKey('paypal'));
    expect(slugKey('vvidget')).toBe(slugKey('widget'));
    expect(slugKey('c1oud')).toBe(slugKey('doud'));
    expect(slugKey('a--b')).toBe(slugKey('a-b'));
    expect(slugKey('acme')).not.toBe(slugKey('acne'));
  });
});
