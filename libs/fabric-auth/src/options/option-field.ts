/**
 * The field table behind every options class: each property of `FabricAuthOptions` and of its
 * sections carries one decorator naming its YAML key and its rule, next to its doc comment and its
 * default (the property's initializer, as nestjs-cls's `ClsModuleOptions`). One walker,
 * `readSection`, reads any of these classes; nothing else knows a default.
 */

/** `yaml`: the caller gave the YAML view (problems name YAML keys only); `option`: TypeScript names. */
export type Naming = 'yaml' | 'option';

/** How an environment string becomes a value (`FABRIC_AUTH__…`): mappings also take deeper paths. */
export type ValueKind = 'string' | 'int' | 'bool' | 'list' | 'mapping';

/** Where a value sits and what surrounds it, for rules that need more than the value. */
export interface FieldContext {
  /** YAML path of the value, e.g. `auth.providers.oidc.issuer`; nested problems go under it. */
  at: string;
  naming: Naming;
  /** Every problem found so far; rules reading nested values add theirs under deeper paths. */
  problems: string[];
  /** The section's values read so far (fields above this one in the class). */
  siblings: Record<string, unknown>;
  /** The top-level options read so far. */
  root: Record<string, unknown>;
}

/** What a rule returns when it has reported its problems itself (under deeper paths): the field keeps no value. */
export const INVALID: unique symbol = Symbol('invalid option value');

export interface OptionField {
  /** YAML key: `auth.secret_key` at the top level, `client_id` inside a section. */
  key: string;
  /** Property of the options class. */
  option: string;
  kind: ValueKind;
  /** Returns the value to keep, a `Problem` to report at the field's path, or `INVALID` when it reported its own (nested paths). */
  rule: (value: unknown, context: FieldContext) => unknown;
  /** `true` → "is required"; a string → that problem when absent. */
  required?: boolean | string | ((input: Record<string, unknown>) => boolean);
  /** A default that depends on other values; used when the initializer is not enough. */
  derive?: (context: FieldContext) => unknown;
  /**
   * The class of a nested section and how its keys extend this key: `.` (a section), `.<name>.` (a
   * map of them), `[].` (a list); `variants`: other classes an entry may be read by (by its `type`).
   */
  nested?: { type: new () => object; join: '.' | '.<name>.' | '[].'; variants?: ReadonlyArray<new () => object> };
}

export type FieldOptions = Pick<OptionField, 'required' | 'derive' | 'nested'>;

/** Each options class (its constructor) → its fields, filled by `@Field` as the class is defined. */
const TABLES = new WeakMap<object, OptionField[]>();

/** The field table of an options class, in declaration order. */
export function fieldsOf(section: new () => object): readonly OptionField[] {
  return TABLES.get(section) ?? [];
}

/** Declares a property as an option: its YAML key, how env text reads it, and its rule. */
export function Field(key: string, kind: ValueKind, rule: OptionField['rule'], options: FieldOptions = {}): PropertyDecorator {
  return (prototype, property) => {
    const table = TABLES.get(prototype.constructor) ?? [];
    table.push({ key, option: String(property), kind, rule, ...options });
    TABLES.set(prototype.constructor, table);
  };
}

/** A problem at a field's own path. */
export class Problem {
  constructor(readonly message: string) {}
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface SectionView {
  /** YAML path of the section, e.g. `auth.mfa` or `auth.trusted_issuers[0]`; `''` at the top level, whose keys are full paths. */
  where: string;
  naming: Naming;
  problems: string[];
  /** The top-level values read so far; absent when this is the top level. */
  root?: Record<string, unknown>;
  /** The top level treats `null` (an empty YAML key) as absent; inside a section it is a wrong value. */
  nullIsAbsent?: boolean;
  /** How a field's own problems name it: its path unless the section says otherwise. */
  label?: (field: OptionField) => string;
  /** The problem for a key no field has. */
  unknownKey?: (key: string) => string;
}

/**
 * Reads one section (or the top level) through its field table: unknown keys first, then every
 * field in declaration order: a given value through its rule, a missing one as required, derived or
 * the initializer's default. Returns the values read, fresh copies (a default is never shared).
 */
export function readSection(section: new () => object, input: Record<string, unknown>, view: SectionView): Record<string, unknown> {
  const fields = fieldsOf(section);
  const defaults = new section() as Record<string, unknown>;
  const pathOf = (field: OptionField) => (view.where ? `${view.where}.${field.key}` : field.key);
  const label = view.label ?? pathOf;
  const given = new Map<OptionField, unknown>();
  // Top-level options are always given by their TypeScript names (the YAML view is mapped first).
  const topLevel = view.where === '';
  for (const [key, value] of Object.entries(input)) {
    const field = (topLevel ? undefined : fields.find((f) => f.key === key)) ?? (topLevel || view.naming === 'option' ? fields.find((f) => f.option === key) : undefined);
    if (field) given.set(field, value);
    else view.problems.push(view.unknownKey?.(key) ?? `${view.where}.${key}: unknown key`);
  }
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const context: FieldContext = { at: pathOf(field), naming: view.naming, problems: view.problems, siblings: out, root: view.root ?? out };
    let value = given.get(field);
    if (value === undefined || (value === null && view.nullIsAbsent)) {
      const required = typeof field.required === 'function' ? field.required(input) : field.required;
      if (required) {
        view.problems.push(`${label(field)}: ${typeof required === 'string' ? required : 'is required'}`);
        continue;
      }
      value = field.derive?.(context) ?? defaults[field.option];
      if (value === undefined) continue;
      // A default list or section is read like a given one, so that the defaults inside it apply.
      if (field.kind !== 'list' && field.kind !== 'mapping') {
        out[field.option] = value;
        continue;
      }
    }
    const read = field.rule(value, context);
    if (read instanceof Problem) view.problems.push(`${label(field)}: ${read.message}`);
    else if (read !== INVALID) out[field.option] = read === value ? structuredClone(value) : read;
  }
  return out;
}
