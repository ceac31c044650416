import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * Call inside a `describe`: a fresh, empty directory per call (a new user's clean directory),
 * all under one temporary root removed after the suite.
 */
export function scratchDirectories(prefix: string): () => string {
  let root: string | undefined;
  let n = 0;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });
  return () => {
    if (!root) throw new Error('scratchDirectories: a directory was asked for before the suite started');
    const dir = join(root, `run-${++n}`);
    mkdirSync(dir);
    return dir;
  };
}
