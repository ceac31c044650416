import { createRequire } from 'node:module';
import type * as ThrottlerApi from '@nestjs/throttler';
import { definingFiles } from './package-files.js';

type Api = typeof ThrottlerApi;
const require = createRequire(import.meta.url);

/**
 * @nestjs/throttler's index, imported from ESM, has Node read and lex each of the ~14 files it
 * re-exports (its guard, module and decorators, which the library does not use) for the two
 * values the core needs. As with core/class-validator.ts, each is read from the file that defines
 * it (core/package-files.ts); a release that moved a file falls back to the index.
 */
const pick = definingFiles('@nestjs/throttler/dist', () => require('@nestjs/throttler') as Api);

export const normalizeIp = pick('ip', 'normalizeIp');
export const ThrottlerStorageService = pick('throttler.service', 'ThrottlerStorageService');
