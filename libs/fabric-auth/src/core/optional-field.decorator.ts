import { ValidateIf } from './class-validator.js';

/**
 * Optional, but not nullable: `IsOptional()` also waves `null` through, which reaches the
 * services as a value nobody meant (a null email, roles wiped). Absent skips validation;
 * `null` is validated, and refused, like any other wrong value.
 */
export const OptionalField = () => ValidateIf((_object: object, value: unknown) => value !== undefined);
