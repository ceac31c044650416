import { fabricError } from './fabric-error.js';
import { applyDecorators } from '@nestjs/common';
import { Transform } from './class-transformer.js';
import { IsEmail, IsInt, IsString, Max, Min, ValidateBy } from './class-validator.js';

/**
 * The field rules every DTO shares, so that one rule lives in one place (SEC-82, SEC-83,
 * SEC-91). Apply them instead of class-validator's `MaxLength`, `IsEmail` or `Type(() => Number)`.
 */

/**
 * Length as the databases count it: Unicode code points, which is what PostgreSQL's
 * `varchar(n)` and SQLite's `length()` measure. class-validator's `MaxLength` skips
 * variation selectors, so 200 × "a\uFE0F" passed a 200 limit and was 400 characters stored.
 */
export function storedLength(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/**
 * Characters that render as nothing or reorder text: format (Cf, e.g. U+200B, U+202E, U+FEFF,
 * U+00AD), control, separators, lone surrogates, and every other Default_Ignorable_Code_Point —
 * variation selectors (U+FE00–FE0F, U+E0100–E01EF), tag characters (U+E0000–E007F), Hangul
 * fillers, the combining grapheme joiner — which NFKC keeps, so `victim\uFE0F@example.com`
 * would otherwise be a second account that reads as the first (SEC-83, SEC-108).
 */
export const INVISIBLE_CHARACTERS = /[\p{Cf}\p{Cc}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]/u;

const toNfc = () => Transform(({ value }) => (typeof value === 'string' ? value.normalize('NFC') : value));

/** Whitespace at either end; unlike `trim()`, U+FEFF stays, to be refused as invisible. */
const OUTER_WHITESPACE = /^[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/** NFKC, trimmed, lower case: how usernames and emails are compared and stored. */
export const IdentityNormalized = () => Transform(({ value }) => (typeof value === 'string' ? value.normalize('NFKC').replace(OUTER_WHITESPACE, '').toLowerCase() : value));

/** At most `max` code points (the value is validated as it will be stored). */
export function MaxStoredLength(max: number) {
  return ValidateBy({
    name: 'maxStoredLength',
    constraints: [max],
    validator: {
      validate: (value: unknown) => typeof value === 'string' && storedLength(value) <= max,
      defaultMessage: (args) => `${args?.property} must be at most ${max} characters`,
    },
  });
}

/** A free text stored as is: a string, NFC-normalised, at most `max` code points. */
export const StoredText = (max: number) => applyDecorators(toNfc(), IsString(), MaxStoredLength(max));

/** Refuses invisible, default-ignorable and bidirectional characters (SEC-83, SEC-108). */
export function NoInvisibleCharacters() {
  return ValidateBy({
    name: 'noInvisibleCharacters',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && !INVISIBLE_CHARACTERS.test(value),
      defaultMessage: (args) => `${args?.property} must not contain invisible, default-ignorable, control or bidirectional characters`,
    },
  });
}

/** A name people read (a full name, a key's name): stored text without invisible or bidirectional characters. */
export const DisplayName = (max: number) => applyDecorators(StoredText(max), NoInvisibleCharacters());

/** An email identifying an account: normalised like usernames, ≤ 320 code points, nothing invisible in the local part or the domain. */
export const IdentityEmail = () =>
  applyDecorators(
    IdentityNormalized(),
    IsString(),
    MaxStoredLength(320),
    NoInvisibleCharacters(),
    IsEmail({}, { message: ({ property }) => `${property} must be an email address` }),
  );

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

/**
 * An integer between `min` and `max`. In a JSON body only a JSON integer passes: `true`,
 * `"16"`, `"0x10"`, `1.5` and `1e3`-as-a-string are refused instead of coerced. A query
 * string carries text, so there plain decimal digits are read as a number and nothing else.
 */
export function IntegerField(min: number, max: number, { inQuery = false }: { inQuery?: boolean } = {}) {
  const fromQuery = Transform(({ value }) => (typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value));
  return applyDecorators(...(inQuery ? [fromQuery] : []), IsInt({ message: ({ property }) => `${property} must be an integer` }), Min(min), Max(max));
}

/** The date and date-time forms `Date` parses the same everywhere (the audit filters); week dates and basic format are refused. */
export const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** A query's date filter that passed `ISO_DATE_TIME`, as a `Date`; one that names no real day is a 400. */
export function parsedDate(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw fabricError('invalid_request', `${name} is not a valid date`);
  return date;
}
