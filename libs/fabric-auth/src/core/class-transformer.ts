import { createRequire } from 'node:module';
import type { TransformerPackage } from '@nestjs/common/interfaces/external/transformer-package.interface.js';
import type { Type as Class } from '@nestjs/common';
import type * as ClassTransformerApi from 'class-transformer';
import type { ClassConstructor, ClassTransformOptions } from 'class-transformer';
import { definingFiles } from './package-files.js';

type Api = typeof ClassTransformerApi;
const require = createRequire(import.meta.url);

/**
 * class-transformer's index, imported from ESM, has Node read and lex every file it re-exports
 * (cjs-module-lexer) before any runs: ~10 ms of CPU at startup, for two decorators and the two
 * functions Nest's ValidationPipe calls. As with core/class-validator.ts, each is read from the
 * file that defines it (the module instance the index re-exports, so one metadata storage is
 * shared with an app's own DTOs); a release that moved a file falls back to the index.
 */
const pick = definingFiles('class-transformer/cjs', () => require('class-transformer') as Api);

export const Transform = pick('decorators/transform.decorator', 'Transform');
export const Type = pick('decorators/type.decorator', 'Type');

const transformer = new (pick('ClassTransformer', 'ClassTransformer'))();

/** What Nest's ValidationPipe calls of class-transformer (its `transformerPackage` option), as the index defines them. */
export const classTransformerPackage: TransformerPackage = {
  plainToInstance: <T>(cls: Class<T>, plain: unknown, options?: ClassTransformOptions) =>
    transformer.plainToInstance(cls as ClassConstructor<object>, plain as object, options) as T | T[],
  classToPlain: (object, options) => transformer.instanceToPlain(object as object, options),
};
