/**
 * The one spelling of the ids the library mints (`randomUUID()`): lower-case hex with hyphens.
 * PostgreSQL's `uuid` type also reads upper case, braces and hyphen-less forms as the same
 * value, and SQLite compares text exactly, so any other spelling is refused before it reaches
 * a query or a cache key: one string names one row on both databases (SEC-109).
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `value` is one of our ids in its canonical spelling: checked before every lookup by an id from outside. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
