import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { dialectOf, type ListDialect } from './dialect.js';
import { leanMapper, type RowMapper } from './lean-rows.js';
import { around, bound, type Sql, sqlAndParameters, statementOf } from './statement-cache.js';
import { ATTACHED, columnOf, INLINE_COUNT, namesOf, type ListCondition, type ListSection, type ListSort, orderByPart, type PageRead, type ResumePoint } from './list-request.js';
import { fabricError } from '../../core/fabric-error.js';
import { readStatement } from '../named-statements.js';

/** Column alias of a row's sort key as the database writes it (see readWithKeys). */
const CURSOR_KEY = 'fabric_cursor_key';

/**
 * Keyset walks: a page is read in index order from just after the last row of the previous
 * one (`(sort column, id) > (k, i)`), so a deep page costs what the first does, and rows
 * inserted or deleted between two reads neither repeat nor skip rows that were there all
 * along. `offset` pages still work (they walk the skipped rows).
 */

/** A nullable sort column is walked as two parts, each in index order: `(a, id) > (k, i)` is never true for a NULL `a`. */
export type SortPart = 'values' | 'nulls';

/** The parts of `sort` in reading order, from the one the walk resumes in. */
export function sortParts(sort: ListSort, from: ResumePoint | undefined): SortPart[] {
  const parts: SortPart[] = !sort.nullable ? ['values'] : sort.descending ? ['nulls', 'values'] : ['values', 'nulls'];
  if (from === undefined) return parts;
  const start = parts.indexOf(from.k === null ? 'nulls' : 'values');
  if (start < 0) throw fabricError('invalid_cursor', 'cursor does not match this list');
  return parts.slice(start);
}

/** The first page, or one `offset` rows in (the documented slow path). */
export async function readAtOffset<E extends ObjectLiteral>(
  base: SelectQueryBuilder<E>,
  sort: ListSort,
  offset: number,
  take: number,
  attach?: string,
  pagedByParameters?: boolean,
): Promise<PageRead<E>> {
  const query = base.clone();
  const column = columnOf(query, sort.property);
  const id = columnOf(query, 'id');
  const direction = sort.descending ? 'DESC' : 'ASC';
  if (sort.nullable) query.orderBy(column, direction, sort.descending ? 'NULLS FIRST' : 'NULLS LAST');
  else query.orderBy(column, direction);
  if (!sort.unique || sort.nullable) query.addOrderBy(id, direction);
  return readWithKeys(query.offset(offset).limit(take), column, attach, undefined, pagedByParameters);
}

/** The page after `from`, in the sort's order. */
export async function readAfter<E extends ObjectLiteral>(
  base: SelectQueryBuilder<E>,
  sort: ListSort,
  from: ResumePoint,
  take: number,
  attach?: string,
  pagedByParameters?: boolean,
): Promise<PageRead<E>> {
  const rows: E[] = [];
  const keys: (string | null)[] = [];
  const attached: string[][] = [];
  let counted: number | undefined;
  const parts = sortParts(sort, from);
  for (const part of parts) {
    const query = base.clone();
    const column = restrictToPart(query, sort, part, part === parts[0] ? from : undefined);
    const page = await readWithKeys(query.limit(take - rows.length), column, attach, undefined, pagedByParameters);
    rows.push(...page.rows);
    keys.push(...page.keys);
    if (page.attached) attached.push(...page.attached);
    counted ??= page.counted;
    if (rows.length >= take) break;
  }
  return { rows, keys, ...(counted !== undefined ? { counted } : {}), ...(attach !== undefined ? { attached } : {}) };
}

/**
 * A list read in sections (ListRequest.sections): from the cursor's section and key, or
 * from the start skipping `offset` rows (a skipped section is counted, not read). `counts`:
 * each section's capped count (CappedCount.inlineParts), as columns of the first statement,
 * which then carries the list's count, and spares the read of a later section it found
 * empty; `attach`: see ListRequest.attach.
 */
export async function readSections<E extends ObjectLiteral>(
  base: SelectQueryBuilder<E>,
  dialect: ListDialect,
  sections: readonly ListSection[],
  from: ResumePoint | undefined,
  offset: number,
  take: number,
  { counts, attach }: { counts?: readonly string[]; attach?: string } = {},
): Promise<PageRead<E>> {
  let index = 0;
  if (from) {
    index = sections.findIndex((s) => s.name === from.c);
    if (index < 0 || from.k === null) throw fabricError('invalid_cursor', 'cursor does not match this list');
  }
  let skip = from ? 0 : offset;
  const rows: E[] = [];
  const keys: (string | null)[] = [];
  const names: string[] = [];
  const attached: string[][] = [];
  let counted: number[] | undefined;
  let pending = counts;
  for (let resume = from; index < sections.length && rows.length < take; index++, resume = undefined) {
    const section = sections[index];
    // Counted empty in this very statement's snapshot: nothing to read.
    if (counted?.[index] === 0) continue;
    const query = base.clone().andWhere(section.where, section.parameters);
    const column = columnOf(query, section.property);
    const key = section.unplanned ? dialect.unplannedText(':fabricCursorKey') : ':fabricCursorKey';
    if (resume) query.andWhere(`${column} ${section.codePoints ? dialect.codePoint.gt : '>'} ${key}`, { fabricCursorKey: resume.k });
    orderByPart(query, dialect, section);
    if (skip > 0) query.offset(skip);
    if (pending) {
      pending.forEach((count, n) => query.addSelect(count, `${INLINE_COUNT}_${n}`));
      query.setParameters({ ...Object.assign({}, ...sections.map((s) => s.parameters ?? {})), ...query.getParameters() });
    }
    const page = await readWithKeys(query.limit(take - rows.length), column, attach, pending?.length);
    pending = undefined;
    counted ??= page.partCounts;
    if (page.rows.length === 0 && skip > 0) {
      // This section ends before the offset: skip all of it and go on from the next one.
      const skipped = base.clone().andWhere(section.where, section.parameters).select('1', 'one').orderBy();
      const counted = around([statementOf(skipped)], ([sql]) => dialect.countOf(sql));
      const [{ n }] = await readStatement(query.connection, ...bound(skipped, counted, skipped.getParameters()));
      skip -= Math.min(skip, Number(n));
      continue;
    }
    skip = 0;
    rows.push(...page.rows);
    keys.push(...page.keys);
    if (page.attached) attached.push(...page.attached);
    names.push(...page.rows.map(() => section.name));
  }
  return {
    rows,
    keys,
    sections: names,
    ...(counted !== undefined ? { counted: counted.reduce((a, b) => a + b, 0) } : {}),
    ...(attach !== undefined ? { attached } : {}),
  };
}

/**
 * A list whose filter is an OR of branches (ListRequest.branches): each branch read in the
 * sort's order from the cursor (its own index range, LIMIT take), less the rows of the
 * branches before it, and merged by (key, id). The first `take` rows of the union are among
 * the first `take` of each branch, so nothing more is read. The key's text form must order as the column does
 * (timestamps do). An offset page reads offset + take rows of each branch. The branches go
 * to the database as one statement, each a subquery planned on its own, with `count` (a
 * statement answering `n`, CappedCount.inlineUnion) as a column of it; where readRows would
 * not map the rows itself, one statement per branch and no count.
 */
export async function readBranches<E extends { id: string }>(
  base: SelectQueryBuilder<E>,
  sort: ListSort,
  branches: readonly ListCondition[],
  from: ResumePoint | undefined,
  offset: number,
  take: number,
  count?: Sql,
): Promise<PageRead<E>> {
  if (sort.nullable) throw new Error('branches need a sort column without NULLs');
  const skip = from ? 0 : offset;
  const queries = branches.map((branch, n) => {
    const query = base.clone().andWhere(branch.where, branch.parameters);
    // Disjoint: a row an earlier branch matches too is that branch's alone, so that the union
    // holds each row once and the statement itself can cut it to the page.
    for (const earlier of branches.slice(0, n)) query.andWhere(`NOT COALESCE((${earlier.where}), FALSE)`, earlier.parameters);
    const column = columnOf(query, sort.property);
    const id = columnOf(query, 'id');
    const direction = sort.descending ? 'DESC' : 'ASC';
    if (from) query.andWhere(`(${column}, ${id}) ${sort.descending ? '<' : '>'} (:fabricCursorKey, :fabricCursorId)`, { fabricCursorKey: from.k, fabricCursorId: from.i });
    query.orderBy(column, direction).addOrderBy(id, direction);
    return query.limit(skip + take).addSelect(`CAST(${column} AS TEXT)`, CURSOR_KEY);
  });
  const mapper = leanReader(queries[0]);
  let read: { entities: E[]; raw: Record<string, unknown>[] };
  if (mapper) {
    // The page cut from the union in the sort's order (each branch's own index order): the
    // statement sends the page's rows, not up to `skip + take` of every branch. It orders by the
    // rows' own columns, which an entity read in part may leave out: then it is cut below only.
    const main = queries[0].expressionMap.mainAlias!;
    const selected = new Set(queries[0].expressionMap.selects.map((select) => select.selection));
    const rawKey = (property: string) => base.escape(`${main.name}_${main.metadata.findColumnWithPropertyName(property)!.databaseName}`);
    const direction = sort.descending ? 'DESC' : 'ASC';
    const cut =
      dialectOf(base).mergesOrderedUnion && [sort.property, 'id'].every((property) => selected.has(main.name) || selected.has(`${main.name}.${property}`))
        ? ` ORDER BY fabric_union.${rawKey(sort.property)} ${direction}, fabric_union.${rawKey('id')} ${direction} LIMIT ${skip + take}`
        : '';
    const union = around(
      queries.map(statementOf),
      (texts) => `SELECT * FROM (${texts.map((text, n) => `SELECT * FROM (${text}) AS fabric_branch${n}`).join(' UNION ALL ')}) AS fabric_union${cut}`,
    );
    // The count as a materialized CTE: SQLite copies the outer select into each member of the
    // union, and a scalar subquery there would count once per member.
    const sql =
      count === undefined
        ? union
        : around(
            [count, union],
            ([c, u]) => `WITH fabric_count AS MATERIALIZED (${c}) SELECT fabric_branches.*, (SELECT n FROM fabric_count) AS ${INLINE_COUNT} FROM (${u}) AS fabric_branches`,
          );
    const parameters = Object.assign({}, ...queries.map((query) => query.getParameters()));
    const [text, values, origin] = bound(base, sql, parameters);
    // An offset is in the text (each branch's LIMIT): such a statement is never named (see bound).
    const raw = await readStatement(base.connection, text, values, skip > 0 ? 'other' : origin);
    read = { entities: raw.map(mapper), raw };
  } else {
    const reads = await Promise.all(queries.map((query) => readRows(query)));
    read = { entities: reads.flatMap((r) => r.entities), raw: reads.flatMap((r) => r.raw) };
  }
  const merged = new Map<string, { row: E; key: string }>();
  read.entities.forEach((row, n) => merged.has(row.id) || merged.set(row.id, { row, key: String(read.raw[n][CURSOR_KEY]) }));
  const sign = sort.descending ? -1 : 1;
  const ordered = [...merged.values()].sort((a, b) => sign * (compareText(a.key, b.key) || compareText(a.row.id, b.row.id)));
  const page = ordered.slice(skip, skip + take);
  const first = read.raw[0];
  return {
    rows: page.map((p) => p.row),
    keys: page.map((p) => p.key),
    ...(first !== undefined && INLINE_COUNT in first ? { counted: Number(first[INLINE_COUNT]) } : {}),
  };
}

/**
 * Restricts `query` to one part of the sort column (its values, or its nulls) in index
 * order, after `from` when the walk resumes there; answers the column's SQL name.
 */
export function restrictToPart(query: SelectQueryBuilder<ObjectLiteral>, sort: ListSort, part: SortPart, from: ResumePoint | undefined): string {
  const column = columnOf(query, sort.property);
  const id = columnOf(query, 'id');
  const direction = sort.descending ? 'DESC' : 'ASC';
  const after = sort.descending ? '<' : '>';
  if (part === 'nulls') {
    query.andWhere(`${column} IS NULL`);
    if (from) query.andWhere(`${id} ${after} :fabricCursorId`, { fabricCursorId: from.i });
    query.orderBy(id, direction);
  } else {
    if (sort.nullable) query.andWhere(`${column} IS NOT NULL`);
    if (from && sort.unique) query.andWhere(`${column} ${after} :fabricCursorKey`, { fabricCursorKey: from.k });
    else if (from) query.andWhere(`(${column}, ${id}) ${after} (:fabricCursorKey, :fabricCursorId)`, { fabricCursorKey: from.k, fabricCursorId: from.i });
    query.orderBy(column, direction);
    if (!sort.unique) query.addOrderBy(id, direction);
  }
  return column;
}

/**
 * Rows with their sort key as the database writes it, so a cursor keeps full precision
 * (PostgreSQL stores µs); and the list's count when the query carries one (INLINE_COUNT), or
 * the counts of its `parts` (INLINE_COUNT_0, _1, …, see readSections). `pagedByParameters`: see
 * ListRequest.pagedByParameters.
 */
export async function readWithKeys<E extends ObjectLiteral>(
  query: SelectQueryBuilder<E>,
  column: string,
  attach?: string,
  parts?: number,
  pagedByParameters?: boolean,
): Promise<PageRead<E> & { partCounts?: number[] }> {
  query.addSelect(`CAST(${column} AS TEXT)`, CURSOR_KEY);
  if (attach !== undefined) query.addSelect(attach, ATTACHED);
  const { entities, raw } = await readRows(query, pagedByParameters);
  const first = raw[0] as Record<string, unknown> | undefined;
  return {
    rows: entities,
    keys: raw.map((r: Record<string, unknown>) => (r[CURSOR_KEY] === null ? null : String(r[CURSOR_KEY]))),
    ...(first !== undefined && INLINE_COUNT in first ? { counted: Number(first[INLINE_COUNT]) } : {}),
    ...(first !== undefined && parts !== undefined ? { partCounts: Array.from({ length: parts }, (_, n) => Number(first[`${INLINE_COUNT}_${n}`])) } : {}),
    ...(attach !== undefined ? { attached: raw.map((r: Record<string, unknown>) => namesOf(r[ATTACHED])) } : {}),
  };
}

/**
 * The page's raw rows and their entities: its statement rendered once per shape
 * (statement-cache.ts), sent as a named statement (named-statements.ts) and its rows mapped
 * directly (lean-rows.ts) where the page's shape allows, else TypeORM's own read.
 * `pagedByParameters`: see ListRequest.pagedByParameters.
 */
export async function readRows<E extends ObjectLiteral>(query: SelectQueryBuilder<E>, pagedByParameters = false): Promise<{ entities: E[]; raw: Record<string, unknown>[] }> {
  const mapper = leanReader(query);
  if (!mapper) return query.getRawAndEntities();
  const [sql, parameters, origin] = sqlAndParameters(query, pagedByParameters);
  const raw = await readStatement(query.connection, sql, parameters, origin);
  return { entities: raw.map(mapper), raw };
}

/** The row mapper for `query` when its statement may go straight to the data source (see readRows); else undefined. */
export function leanReader<E extends ObjectLiteral>(query: SelectQueryBuilder<E>): RowMapper<E> | undefined {
  // A query result cache (DataSource `cache`) is TypeORM's to consult, and a builder bound to a
  // query runner (a transaction's) reads on it: TypeORM's own read for both.
  const bound = (query as unknown as { queryRunner?: unknown }).queryRunner !== undefined;
  return bound || query.connection.queryResultCache ? undefined : leanMapper(query);
}

/** Plain code unit order is enough for keys and ids: timestamps' text and lowercase hex. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
