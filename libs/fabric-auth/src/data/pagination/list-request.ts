import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { ListQueryDto } from './list-query.js';
import type { ListDialect } from './dialect.js';

/** How one list is ordered: a column of the query's main alias, then `id` in the same direction. */
export interface ListSort {
  /** Entity property, e.g. `createdAt`. */
  property: string;
  descending: boolean;
  /** The column may be NULL: nulls sort as the largest value (last ascending, first descending). */
  nullable?: boolean;
  /** The column is unique (among non-null values): `id` is not needed to break ties. */
  unique?: boolean;
}

/** What a list page is made of: the list's name and filters bind a cursor to the query that made it. */
export interface ListRequest {
  list: string;
  /** The `sort` parameter as given (or its default): part of what a cursor is bound to. */
  sortName: string;
  sort: ListSort;
  /** Every filter of the request (absent ones undefined); a cursor only serves the same filters. */
  filters: Record<string, string | number | boolean | null | undefined>;
  query: ListQueryDto;
  /**
   * Read these parts one after the other instead of one order over `sort` (which then only
   * names the direction): each part is one index range read in its own unique column's
   * order, so a broad filter costs a page of index entries, whatever it matches. The parts
   * must be disjoint; together they are the list.
   */
  sections?: ListSection[];
  /**
   * A filter made of disjoint index ranges (e.g. prefixSections), with the list in `sort`'s
   * order, which none of those indexes serves: a bounded search (see bounded-search.ts).
   */
  search?: ListSection[];
  /**
   * Alternatives of one filter (`a OR b`): each is read on its own in the sort's order (its
   * own index range) and the reads are merged, instead of one read the planner may serve
   * from the sort's index alone, filtering. Rows matching several are served once. Their
   * parameters share one statement: a name used by several branches must have one value.
   */
  branches?: ListCondition[];
  /**
   * The same rows as the page's query without the joins that only bring columns (a member's
   * user, say), for the count of a plain keyset list, so that counting walks one index. Its
   * parameters must have the page query's names and values.
   */
  countFrom?: SelectQueryBuilder<ObjectLiteral>;
  /**
   * Names each row carries from another table (its roles, say): a scalar subquery on the
   * main alias's row answering a JSON array (ListDialect.jsonArrayOf), read as a column of
   * the statement that reads the page's rows (a keyset, offset, section or search read),
   * instead of a statement of its own after the page. The pager hands them to `map` when it
   * read them; a read of branches leaves `map` to read them itself.
   */
  attach?: string;
  /**
   * A list scoped to one parent whose size varies by orders of magnitude (an organization's
   * members, a user's memberships, an owner's API keys): its first and cursor pages send their
   * LIMIT as a parameter (statement-cache.ts, bound); offset pages run unnamed, as elsewhere.
   * A named statement's generic plan is costed for an average parent: with the page size in
   * the text, a parent of average size below a page made that plan read and sort the parent's
   * every row (bitmap scan + sort), wrong for a large one, so these pages ran unnamed and were
   * planned on every request. With the LIMIT unknown, the planner costs a page as a tenth of
   * the parent's rows and keeps the index walk in order for every parent (EXPLAIN with
   * plan_cache_mode = force_generic_plan); where the average parent is large, that plan looks
   * dearer than the cheap custom plans of first and cursor pages, and PostgreSQL keeps planning
   * each call.
   */
  pagedByParameters?: boolean;
}

/** A condition over the list's main alias (`u.username`-style property paths or escaped columns). */
export interface ListCondition {
  where: string;
  parameters?: Record<string, unknown>;
}

/** One part of a list read in its own order (see ListRequest.sections). */
export interface ListSection extends ListCondition {
  /** Carried in cursors. */
  name: string;
  /** Ordered ascending by this column, which is unique among the section's rows. */
  property: string;
  /** Compare and order by code point (see ListDialect.codePoint). */
  codePoints?: boolean;
  /** Its values, and a cursor's resume key in it, left out of its plan (ListDialect.unplannedText: text values only). */
  unplanned?: boolean;
}

/** Where the previous page ended, as a cursor carries it (see cursor.ts). */
export interface ResumePoint {
  /** sort column of the last row, as the database renders it as text (null: a NULL value) */
  k: string | null;
  /** id of the last row */
  i: string;
  /** section of the last row, for a list read in sections */
  c?: string;
}

/** Rows of a page read (take = limit + 1), their cursor keys; `resume`: a scan stopped there with the page not full. */
export interface PageRead<E> {
  rows: E[];
  keys: (string | null)[];
  sections?: string[];
  resume?: { k: string | null; i: string };
  /** The list's capped count, when the page's statement carried it (INLINE_COUNT) and read a row. */
  counted?: number;
  /** Each row's names (ListRequest.attach), when the page's statement read them. */
  attached?: string[][];
}

/** Column alias of a count a page's own statement carries (CappedCount.inline). */
export const INLINE_COUNT = 'fabric_total';

/** Column alias of the names a page's own statement carries for each row (ListRequest.attach). */
export const ATTACHED = 'fabric_attached';

/** A JSON array of names as the driver hands it over: parsed already (PostgreSQL json), text (SQLite), or NULL for none. */
export function namesOf(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  const names: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (!Array.isArray(names)) throw new Error('attached names are not an array');
  return names.map(String);
}

/** The escaped SQL name of a property of the query's main alias. */
export function columnOf(query: SelectQueryBuilder<ObjectLiteral>, property: string): string {
  const alias = query.expressionMap.mainAlias!;
  const column = alias.metadata.findColumnWithPropertyName(property);
  if (!column) throw new Error(`${alias.metadata.name} has no column ${property}`);
  return `${query.escape(alias.name)}.${query.escape(column.databaseName)}`;
}

/** The parts' filters as one condition (`a OR b OR …`). */
export function anyOf(parts: readonly ListCondition[]): ListCondition {
  return { where: `(${parts.map((p) => `(${p.where})`).join(' OR ')})`, parameters: Object.assign({}, ...parts.map((p) => p.parameters ?? {})) };
}

/** ORDER BY a part's own column, so that a read of it walks that column's index. */
export function orderByPart(query: SelectQueryBuilder<ObjectLiteral>, dialect: ListDialect, part: ListSection): void {
  const column = columnOf(query, part.property);
  if (part.codePoints) dialect.orderByCodePoints(query, column);
  else query.orderBy(column, 'ASC');
}
