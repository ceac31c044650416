import { type ArgumentMetadata, BadRequestException, ValidationPipe } from '@nestjs/common';
import { DEFAULT_MAX_JSON_DEPTH, exceedsJsonDepth } from '../http/json-depth.js';

/** Keys that name the prototype chain rather than data: refused rather than silently dropped. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** What no field may hold: NUL (PostgreSQL refuses it in text) or a prototype key. */
function refusedContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? 'must not contain NUL characters' : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const key of Object.keys(value)) {
    if (key.includes('\u0000')) return 'must not contain NUL characters';
    if (PROTOTYPE_KEYS.has(key)) return `must not contain the key ${key}`;
    const inner = refusedContent((value as Record<string, unknown>)[key]);
    if (inner) return inner;
  }
  return undefined;
}

/**
 * Refuses, with a 400 and before class-transformer sees the value: nesting deeper than
 * DEFAULT_MAX_JSON_DEPTH (whatever body limits the host app set up), NUL and prototype keys
 * (instead of a failed query or a silent drop).
 */
class FabricValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (exceedsJsonDepth(value)) throw new BadRequestException(`body must not be nested deeper than ${DEFAULT_MAX_JSON_DEPTH} levels`);
    const problem = refusedContent(value);
    if (problem) throw new BadRequestException(`${metadata.type} ${problem}`);
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
    exceptionFactory: (errors) => {
      const messages = errors.flatMap((error) => {
        const constraints = Object.values(error.constraints ?? {});
        const nested = (error.children ?? []).flatMap((child) => Object.values(child.constraints ?? {}).map((m) => `${error.property}.${m}`));
        return constraints.length > 0 || nested.length > 0 ? [...constraints, ...nested] : [`${error.property} is invalid`];
      });
      return new BadRequestException(messages);
    },
  });
}
