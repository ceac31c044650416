import { describe, expect, it } from 'vitest';
import { exceedsJsonDepth, jsonBodyProblem } from './json-depth.js';

function nested(depth: number): unknown {
  return JSON.parse('['.repeat(depth) + ']'.repeat(depth));
}

describe('JSON body checks', () => {
  it('counts a top-level object or array as depth 1', () => {
    expect(exceedsJsonDepth({}, 1)).toBe(false);
    expect(exceedsJsonDepth({ a: {} }, 1)).toBe(true);
    expect(exceedsJsonDepth([[], [[]]], 3)).toBe(false);
    expect(exceedsJsonDepth([[], [[]]], 2)).toBe(true);
    expect(exceedsJsonDepth('text', 0)).toBe(false);
    expect(exceedsJsonDepth(null, 0)).toBe(false);
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    expect(exceedsJsonDepth(nested(100_000), 32)).toBe(true);
    expect(exceedsJsonDepth(nested(32), 32)).toBe(false);
  });

  it('finds a __proto__ key at any depth', () => {
    expect(jsonBodyProblem(JSON.parse('{"a":[{"__proto__":{"x":1}}]}'), 32)).toBe('body must not contain the key __proto__');
    expect(jsonBodyProblem({ constructor: 'ok' }, 32)).toBeUndefined();
  });
});
