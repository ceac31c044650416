import type { DataSource, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { StatementOrigin } from '../named-statements.js';

/** Statements kept per data source: a few per list shape (first page, cursor page, each sort, each set of filters present). */
export const MAX_CACHED_STATEMENTS = 512;

/**
 * The SQL text of a list's query builder (named parameters left as they are), rendered once
 * per shape: a page's statement is the same text on every request of the same list, sort and
 * filters present (the values are parameters), and TypeORM renders it anew from its
 * metadata on every call, the most of a page's statement building. The shape is everything
 * the rendering reads from the builder; a builder with anything it does not describe (a
 * subquery, a CTE, a lock, a condition that is not text) is rendered as usual.
 */
const cached = new WeakMap<DataSource, Map<string, string>>();

export function renderedSql(query: SelectQueryBuilder<ObjectLiteral>): string {
  return statementOf(query).text;
}

/** SQL text with named parameters; `shaped`: made only of this cache's texts and fixed text written around them. */
export interface Sql {
  text: string;
  shaped: boolean;
}

/** The builder's SQL text; shaped when it came from this cache (only such texts may be named: named-statements.ts). */
export function statementOf(query: SelectQueryBuilder<ObjectLiteral>): Sql {
  const key = shapeOf(query);
  if (key === undefined) return { text: query.getQuery(), shaped: false };
  let statements = cached.get(query.connection);
  if (!statements) cached.set(query.connection, (statements = new Map()));
  let sql = statements.get(key);
  if (sql === undefined) {
    sql = query.getQuery();
    // Oldest first out: bounded whatever the lists and filters in use.
    if (statements.size >= MAX_CACHED_STATEMENTS) statements.delete(statements.keys().next().value!);
    statements.set(key, sql);
  }
  return { text: sql, shaped: true };
}

/** Fixed text (`write`) around `parts`: shaped when every part is. */
export function around(parts: readonly Sql[], write: (texts: string[]) => string): Sql {
  return { text: write(parts.map((part) => part.text)), shaped: parts.every((part) => part.shaped) };
}

/**
 * `sql` (built from `query`) with its named parameters bound as the driver binds them, and its
 * origin for readStatement: never named for a builder bound to a query runner (a transaction's,
 * whose statements are its own) nor where TypeORM's query result cache is on.
 * `pagedByParameters` (PostgreSQL): a first or cursor page's LIMIT becomes a parameter as well
 * (see ListRequest.pagedByParameters).
 */
export function bound(query: SelectQueryBuilder<ObjectLiteral>, sql: Sql, parameters: ObjectLiteral, pagedByParameters = false): [string, unknown[], StatementOrigin] {
  let [text, values] = query.connection.driver.escapeQueryWithParameters(sql.text, parameters) as [string, unknown[]];
  const own = (query as unknown as { queryRunner?: unknown }).queryRunner === undefined && !query.connection.queryResultCache;
  // An offset is written into the text: each `?offset=` would take a name of its own, and a
  // client walking offsets would use up MAX_NAMED_STATEMENTS for every list after it. Nor does
  // an offset page share the first page's name with its offset as a parameter: PostgreSQL keeps
  // a generic plan that looks cheaper than the average of the custom plans it has made, and a
  // few deep offset pages (each as dear as reading the whole parent) made a slow parallel plan
  // look cheap enough to be kept for every first page on that connection (reviewer's finding).
  const offset = query.expressionMap.offset ?? 0;
  const paging = pagedByParameters && offset === 0 && query.connection.driver.options.type === 'postgres' ? TRAILING_LIMIT.exec(text) : null;
  if (paging) {
    values = [...values, Number(paging[1])];
    text = `${text.slice(0, paging.index)} LIMIT $${values.length}${paging[2] ?? ''}`;
  }
  return [text, values, own && sql.shaped && offset === 0 && !writesIntoText(sql.text, parameters) ? 'shaped' : 'other'];
}

/** What TypeORM's PostgreSQL driver writes last for `.limit()` (with `.offset(0)`, its OFFSET 0); a shaped text has no lock after it. */
const TRAILING_LIMIT = / LIMIT (\d+)( OFFSET 0)?$/;

/** The builder's SQL and parameters, as getQueryAndParameters answers them, from the rendered text; and its origin (`pagedByParameters`: see bound). */
export function sqlAndParameters(query: SelectQueryBuilder<ObjectLiteral>, pagedByParameters = false): [string, unknown[], StatementOrigin] {
  return bound(query, statementOf(query), query.getParameters(), pagedByParameters);
}

/**
 * Parameters TypeORM writes into the text rather than binds: a spread list (`:...ids`, one
 * placeholder per element) and a function (its result). With one, the final text depends on
 * the values, not only on the shape.
 */
function writesIntoText(text: string, parameters: ObjectLiteral): boolean {
  return text.includes(':...') || Object.values(parameters).some((value) => typeof value === 'function');
}

function shapeOf(query: SelectQueryBuilder<ObjectLiteral>): string | undefined {
  const m = query.expressionMap;
  const main = m.mainAlias;
  if (m.queryType !== 'select' || !main?.hasMetadata || main.subQuery || m.subQuery) return undefined;
  if (m.commonTableExpressions.length > 0 || m.lockMode !== undefined || m.selectDistinct || m.selectDistinctOn.length > 0 || m.relationIdAttributes.length > 0) return undefined;
  // timeTravel is `false` unless asked for (DataSource timeTravelQueries or timeTravelQuery()).
  if (m.skip !== undefined || m.take !== undefined || m.timeTravel || m.useIndex !== undefined || m.maxExecutionTime > 0) return undefined;
  if (!m.disableEscaping || !m.aliasNamePrefixingEnabled) return undefined;
  // A second FROM source (addFrom) is in the statement but in none of the parts keyed below. By
  // name: a clone's main alias is not the object among its aliases.
  if (m.aliases.some((alias) => alias.subQuery || (alias.type === 'from' && alias.name !== main.name))) return undefined;
  if (!conditionsAreText(m.wheres) || m.havings.length > 0) return undefined;
  const joins: unknown[] = [];
  for (const join of m.joinAttributes) {
    const target = targetOf(join.entityOrProperty);
    if (target === undefined || (join.condition !== undefined && typeof join.condition !== 'string')) return undefined;
    joins.push([join.direction, target, join.alias.name, join.condition ?? null, join.isSelected, join.mapToProperty ?? null]);
  }
  return JSON.stringify([
    main.name,
    main.metadata.name,
    m.selects.map((s) => [s.selection, s.aliasName ?? null, s.virtual ?? null]),
    m.wheres,
    m.extraAppendedAndWhereCondition,
    m.withDeleted,
    joins,
    m.orderBys,
    m.groupBys,
    m.limit ?? null,
    m.offset ?? null,
    m.comment ?? null,
  ]);
}

/** Entity classes joined by class (a standing's membership join) are told apart by identity, never by name. */
const classIds = new WeakMap<object, number>();
let nextClassId = 0;

/** A join's target in the shape: a relation path or entity name as written, an entity class by its identity. */
function targetOf(target: unknown): string | undefined {
  if (typeof target === 'string') return `name:${target}`;
  if (typeof target !== 'function') return undefined;
  let id = classIds.get(target);
  if (id === undefined) classIds.set(target, (id = nextClassId++));
  return `class:${id}`;
}

/** Where conditions made of text only (nested brackets are arrays of them). */
function conditionsAreText(wheres: readonly { condition: unknown }[]): boolean {
  return wheres.every((w) => typeof w.condition === 'string' || (Array.isArray(w.condition) && conditionsAreText(w.condition as { condition: unknown }[])));
}
