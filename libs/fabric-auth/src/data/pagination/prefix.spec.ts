import { describe, expect, it } from 'vitest';
import { successorOfPrefix } from './prefix.js';

describe('successorOfPrefix', () => {
  it('is the prefix with its last code point raised by one', () => {
    expect(successorOfPrefix('bench1')).toBe('bench2');
    expect(successorOfPrefix('a😀')).toBe('a😁');
  });

  it('skips the surrogate range and drops code points that cannot be raised', () => {
    expect(successorOfPrefix('a\ud7ff')).toBe('a\ue000');
    expect(successorOfPrefix('ab\u{10ffff}')).toBe('ac');
    expect(successorOfPrefix('\u{10ffff}')).toBeNull();
    expect(successorOfPrefix('')).toBeNull();
  });
});
