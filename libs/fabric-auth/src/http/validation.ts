import { type ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { DEFAULT_MAX_JSON_DEPTH, exceedsJsonDepth } from './json-depth.js';
import { fabricError } from '../core/fabric-error.js';
import { classTransformerPackage } from '../core/class-transformer.js';
import { classValidatorPackage } from '../core/class-validator.js';

/** Keys that name the prototype chain rather than data: refused rather than silently dropped. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * What no text from a client may hold (SEC-116): NUL, which PostgreSQL refuses in text, and a
 * lone surrogate, which is no character at all (UTF-8 cannot encode it; the driver would store
 * U+FFFD instead of what was sent).
 */
export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain control characters';
  if (LONE_SURROGATE.test(value)) return 'must not contain lone surrogates';
  return undefined;
}

/**
 * What no field, key or value, may hold: text refused by `textProblem`, or a prototype key;
 * the message names the field (`name` for the value itself, `a.b` for one inside it).
 */
export function refusedContent(value: unknown, name: string, prototypeKeys = true, path = ''): string | undefined {
  if (typeof value === 'string') {
    const problem = textProblem(value);
    return problem && `${path || name} ${problem}`;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const key of Object.keys(value)) {
    const inKey = textProblem(key);
    if (inKey) return `${path || name} keys ${inKey}`;
    if (prototypeKeys && PROTOTYPE_KEYS.has(key)) return `${path || name} must not contain the key ${key}`;
    const inner = refusedContent((value as Record<string, unknown>)[key], name, prototypeKeys, path ? `${path}.${key}` : key);
    if (inner) return inner;
  }
  return undefined;
}

/**
 * Refuses, with a 400 and before class-transformer sees the value: nesting deeper than
 * DEFAULT_MAX_JSON_DEPTH (whatever body limits the host app set up), NUL, lone surrogates and
 * prototype keys (instead of a failed query, a silently altered value or a silent drop).
 */
class FabricValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (exceedsJsonDepth(value)) throw fabricError('invalid_request', `body must not be nested deeper than ${DEFAULT_MAX_JSON_DEPTH} levels`);
    const problem = refusedContent(value, metadata.data ?? metadata.type);
    if (problem) throw fabricError('invalid_request', problem);
    return super.transform(value, metadata);
  }
}

/**
 * The library's own pipe, applied on its controllers whatever the host app configured:
 * unknown fields are refused (no mass assignment), types are exact, messages name fields.
 */
export function fabricValidationPipe(): ValidationPipe {
  return new FabricValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    validatorPackage: classValidatorPackage,
    transformerPackage: classTransformerPackage,
    exceptionFactory: (errors) => {
      const messages = errors.flatMap((error) => {
        const constraints = Object.values(error.constraints ?? {});
        const nested = (error.children ?? []).flatMap((child) => Object.values(child.constraints ?? {}).map((m) => `${error.property}.${m}`));
        return constraints.length > 0 || nested.length > 0 ? [...constraints, ...nested] : [`${error.property} is invalid`];
      });
      return fabricError('invalid_request', messages);
    },
  });
}
