/** The shape of the ids the library mints (`randomUUID()`), upper or lower case. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` can be one of our ids: checked before a lookup, so a malformed id never reaches the database. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
