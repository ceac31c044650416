import { createRequire } from 'node:module';
import type * as ClassValidator from 'class-validator';
import { definingFiles } from './package-files.js';

type Api = typeof ClassValidator;
const require = createRequire(import.meta.url);

/**
 * class-validator's index loads every decorator it has, with the whole of validator.js and
 * libphonenumber-js: ~110 ms of CPU and ~11 MiB at startup, for the 17 decorators the library
 * uses (~27 ms, ~7 MiB from their own files). Each export below is read from the file that
 * defines it, the same module instance the index re-exports (so an app importing the index
 * shares one metadata storage with us); a release that moved a file falls back to the index.
 */
const pick = definingFiles('class-validator/cjs', () => require('class-validator') as Api);

export const ArrayMaxSize = pick('decorator/array/ArrayMaxSize', 'ArrayMaxSize');
export const ArrayMinSize = pick('decorator/array/ArrayMinSize', 'ArrayMinSize');
export const IsArray = pick('decorator/typechecker/IsArray', 'IsArray');
export const IsBoolean = pick('decorator/typechecker/IsBoolean', 'IsBoolean');
export const IsEmail = pick('decorator/string/IsEmail', 'IsEmail');
export const IsIn = pick('decorator/common/IsIn', 'IsIn');
export const IsInt = pick('decorator/typechecker/IsInt', 'IsInt');
export const IsObject = pick('decorator/typechecker/IsObject', 'IsObject');
export const IsString = pick('decorator/typechecker/IsString', 'IsString');
export const Matches = pick('decorator/string/Matches', 'Matches');
export const Max = pick('decorator/number/Max', 'Max');
export const MaxLength = pick('decorator/string/MaxLength', 'MaxLength');
export const Min = pick('decorator/number/Min', 'Min');
export const MinLength = pick('decorator/string/MinLength', 'MinLength');
export const ValidateBy = pick('decorator/common/ValidateBy', 'ValidateBy');
export const ValidateIf = pick('decorator/common/ValidateIf', 'ValidateIf');
export const ValidateNested = pick('decorator/common/ValidateNested', 'ValidateNested');

const getFromContainer = pick('container', 'getFromContainer');
const Validator = pick('validation/Validator', 'Validator');

/**
 * What Nest's ValidationPipe calls of class-validator (its `validatorPackage` option), without
 * the index: `validate` as the index defines it, and the metadata storage.
 */
export const classValidatorPackage = {
  validate: (object: object, options?: ClassValidator.ValidatorOptions): Promise<ClassValidator.ValidationError[]> => getFromContainer(Validator).validate(object, options),
  getMetadataStorage: pick('metadata/MetadataStorage', 'getMetadataStorage'),
};
