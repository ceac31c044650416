import { createRequire } from 'node:module';
import type * as ThrottlerApi from '@nestjs/throttler';

type Api = typeof ThrottlerApi;
const require = createRequire(import.meta.url);

/**
 * @nestjs/throttler's index, imported from ESM, has Node read and lex each of the ~14 files it
 * re-exports (its guard, module and decorators, which the library does not use) for the two
 * values the core needs. As with core/class-validator.ts, each is read from the file that defines
 * it; a release that moved a file falls back to the index.
 */
function pick<K extends keyof Api>(file: string, name: K): Api[K] {
  try {
    const found = (require(`@nestjs/throttler/dist/${file}.js`) as Partial<Api>)[name];
    if (found) return found;
  } catch {
    // Not at that path in this release: the index has it.
  }
  return (require('@nestjs/throttler') as Api)[name];
}

export const normalizeIp = pick('ip', 'normalizeIp');
export const ThrottlerStorageService = pick('throttler.service', 'ThrottlerStorageService');
