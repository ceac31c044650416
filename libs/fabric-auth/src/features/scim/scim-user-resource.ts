import { isPlainObject } from '../../options/option-field.js';
import { invalidValue, ScimError } from './scim-error.js';
import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA } from './scim-schemas.js';
import type { ScimAttributes, ScimUserEntity } from '../../schema/entities/scim-user.entity.js';

/** What a User resource's body says, checked: the columns and the rest of its attributes. */
export interface UserInput {
  userName: string;
  externalId: string | null;
  displayName: string | null;
  active: boolean;
  emails: string[];
  attributes: ScimAttributes;
}

const MAX_TEXT = 256;
const MAX_VALUES = 10;
const STRINGS = ['nickName', 'profileUrl', 'title', 'userType', 'preferredLanguage', 'locale', 'timezone'] as const;
const NAME_PARTS = ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'] as const;
const ENTERPRISE_STRINGS = ['employeeNumber', 'costCenter', 'organization', 'division', 'department'] as const;
/** Multi-valued attributes kept, each element `{ value, type, primary, display }`. */
export const MULTI_VALUED = ['emails', 'phoneNumbers'] as const;

/** The value under `name`, whatever the case the client wrote it in (RFC 7643 §2.1: attribute names are case-insensitive). */
export function read(object: Record<string, unknown>, name: string): unknown {
  if (name in object) return object[name];
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(object)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

/** A boolean, also as Entra writes it (`"True"`, `"False"`). */
export function booleanOf(value: unknown, at: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalidValue(`${at} must be a boolean`);
}

function text(value: unknown, at: string, max = MAX_TEXT): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw invalidValue(`${at} must be a string`);
  if (value.length > max) throw invalidValue(`${at} is longer than ${max} characters`);
  return value;
}

function multiValued(value: unknown, at: string): Array<Record<string, unknown>> | null {
  if (value === undefined || value === null) return null;
  const list = Array.isArray(value) ? value : [value];
  if (list.length > MAX_VALUES) throw invalidValue(`${at} holds more than ${MAX_VALUES} values`);
  return list.map((element, i) => {
    if (!isPlainObject(element)) throw invalidValue(`${at}[${i}] must be an object`);
    const out: Record<string, unknown> = {};
    const v = text(read(element, 'value'), `${at}[${i}].value`, 320);
    if (v !== null) out.value = v;
    const type = text(read(element, 'type'), `${at}[${i}].type`, 64);
    if (type !== null) out.type = type;
    const display = text(read(element, 'display'), `${at}[${i}].display`);
    if (display !== null) out.display = display;
    const primary = read(element, 'primary');
    if (primary !== undefined && primary !== null) out.primary = booleanOf(primary, `${at}[${i}].primary`);
    return out;
  });
}

/**
 * Checks a User body (POST, PUT, or a resource a PATCH produced) and keeps what this server
 * stores: the core attributes above and the enterprise extension. `id`, `meta`, `groups` and
 * `password` are not taken from a client (passwords are never set through SCIM: accounts sign in
 * through single sign-on or an activation link).
 */
export function readUser(body: unknown): UserInput {
  if (!isPlainObject(body)) throw new ScimError('invalid_request', 'The body must be a JSON object', 'invalidSyntax');
  const userName = text(read(body, 'userName'), 'userName');
  if (userName === null || userName.trim() === '') throw invalidValue('userName is required');
  const attributes: ScimAttributes = {};
  for (const key of STRINGS) {
    const value = text(read(body, key), key);
    if (value !== null) attributes[key] = value;
  }
  const name = read(body, 'name');
  if (name !== undefined && name !== null) {
    if (!isPlainObject(name)) throw invalidValue('name must be an object');
    const parts: Record<string, string> = {};
    for (const part of NAME_PARTS) {
      const value = text(read(name, part), `name.${part}`);
      if (value !== null) parts[part] = value;
    }
    if (Object.keys(parts).length > 0) attributes.name = parts;
  }
  for (const key of MULTI_VALUED) {
    const values = multiValued(read(body, key), key);
    if (values && values.length > 0) attributes[key] = values;
  }
  const enterprise = read(body, ENTERPRISE_USER_SCHEMA);
  if (enterprise !== undefined && enterprise !== null) {
    if (!isPlainObject(enterprise)) throw invalidValue(`${ENTERPRISE_USER_SCHEMA} must be an object`);
    const kept: Record<string, unknown> = {};
    for (const key of ENTERPRISE_STRINGS) {
      const value = text(read(enterprise, key), key);
      if (value !== null) kept[key] = value;
    }
    const manager = read(enterprise, 'manager');
    // Entra sends the manager as its id alone; RFC 7643 as `{ value }`.
    const managerId = isPlainObject(manager) ? text(read(manager, 'value'), 'manager.value') : text(manager, 'manager');
    if (managerId !== null) kept.manager = { value: managerId };
    if (Object.keys(kept).length > 0) attributes.enterprise = kept;
  }
  const active = read(body, 'active');
  const emails = ((attributes.emails as Array<{ value?: string }> | undefined) ?? []).map((e) => e.value?.toLowerCase()).filter((e): e is string => !!e);
  return {
    userName: userName.trim(),
    externalId: text(read(body, 'externalId'), 'externalId'),
    displayName: text(read(body, 'displayName'), 'displayName'),
    active: active === undefined || active === null ? true : booleanOf(active, 'active'),
    emails,
    attributes,
  };
}

/** The email an account is made with: the primary one, else the work one, else the first. */
export function primaryEmail(input: UserInput): string | null {
  const emails = (input.attributes.emails as Array<{ value?: string; type?: string; primary?: boolean }> | undefined) ?? [];
  const chosen = emails.find((e) => e.primary) ?? emails.find((e) => e.type === 'work') ?? emails[0];
  return chosen?.value ?? (/^[^@\s]+@[^@\s]+$/.test(input.userName) ? input.userName : null);
}

/** `\na@x\nb@y\n`: every email, lower-cased, between newlines, for the `emails.value` filters. */
export function emailKeys(emails: readonly string[]): string {
  return emails.length === 0 ? '' : `\n${emails.join('\n')}\n`;
}

/** The resource as RFC 7643 §4.1 shows it. */
export function userResource(row: ScimUserEntity, base: string): Record<string, unknown> {
  const { enterprise, ...core } = row.attributes as Record<string, unknown> & { enterprise?: Record<string, unknown> };
  return {
    schemas: enterprise ? [USER_SCHEMA, ENTERPRISE_USER_SCHEMA] : [USER_SCHEMA],
    id: row.id,
    ...(row.externalId !== null && { externalId: row.externalId }),
    userName: row.userName,
    ...(row.displayName !== null && { displayName: row.displayName }),
    active: row.active,
    ...core,
    ...(enterprise && { [ENTERPRISE_USER_SCHEMA]: enterprise }),
    meta: {
      resourceType: 'User',
      created: row.createdAt.toISOString(),
      lastModified: row.updatedAt.toISOString(),
      location: `${base}/Users/${row.id}`,
      version: `W/"${row.version}"`,
    },
  };
}
