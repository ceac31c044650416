import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { dialectOf } from './dialect.js';
import { columnOf, type ListSection } from './list-request.js';

/**
 * `?q=` as sections (ListRequest.sections): rows whose first property starts with `prefix`, in
 * that property's code point order, then rows where only the second does, in the second's
 * order, and so on. Each section is one range of a prefix index (PostgreSQL's
 * `varchar_pattern_ops` indexes, SQLite's unique indexes) read in index order, so the first
 * page of a prefix that matches a tenth of a million rows reads about a page of index
 * entries. The one page where a later section begins also skips the earlier sections' rows
 * in its range (at most their number). The properties must be unique columns.
 */
export function prefixSections(query: SelectQueryBuilder<ObjectLiteral>, properties: readonly string[], prefix: string): ListSection[] {
  const dialect = dialectOf(query);
  const { ge, lt } = dialect.codePoint;
  const upper = successorOfPrefix(prefix);
  // Every prefix is the same walk of the same index, one plan for all (ListDialect.unplannedText),
  // where the range is the whole condition: with another filter, how many rows the range holds
  // decides between walking it and collecting it (a capped count of a broad prefix among the
  // active users collected the whole range and sorted it, blind to its size).
  const blind = query.expressionMap.wheres.length === 0;
  const low = blind ? dialect.unplannedText(':fabricLow') : ':fabricLow';
  const high = blind ? dialect.unplannedText(':fabricHigh') : ':fabricHigh';
  const range = (property: string) => {
    const c = columnOf(query, property);
    return upper === null ? `${c} ${ge} ${low}` : `(${c} ${ge} ${low} AND ${c} ${lt} ${high})`;
  };
  // A NULL column is not in the range: COALESCE keeps NOT from turning it into NULL.
  return properties.map((property, n) => ({
    name: property,
    property,
    codePoints: true,
    unplanned: blind,
    where: [range(property), ...properties.slice(0, n).map((earlier) => `NOT COALESCE(${range(earlier)}, FALSE)`)].join(' AND '),
    parameters: { fabricLow: prefix, fabricHigh: upper },
  }));
}

/** The smallest string greater than every string that starts with `prefix` (code point order); null if none. */
export function successorOfPrefix(prefix: string): string | null {
  const points = [...prefix];
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return null;
}
