import { type ArgumentMetadata, type Type, ValidationPipe } from '@nestjs/common';
import type { ValidationArguments } from 'class-validator';
import type { ClassTransformOptions } from 'class-transformer';
import { DEFAULT_MAX_JSON_DEPTH, exceedsJsonDepth } from './json-depth.js';
import { fabricError } from '../core/fabric-error.js';
import { classTransformerPackage } from '../core/class-transformer.js';
import { classValidatorPackage } from '../core/class-validator.js';

/**
 * Keys that name the prototype chain rather than data: refused rather than silently dropped.
 * Every name `Object.prototype` holds (`hasOwnProperty`, `valueOf`, `__defineGetter__`, …) is one:
 * class-transformer skips them, so they reached no DTO and slipped past the unknown-field refusal.
 */
const namesPrototype = (key: string) => key === 'prototype' || Object.hasOwn(Object.prototype, key);
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
    if (prototypeKeys && namesPrototype(key)) return `${path || name} must not contain the key ${key}`;
    const inner = refusedContent((value as Record<string, unknown>)[key], name, prototypeKeys, path ? `${path}.${key}` : key);
    if (inner) return inner;
  }
  return undefined;
}

type ConstraintMetadata = ReturnType<ReturnType<typeof classValidatorPackage.getMetadataStorage>['getTargetValidatorConstraints']>[number];
type ValidationMetadata = ReturnType<ReturnType<typeof classValidatorPackage.getMetadataStorage>['getTargetValidationMetadatas']>[number];

/** One property of a query DTO: its ValidateIf conditions, then its rules with their validators. */
interface PropertyRules {
  conditions: ((object: object, value: unknown) => unknown)[];
  rules: { metadata: ValidationMetadata; constraints: ConstraintMetadata[] }[];
}

/**
 * A query DTO's rules, read once from class-validator's metadata (decorators run when a class is
 * defined; nothing in the library adds a rule later) and run as its executor runs
 * them, without what its executor does on every call (metadata looked up and grouped, an error
 * object per property, a promise): on every list request that is most of the validation, for
 * a handful of short strings. It only ever accepts: a value it does not pass, or a rule it does
 * not know, goes through the full pipe, which answers exactly as before (messages included).
 * Undefined for a class with anything but ValidateIf and synchronous single-value rules
 * without groups (nested objects, `each`, async validators, @Allow, @IsDefined).
 */
class QueryRules {
  private constructor(private readonly properties: ReadonlyMap<string, PropertyRules>) {}

  static of(metatype: Type): QueryRules | undefined {
    const storage = classValidatorPackage.getMetadataStorage();
    // As the executor asks (ValidationPipe passes no groups, `always` or `strictGroups`); a class's metadata is complete once it is defined.
    const metadatas = storage.getTargetValidationMetadatas(metatype, undefined as unknown as string, false, false, undefined);
    if (metadatas.length === 0) return undefined;
    const properties = new Map<string, PropertyRules>();
    for (const metadata of metadatas) {
      if (metadata.each || metadata.always !== undefined || (metadata.groups?.length ?? 0) > 0) return undefined;
      let property = properties.get(metadata.propertyName);
      if (!property) properties.set(metadata.propertyName, (property = { conditions: [], rules: [] }));
      if (metadata.type === 'conditionalValidation') property.conditions.push(metadata.constraints[0] as PropertyRules['conditions'][number]);
      else if (metadata.type === 'customValidation') {
        const constraints = storage.getTargetValidatorConstraints(metadata.constraintCls);
        if (constraints.some((constraint) => constraint.async)) return undefined;
        property.rules.push({ metadata, constraints });
      } else return undefined;
    }
    return new QueryRules(properties);
  }

  /** Whether the executor would find nothing wrong with `entity` (whitelist with forbidNonWhitelisted included). */
  accepts(entity: Record<string, unknown>): boolean {
    for (const key of Object.keys(entity)) if (!this.properties.has(key)) return false;
    for (const [property, { conditions, rules }] of this.properties) {
      const value = entity[property];
      // Every condition is evaluated, as the executor does.
      let applies = true;
      for (const condition of conditions) applies = Boolean(condition(entity, value)) && applies;
      if (!applies) continue;
      for (const { metadata, constraints } of rules) {
        if (metadata.validateIf && !metadata.validateIf(entity, value)) continue;
        for (const constraint of constraints) {
          const args: ValidationArguments = { targetName: entity.constructor?.name, property, object: entity, value, constraints: metadata.constraints };
          // Anything but `true` (false, a promise, a truthy oddity) is for the full pipe to judge.
          if ((constraint.instance as { validate(value: unknown, args: ValidationArguments): unknown }).validate(value, args) !== true) return false;
        }
      }
    }
    return true;
  }
}

/** Per query DTO class (a fixed set, read at their first request), its rules; null: its queries all go through the full pipe. */
const queryRules = new WeakMap<Type, QueryRules | null>();

const TRANSFORM_OPTIONS: ClassTransformOptions = { enableImplicitConversion: false };

/** A query string as the adapters parse it, each parameter given once: what QueryRules takes, and nothing else. */
function isPlainQuery(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key in value) if (typeof (value as Record<string, unknown>)[key] !== 'string') return false;
  return true;
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
    if (metadata.type === 'query' && metadata.metatype && isPlainQuery(value)) {
      const accepted = this.acceptedQuery(value, metadata.metatype);
      if (accepted) return accepted;
    }
    return super.transform(value, metadata);
  }

  /** The query's DTO, as the full pipe would answer it, when QueryRules find nothing wrong; else undefined (the full pipe decides). */
  private acceptedQuery(value: Record<string, string>, metatype: Type): object | undefined {
    let rules = queryRules.get(metatype);
    if (rules === undefined) queryRules.set(metatype, (rules = QueryRules.of(metatype) ?? null));
    if (!rules) return undefined;
    // As the full pipe transforms it, so the DTO is the one it would hand over (Transform decorators applied).
    const entity = classTransformerPackage.plainToInstance(metatype, value, TRANSFORM_OPTIONS) as Record<string, unknown>;
    return rules.accepts(entity) ? entity : undefined;
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
    transformOptions: TRANSFORM_OPTIONS,
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
