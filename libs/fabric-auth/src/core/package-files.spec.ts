import { createRequire } from 'node:module';
import type * as ClassValidator from 'class-validator';
import { describe, expect, it } from 'vitest';
import { definingFiles } from './package-files.js';

type Api = typeof ClassValidator;
const require = createRequire(import.meta.url);

describe('definingFiles', () => {
  /** class-validator's index, and how many times the reader under test asked for it. */
  function countedIndex() {
    const calls = { count: 0 };
    const index = () => {
      calls.count += 1;
      return require('class-validator') as Api;
    };
    return { calls, index };
  }

  it("reads an export from its defining file, without the index, as the index's own instance", () => {
    const { calls, index } = countedIndex();
    const pick = definingFiles('class-validator/cjs', index);
    expect(pick('decorator/common/IsIn', 'IsIn')).toBe((require('class-validator') as Api).IsIn);
    expect(calls.count).toBe(0);
  });

  it('falls back to the index when the file is not where it was (a release that moved it)', () => {
    const { calls, index } = countedIndex();
    const pick = definingFiles('class-validator/cjs', index);
    expect(pick('decorator/common/MovedAway', 'IsIn')).toBe((require('class-validator') as Api).IsIn);
    expect(calls.count).toBe(1);
  });

  it('falls back to the index when the file no longer defines the export', () => {
    const { calls, index } = countedIndex();
    const pick = definingFiles('class-validator/cjs', index);
    expect(pick('decorator/common/IsIn', 'Matches')).toBe((require('class-validator') as Api).Matches);
    expect(calls.count).toBe(1);
  });
});
