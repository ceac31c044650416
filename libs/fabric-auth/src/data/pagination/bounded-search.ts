import type { SelectQueryBuilder } from 'typeorm';
import { readStatement } from '../named-statements.js';
import { dialectOf, type ListDialect } from './dialect.js';
import { leanReader, readAtOffset, readRows, restrictToPart, sortParts } from './keyset.js';
import {
  ATTACHED,
  anyOf,
  columnOf,
  INLINE_COUNT,
  type ListCondition,
  type ListSection,
  type ListSort,
  namesOf,
  orderByPart,
  type PageRead,
  type ResumePoint,
} from './list-request.js';
import { around, bound, statementOf } from './statement-cache.js';

/** A search past the candidate limit examines at most this many rows (in sort order) per page. */
export const SEARCH_SCAN_BUDGET = 2_000;

/**
 * A search (ListRequest.search): a filter made of disjoint index ranges, with the list in an
 * order none of those indexes serves. With at most `candidateLimit` matches (the caller
 * counted them), the page is sorted from the ranges' own rows; with more, a page walks the
 * sort's own index and examines at most SEARCH_SCAN_BUDGET rows: it may then hold fewer than
 * `take` items, even none, with a resume point that continues the walk — bounded work per
 * request instead of a walk as long as the planner's luck. `attach`: see ListRequest.attach.
 */
export async function readSearch<E extends { id: string }>(
  base: SelectQueryBuilder<E>,
  dialect: ListDialect,
  sort: ListSort,
  parts: readonly ListSection[],
  candidates: { many: boolean; limit: number },
  from: ResumePoint | undefined,
  offset: number,
  take: number,
  attach?: string,
): Promise<PageRead<E>> {
  if (!candidates.many) return readCandidates(base, dialect, sort, parts, candidates.limit, from, offset, take, { attach });
  const hit = anyOf(parts);
  // An offset page past the cap is the documented slow path: the planner's plan over the whole filter.
  if (!from && offset > 0) return readAtOffset(base.clone().andWhere(hit.where, hit.parameters), sort, offset, take, attach);
  return scan(base, sort, hit, from, take, attach);
}

/**
 * Few matches: every part's rows (each one index range, LIMITed to `limit` so that the
 * planner keeps to it) unioned, then sorted and paged in one statement. `countUpTo`: that
 * statement also answers how many rows the parts gave (`counted`, each part's up to
 * `limit`), so a caller may read before it knows whether the matches are few; past
 * `countUpTo` they are not, and the page's rows are left unread (none). The page's rows come
 * in that statement too, joined to the candidates it chose (see pageEntities).
 */
export async function readCandidates<E extends { id: string }>(
  base: SelectQueryBuilder<E>,
  dialect: ListDialect,
  sort: ListSort,
  parts: readonly ListSection[],
  limit: number,
  from: ResumePoint | undefined,
  offset: number,
  take: number,
  { countUpTo, attach }: { countUpTo?: number; attach?: string } = {},
): Promise<PageRead<E>> {
  const values: unknown[] = [];
  const bind = (value: unknown) => (values.push(value), dialect.placeholder(values.length));
  const selects = parts.map((part, n) => {
    const query = base.clone().andWhere(part.where, part.parameters);
    const column = columnOf(query, sort.property);
    query.select(columnOf(query, 'id'), 'fabric_id').addSelect(column, 'fabric_value').addSelect(`CAST(${column} AS TEXT)`, 'fabric_key');
    orderByPart(query, dialect, part);
    const [sql, parameters] = query.limit(limit).getQueryAndParameters();
    const shift = values.length;
    values.push(...parameters);
    // Each part as a subquery: SQLite has no parenthesised members of a UNION.
    return `SELECT * FROM (${dialect.shiftPlaceholders(sql, shift)}) AS fabric_part${n}`;
  });
  const { direction, nulls } = orderWords(sort);
  let where = '';
  if (from) {
    const [after, v, i] = [sort.descending ? '<' : '>', 'c.fabric_value', 'c.fabric_id'];
    if (from.k === null) {
      const nullsAfter = `(${v} IS NULL AND ${i} ${after} ${bind(from.i)})`;
      where = sort.descending ? `WHERE ${nullsAfter} OR ${v} IS NOT NULL` : `WHERE ${nullsAfter}`;
    } else {
      // One placeholder per use (see ListDialect.placeholder).
      const keyset = `(${v} ${after} ${bind(from.k)} OR (${v} = ${bind(from.k)} AND ${i} ${after} ${bind(from.i)}))`;
      where = `WHERE ${keyset}${sort.nullable && !sort.descending ? ` OR ${v} IS NULL` : ''}`;
    }
  }
  const union = selects.join(' UNION ALL ');
  const page = `ORDER BY c.fabric_value ${direction}${nulls}, c.fabric_id ${direction} LIMIT ${take}${!from && offset > 0 ? ` OFFSET ${offset}` : ''}`;
  const columns = `c.fabric_id AS id, c.fabric_value, c.fabric_key AS k`;
  const candidates =
    countUpTo !== undefined
      ? `WITH fabric_candidates AS MATERIALIZED (${union}) SELECT ${columns}, (SELECT COUNT(*) FROM fabric_candidates) AS ${INLINE_COUNT} FROM fabric_candidates AS c ${where} ${page}`
      : `SELECT ${columns} FROM (${union}) AS c ${where} ${page}`;
  const { entities, mapper, entityId } = pageEntities(base, attach);
  let sql = candidates;
  if (mapper) {
    // The page's rows joined to its candidates, after their LIMIT: each one looked up by primary
    // key. With a count (PostgreSQL only), a lateral read gated on it: past countUpTo the rows
    // are thrown away, and a broad search's first page would look up a page of them for nothing.
    // Its OFFSET 0 keeps the planner from pulling it up into a join, which would test the gate
    // only after each lookup; kept apart, the gate is a one-time filter before it.
    const gated = countUpTo !== undefined;
    const lookup = gated ? entities.clone().andWhere(`${columnOf(entities, 'id')} = fabric_page.id AND fabric_page.${INLINE_COUNT} <= ${countUpTo}`) : entities;
    const [entitySql, entityParameters] = lookup.getQueryAndParameters();
    const shift = values.length;
    values.push(...entityParameters);
    const entity = `${dialect.shiftPlaceholders(entitySql, shift)}${gated ? ' OFFSET 0' : ''}`;
    sql =
      `SELECT fabric_entity.*, fabric_page.id, fabric_page.k${gated ? `, fabric_page.${INLINE_COUNT}` : ''} FROM (${candidates}) AS fabric_page ` +
      (gated ? `LEFT JOIN LATERAL (${entity}) AS fabric_entity ON TRUE` : `INNER JOIN (${entity}) AS fabric_entity ON fabric_entity.${entityId} = fabric_page.id`) +
      ` ORDER BY fabric_page.fabric_value ${direction}${nulls}, fabric_page.id ${direction}`;
  }
  // Its text holds the page's LIMIT and OFFSET: unnamed, planned for its values (readStatement).
  const found = (await readStatement(base.connection, sql, values, 'other')) as { id: unknown; k: unknown; [INLINE_COUNT]?: unknown; [column: string]: unknown }[];
  const counted = countUpTo !== undefined && found.length > 0 ? Number(found[0][INLINE_COUNT]) : undefined;
  if (counted !== undefined && counted > countUpTo!) return { rows: [], keys: [], counted };
  const keys = found.map((r) => (r.k === null ? null : String(r.k)));
  const read = mapper
    ? { rows: found.map(mapper), keys, ...(attach !== undefined ? { attached: found.map((r) => namesOf(r[ATTACHED])) } : {}) }
    : await hydrate(
        base,
        found.map((r, n) => ({ id: String(r.id), k: keys[n] })),
        attach,
      );
  return counted !== undefined ? { ...read, counted } : read;
}

/**
 * What a search page answers of each row, the list's own columns and its names, as a builder;
 * with the mapper of its raw rows where they may be mapped directly (keyset.ts leanReader), and
 * the raw key of its primary key, by which a search's statement joins it to the ids it chose.
 */
function pageEntities<E extends { id: string }>(base: SelectQueryBuilder<E>, attach: string | undefined) {
  const entities = base.clone();
  if (attach !== undefined) entities.addSelect(attach, ATTACHED);
  const id = entities.expressionMap.mainAlias!.metadata.findColumnWithPropertyName('id')!;
  return { entities, mapper: leanReader(entities), entityId: entities.escape(`${entities.alias}_${id.databaseName}`) };
}

/**
 * Many matches: walks the sort's own index from `from` (as a keyset page does), reading only
 * id, key and whether the row matches, for at most SEARCH_SCAN_BUDGET rows. The database
 * answers only the matches the page needs and the walk's last row (where a short page resumes):
 * not every row it examined, which at a match in ten was ~1,500 rows read, sent and parsed for
 * nothing on every page. Those rows come joined to their entities (and names) in the same
 * statement where the page's rows may be mapped directly (keyset.ts leanReader): one statement
 * a walk instead of the walk and a read of its matches by id (1M users: 1.9 → 1.3 ms of the
 * database's time a page, one round trip fewer).
 */
export async function scan<E extends { id: string }>(
  base: SelectQueryBuilder<E>,
  sort: ListSort,
  hit: ListCondition,
  from: ResumePoint | undefined,
  take: number,
  attach?: string,
): Promise<PageRead<E>> {
  const hits: { id: string; k: string | null; row?: E; names?: string[] }[] = [];
  const { entities, mapper, entityId } = pageEntities(base, attach);
  let examined = 0;
  let lastSeen: { k: string | null; i: string } | undefined;
  const parts = sortParts(sort, from);
  const { direction, nulls } = orderWords(sort);
  // The walk's own order: its rows numbered and its last one marked in it, and the answer given
  // in it too. (Ordered by the row number instead, PostgreSQL sorted the whole window first,
  // so every page examined all SEARCH_SCAN_BUDGET rows: in the walk's order the answer streams
  // and stops at the page's last match.)
  const walkOrder = (alias: string) => `ORDER BY ${alias}.fabric_value ${direction}${nulls}, ${alias}.fabric_id ${direction}`;
  const order = walkOrder('w');
  for (const part of parts) {
    const query = base.clone();
    const column = restrictToPart(query, sort, part, part === parts[0] ? from : undefined);
    query
      .select(columnOf(query, 'id'), 'fabric_id')
      .addSelect(column, 'fabric_value')
      .addSelect(`CAST(${column} AS TEXT)`, 'fabric_key')
      .addSelect(`CASE WHEN ${hit.where} THEN 1 ELSE 0 END`, 'fabric_hit')
      .setParameters({ ...query.getParameters(), ...hit.parameters })
      .limit(SEARCH_SCAN_BUDGET - examined);
    const wanted = take - hits.length;
    // Named where the window's text is a list shape's (statement-cache.ts): one plan, kept.
    const walk = (window: string) =>
      `SELECT x.fabric_id, x.fabric_value, x.fabric_key, x.fabric_hit, x.fabric_n, x.fabric_last FROM (` +
      `SELECT w.fabric_id, w.fabric_value, w.fabric_key, w.fabric_hit, ROW_NUMBER() OVER (${order}) AS fabric_n, ` +
      `CASE WHEN LEAD(w.fabric_id) OVER (${order}) IS NULL THEN 1 ELSE 0 END AS fabric_last FROM (${window}) AS w` +
      `) AS x WHERE x.fabric_hit = 1 OR x.fabric_last = 1 ${walkOrder('x')} LIMIT ${wanted + 1}`;
    // Each row the walk answers joined to its entity by primary key; in the walk's order, which
    // its nested loop keeps (PostgreSQL and SQLite alike), so no sort.
    const sql = mapper
      ? around(
          [statementOf(query), statementOf(entities)],
          ([window, entity]) =>
            `SELECT fabric_entity.*, fabric_page.fabric_id, fabric_page.fabric_key, fabric_page.fabric_hit, fabric_page.fabric_n, fabric_page.fabric_last ` +
            `FROM (${walk(window)}) AS fabric_page INNER JOIN (${entity}) AS fabric_entity ON fabric_entity.${entityId} = fabric_page.fabric_id ${walkOrder('fabric_page')}`,
        )
      : around([statementOf(query)], ([window]) => walk(window));
    const rows = (await readStatement(base.connection, ...bound(query, sql, { ...entities.getParameters(), ...query.getParameters() }))) as {
      fabric_id: unknown;
      fabric_key: unknown;
      fabric_hit: unknown;
      fabric_n: unknown;
      fabric_last: unknown;
      [column: string]: unknown;
    }[];
    let last: { n: number; seen: { k: string | null; i: string } } | undefined;
    for (const row of rows) {
      const seen = { i: String(row.fabric_id), k: row.fabric_key === null ? null : String(row.fabric_key) };
      if (Number(row.fabric_hit) === 1 && hits.length < take) {
        hits.push({ id: seen.i, k: seen.k, ...(mapper ? { row: mapper(row), names: attach !== undefined ? namesOf(row[ATTACHED]) : [] } : {}) });
      }
      if (Number(row.fabric_last) === 1) last = { n: Number(row.fabric_n), seen };
    }
    if (hits.length >= take) break;
    // Short of a page: the window was read to its end, its last row among the answer.
    if (last) {
      examined += last.n;
      lastSeen = last.seen;
    }
    if (examined >= SEARCH_SCAN_BUDGET) break;
  }
  const page = hits.slice(0, take);
  const cut = page.length < take && examined >= SEARCH_SCAN_BUDGET ? lastSeen : undefined;
  if (!mapper) return { ...(await hydrate(base, page, attach)), resume: cut };
  return {
    rows: page.map((hit) => hit.row!),
    keys: page.map((hit) => hit.k),
    ...(attach !== undefined ? { attached: page.map((hit) => hit.names!) } : {}),
    resume: cut,
  };
}

/** The sort's direction and, for a nullable column, where its NULLs go, as SQL words. */
function orderWords(sort: ListSort): { direction: 'ASC' | 'DESC'; nulls: string } {
  return { direction: sort.descending ? 'DESC' : 'ASC', nulls: sort.nullable ? (sort.descending ? ' NULLS FIRST' : ' NULLS LAST') : '' };
}

/**
 * Entities for a page chosen from narrower rows, in its order (a row deleted meanwhile is left
 * out), with each row's names (ListRequest.attach) read in the same statement.
 */
async function hydrate<E extends { id: string }>(base: SelectQueryBuilder<E>, page: { id: string; k: string | null }[], attach?: string): Promise<PageRead<E>> {
  if (page.length === 0) return { rows: [], keys: [], ...(attach !== undefined ? { attached: [] } : {}) };
  const query = base.clone();
  // One text for any page length, so that it can be named (ListDialect.oneOf).
  query.andWhere(dialectOf(query).oneOf(columnOf(query, 'id'), 'fabricPageIds'), { fabricPageIds: page.map((p) => p.id) });
  if (attach !== undefined) query.addSelect(attach, ATTACHED);
  const { entities, raw } = await readRows(query);
  const byId = new Map(entities.map((e: E, n) => [e.id, { e, names: attach !== undefined ? namesOf(raw[n][ATTACHED]) : [] }]));
  const kept = page.filter((p) => byId.has(p.id));
  return {
    rows: kept.map((p) => byId.get(p.id)!.e),
    keys: kept.map((p) => p.k),
    ...(attach !== undefined ? { attached: kept.map((p) => byId.get(p.id)!.names) } : {}),
  };
}
