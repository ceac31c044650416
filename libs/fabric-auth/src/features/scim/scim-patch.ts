import { isPlainObject } from '../../options/option-field.js';
import { invalidValue, ScimError } from './scim-error.js';
import { type Filter, matchesElement, parseFilter } from './scim-filter.js';
import { read } from './scim-user-resource.js';
import { PATCH_OP_SCHEMA } from './scim-schemas.js';

/** Operations in one PATCH at most. Entra sends a handful; group membership comes in chunks of a few hundred members (values), not operations. */
export const MAX_PATCH_OPERATIONS = 100;

export type PatchOpName = 'add' | 'replace' | 'remove';

export interface PatchOperation {
  op: PatchOpName;
  path: string | undefined;
  value: unknown;
}

/** A parsed PATCH path: `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`, under an optional schema URN. */
export interface PatchPath {
  /** The extension's URN when the path names one of its attributes (or the whole extension: `attribute` empty). */
  extension: string | null;
  attribute: string;
  filter: Filter | null;
  sub: string | null;
}

const PATH = /^([a-z][a-z0-9_-]*)(?:\[(.+)\])?(?:\.([a-z][a-z0-9_-]*))?$/i;

/** Checks the PatchOp body (RFC 7644 §3.5.2), accepting Entra's capitalised `op`s. */
export function readPatch(body: unknown): PatchOperation[] {
  if (!isPlainObject(body)) throw new ScimError('invalid_request', 'The body must be a JSON object', 'invalidSyntax');
  const schemas = read(body, 'schemas');
  if (Array.isArray(schemas) && !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_OP_SCHEMA.toLowerCase())) {
    throw new ScimError('invalid_request', `schemas must name ${PATCH_OP_SCHEMA}`, 'invalidSyntax');
  }
  const operations = read(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) throw new ScimError('invalid_request', 'Operations must be a non-empty list', 'invalidSyntax');
  if (operations.length > MAX_PATCH_OPERATIONS) throw new ScimError('invalid_request', `at most ${MAX_PATCH_OPERATIONS} operations`, 'tooMany');
  return operations.map((operation, i) => {
    if (!isPlainObject(operation)) throw new ScimError('invalid_request', `Operations[${i}] must be an object`, 'invalidSyntax');
    const op = String(read(operation, 'op') ?? '').toLowerCase();
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw new ScimError('invalid_request', `Operations[${i}].op must be add, replace or remove`, 'invalidSyntax');
    const path = read(operation, 'path');
    if (path !== undefined && path !== null && (typeof path !== 'string' || path.length > 500))
      throw new ScimError('invalid_request', `Operations[${i}].path must be a string`, 'invalidPath');
    return { op, path: typeof path === 'string' && path !== '' ? path : undefined, value: read(operation, 'value') };
  });
}

export function parsePath(path: string, extensions: readonly string[], coreSchema: string): PatchPath {
  let rest = path.trim();
  let extension: string | null = null;
  const lower = rest.toLowerCase();
  for (const urn of extensions) {
    if (lower === urn.toLowerCase()) return { extension: urn, attribute: '', filter: null, sub: null };
    if (lower.startsWith(`${urn.toLowerCase()}:`)) {
      extension = urn;
      rest = rest.slice(urn.length + 1);
    }
  }
  if (extension === null && lower.startsWith(`${coreSchema.toLowerCase()}:`)) rest = rest.slice(coreSchema.length + 1);
  const match = PATH.exec(rest);
  if (!match) throw new ScimError('invalid_request', `unsupported path "${path}"`, 'invalidPath');
  let filter: Filter | null = null;
  if (match[2] !== undefined) {
    try {
      filter = parseFilter(match[2]);
    } catch {
      throw new ScimError('invalid_request', `bad filter in path "${path}"`, 'invalidPath');
    }
  }
  return { extension, attribute: match[1], filter, sub: match[3] ?? null };
}

/** The key `name` is stored under in `object` (any case), or `name` itself when absent. */
function keyOf(object: Record<string, unknown>, name: string): string {
  const lower = name.toLowerCase();
  return Object.keys(object).find((k) => k.toLowerCase() === lower) ?? name;
}

/** The element a filter like `type eq "work"` describes, for an add or replace that matched none (what Entra expects). */
function elementFrom(filter: Filter): Record<string, unknown> {
  if (filter.kind === 'compare' && filter.op === 'eq') return { [filter.attribute]: filter.value };
  if (filter.kind === 'and') return { ...elementFrom(filter.left), ...elementFrom(filter.right) };
  throw new ScimError('invalid_request', 'no value matches the path filter', 'noTarget');
}

/**
 * Applies one operation to a resource document (the resource as a client reads it, without
 * `meta`), in place. The result is checked again as a whole afterwards (`readUser`/`readGroup`),
 * so an operation can produce nothing a PUT could not.
 */
export function applyOperation(document: Record<string, unknown>, operation: PatchOperation, resolve: (path: string) => PatchPath, multiValued: readonly string[]): void {
  const path = operation.path === undefined ? null : resolve(operation.path);
  if (path === null) {
    if (operation.op === 'remove') throw new ScimError('invalid_request', 'remove needs a path', 'noTarget');
    if (!isPlainObject(operation.value)) throw invalidValue('an operation without a path takes an object value');
    // Okta and Entra send `{"op":"replace","value":{"active":false}}`; keys may be paths themselves.
    for (const [key, value] of Object.entries(operation.value)) applyOperation(document, { op: operation.op, path: key, value }, resolve, multiValued);
    return;
  }
  let container = document;
  if (path.extension !== null) {
    const key = keyOf(document, path.extension);
    if (path.attribute === '') {
      if (operation.op === 'remove') delete document[key];
      else document[key] = isPlainObject(operation.value) && isPlainObject(document[key]) ? { ...document[key], ...operation.value } : operation.value;
      return;
    }
    if (!isPlainObject(document[key])) document[key] = {};
    container = document[key] as Record<string, unknown>;
  }
  const key = keyOf(container, path.attribute);
  const isMulti = multiValued.some((m) => m.toLowerCase() === path.attribute.toLowerCase());
  const current = container[key];
  if (path.filter !== null) {
    if (!isMulti) throw new ScimError('invalid_request', `${path.attribute} is not multi-valued`, 'invalidPath');
    const list = Array.isArray(current) ? [...(current as unknown[])] : [];
    const matching = list.filter((element) => matchesElement(element, path.filter!));
    if (operation.op === 'remove') {
      container[key] =
        path.sub === null
          ? list.filter((element) => !matching.includes(element))
          : list.map((element) => (matching.includes(element) ? omit(element as Record<string, unknown>, path.sub!) : element));
      return;
    }
    if (matching.length === 0) {
      const created = { ...elementFrom(path.filter), ...(path.sub === null ? (isPlainObject(operation.value) ? operation.value : {}) : { [path.sub]: operation.value }) };
      container[key] = [...list, created];
      return;
    }
    container[key] = list.map((element) => {
      if (!matching.includes(element)) return element;
      if (path.sub !== null) return { ...(element as Record<string, unknown>), [keyOf(element as Record<string, unknown>, path.sub)]: operation.value };
      return isPlainObject(operation.value) ? { ...(element as Record<string, unknown>), ...operation.value } : operation.value;
    });
    return;
  }
  if (path.sub !== null) {
    if (isMulti) {
      // `emails.value` without a filter: every element (RFC 7644 §3.5.2.3), one made when there is none.
      const list = Array.isArray(current) && current.length > 0 ? (current as Array<Record<string, unknown>>) : [{}];
      container[key] = operation.op === 'remove' ? list.map((e) => omit(e, path.sub!)) : list.map((e) => ({ ...e, [keyOf(e, path.sub!)]: operation.value }));
      return;
    }
    const object = isPlainObject(current) ? { ...current } : {};
    if (operation.op === 'remove') delete object[keyOf(object, path.sub)];
    else object[keyOf(object, path.sub)] = operation.value;
    container[key] = object;
    return;
  }
  if (operation.op === 'remove') {
    delete container[key];
    return;
  }
  if (isMulti && operation.op === 'add') {
    const added = Array.isArray(operation.value) ? operation.value : [operation.value];
    container[key] = [...(Array.isArray(current) ? current : []), ...added];
    return;
  }
  container[key] = isPlainObject(operation.value) && isPlainObject(current) && operation.op === 'add' ? { ...current, ...operation.value } : operation.value;
}

function omit(element: Record<string, unknown>, sub: string): Record<string, unknown> {
  const copy = { ...element };
  delete copy[keyOf(copy, sub)];
  return copy;
}
