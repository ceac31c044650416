import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { FABRIC_RESOLVED_OPTIONS } from '../fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../fabric-auth.options.js';
import { type ListEnvelope, pageOf, type ListQueryDto } from './list-query.js';

/** Up to this many matching rows `total` is counted exactly; past it PostgreSQL's estimate is used. */
export const EXACT_COUNT_CAP = 10_000;

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
}

interface CursorPayload {
  /** list */
  l: string;
  /** sort name */
  s: string;
  /** digest of the filters */
  f: string;
  /** sort column of the last row, as the database renders it as text (null: a NULL value) */
  k: string | null;
  /** id of the last row */
  i: string;
  /** rows before the next page when it was made (the next page's `offset`) */
  p: number;
}

type Section = 'values' | 'nulls';

/**
 * Keyset pagination for every list. A page is read in index order from just after the
 * last row of the previous one (`(sort column, id) > (k, i)`), so a deep page costs what
 * the first does and rows inserted or deleted between two reads neither repeat nor skip
 * rows that were there all along. The cursor is opaque and MACed: it is bound to the
 * list, sort and filters that made it, and anything else (tampered, another list, other
 * filters) is a 400. `offset` pages still work (they walk the skipped rows).
 */
@Injectable()
export class ListPager {
  private readonly key: Buffer;

  constructor(@Inject(FABRIC_RESOLVED_OPTIONS) options: ResolvedFabricAuthOptions) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(options.secretKey, 'utf8'), Buffer.alloc(0), 'fabric-auth list cursor', 32));
  }

  /**
   * One page of `base` (filters applied, no order or limit). `map` turns the rows into
   * answers (it may read more, e.g. role names, for the rows of this page only).
   */
  async page<E extends { id: string }, T>(base: SelectQueryBuilder<E>, request: ListRequest, map: (rows: E[]) => T[] | Promise<T[]>): Promise<ListEnvelope<T>> {
    const { limit, offset, cursor: rawCursor } = pageOf(request.query);
    if (rawCursor !== undefined && request.query.offset !== undefined) throw new BadRequestException('Use either cursor or offset, not both');
    const filterDigest = digest(request.filters);
    const cursor = rawCursor === undefined ? undefined : this.decode(rawCursor, request, filterDigest);
    const start = cursor ? cursor.p : offset;
    const { rows, keys } = cursor ? await this.afterCursor(base, request.sort, cursor, limit + 1) : await this.atOffset(base, request.sort, offset, limit + 1);
    const more = rows.length > limit;
    const pageRows = rows.slice(0, limit);
    const last = pageRows.length - 1;
    const nextCursor = more
      ? this.encode({ l: request.list, s: request.sortName, f: filterDigest, k: keys[last]!, i: pageRows[last]!.id, p: start + limit })
      : null;
    const { total, estimate } =
      !more && !cursor && (pageRows.length > 0 || offset === 0) ? { total: offset + pageRows.length, estimate: false } : await this.count(base, start + pageRows.length);
    return { items: await map(pageRows), total, total_is_estimate: estimate, limit, offset: start, next_cursor: nextCursor };
  }

  private async atOffset<E extends ObjectLiteral>(base: SelectQueryBuilder<E>, sort: ListSort, offset: number, take: number) {
    const query = base.clone();
    const column = columnOf(query, sort.property);
    const id = columnOf(query, 'id');
    const direction = sort.descending ? 'DESC' : 'ASC';
    if (sort.nullable) query.orderBy(column, direction, sort.descending ? 'NULLS FIRST' : 'NULLS LAST');
    else query.orderBy(column, direction);
    if (!sort.unique || sort.nullable) query.addOrderBy(id, direction);
    return this.read(query.offset(offset).limit(take), column);
  }

  /**
   * Reads on from the cursor. A nullable column is read in two sections (its values, its
   * nulls), each in index order, because `(a, id) > (k, i)` is never true for a NULL `a`.
   */
  private async afterCursor<E extends ObjectLiteral>(base: SelectQueryBuilder<E>, sort: ListSort, cursor: CursorPayload, take: number) {
    const sections: Section[] = !sort.nullable ? ['values'] : sort.descending ? ['nulls', 'values'] : ['values', 'nulls'];
    const from = cursor.k === null ? 'nulls' : 'values';
    if (!sections.includes(from)) throw new BadRequestException('cursor does not match this list');
    const rows: E[] = [];
    const keys: (string | null)[] = [];
    for (const section of sections.slice(sections.indexOf(from))) {
      const query = base.clone();
      const column = columnOf(query, sort.property);
      const id = columnOf(query, 'id');
      const direction = sort.descending ? 'DESC' : 'ASC';
      const after = sort.descending ? '<' : '>';
      const resume = section === from;
      if (section === 'nulls') {
        query.andWhere(`${column} IS NULL`);
        if (resume) query.andWhere(`${id} ${after} :fabricCursorId`, { fabricCursorId: cursor.i });
        query.orderBy(id, direction);
      } else {
        if (sort.nullable) query.andWhere(`${column} IS NOT NULL`);
        if (resume && sort.unique) query.andWhere(`${column} ${after} :fabricCursorKey`, { fabricCursorKey: cursor.k });
        else if (resume) query.andWhere(`(${column}, ${id}) ${after} (:fabricCursorKey, :fabricCursorId)`, { fabricCursorKey: cursor.k, fabricCursorId: cursor.i });
        query.orderBy(column, direction);
        if (!sort.unique) query.addOrderBy(id, direction);
      }
      const page = await this.read(query.limit(take - rows.length), column);
      rows.push(...page.rows);
      keys.push(...page.keys);
      if (rows.length >= take) break;
    }
    return { rows, keys };
  }

  /** Rows with their sort key as the database writes it, so a cursor keeps full precision (PostgreSQL stores µs). */
  private async read<E extends ObjectLiteral>(query: SelectQueryBuilder<E>, column: string): Promise<{ rows: E[]; keys: (string | null)[] }> {
    query.addSelect(`CAST(${column} AS TEXT)`, 'fabric_cursor_key');
    const { entities, raw } = await query.getRawAndEntities();
    return { rows: entities, keys: raw.map((r: Record<string, unknown>) => (r.fabric_cursor_key === null ? null : String(r.fabric_cursor_key))) };
  }

  /**
   * Exact up to EXACT_COUNT_CAP matching rows (the count stops there). Past it, PostgreSQL's
   * planner estimate (`reltuples` without filters, the plan's row estimate with them);
   * SQLite has no estimate to offer and counts exactly (cheap without filters).
   */
  private async count<E extends ObjectLiteral>(base: SelectQueryBuilder<E>, atLeast: number): Promise<{ total: number; estimate: boolean }> {
    const connection = base.dataSource;
    if (connection.driver.options.type !== 'postgres') {
      const counted = await base.clone().select('COUNT(*)', 'n').orderBy().getRawOne<{ n: number | string }>();
      return { total: Number(counted?.n ?? 0), estimate: false };
    }
    const estimate = async () => {
      const [sql, parameters] = base.clone().select('1', 'one').orderBy().getQueryAndParameters();
      const [{ 'QUERY PLAN': plan }] = await connection.query(`EXPLAIN (FORMAT JSON) ${sql}`, parameters);
      return Math.round(Number((typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan['Plan Rows']));
    };
    // Without a filter the planner's figure is the table's own statistics: when it is far past
    // the cap, counting up to the cap would only confirm it.
    if (base.expressionMap.wheres.length === 0) {
      const planned = await estimate();
      if (planned > 10 * EXACT_COUNT_CAP) return { total: Math.max(planned, atLeast), estimate: true };
    }
    const [sql, parameters] = base.clone().select('1', 'one').orderBy().limit(EXACT_COUNT_CAP + 1).getQueryAndParameters();
    const [{ n }] = await connection.query(`SELECT COUNT(*)::int AS n FROM (${sql}) AS capped`, parameters);
    if (n <= EXACT_COUNT_CAP) return { total: n, estimate: false };
    return { total: Math.max(await estimate(), n, atLeast), estimate: true };
  }

  private encode(payload: CursorPayload): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  private decode(raw: string, request: ListRequest, filterDigest: string): CursorPayload {
    const [body, mac] = raw.split('.');
    const expected = Buffer.from(this.mac(body!));
    const given = Buffer.from(mac ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new BadRequestException('cursor is not valid');
    let payload: CursorPayload;
    try {
      payload = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as CursorPayload;
    } catch {
      throw new BadRequestException('cursor is not valid');
    }
    if (!isCursorPayload(payload)) throw new BadRequestException('cursor is not valid');
    if (payload.l !== request.list || payload.s !== request.sortName || payload.f !== filterDigest) {
      throw new BadRequestException('cursor was made for another list, sort or filter: start again without it');
    }
    return payload;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url').slice(0, 22);
  }
}

function isCursorPayload(value: unknown): value is CursorPayload {
  const p = value as Partial<CursorPayload> | null;
  return (
    typeof p === 'object' && p !== null &&
    typeof p.l === 'string' && typeof p.s === 'string' && typeof p.f === 'string' && typeof p.i === 'string' &&
    (p.k === null || typeof p.k === 'string') && Number.isSafeInteger(p.p) && p.p! >= 0
  );
}

function columnOf(query: SelectQueryBuilder<ObjectLiteral>, property: string): string {
  const alias = query.expressionMap.mainAlias!;
  const column = alias.metadata.findColumnWithPropertyName(property);
  if (!column) throw new Error(`${alias.metadata.name} has no column ${property}`);
  return `${query.escape(alias.name)}.${query.escape(column.databaseName)}`;
}

function digest(filters: ListRequest['filters']): string {
  const present = Object.entries(filters)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash('sha256').update(JSON.stringify(present)).digest('base64url').slice(0, 16);
}

/**
 * `column starts with prefix` for any of `columns`, in a form an index serves. PostgreSQL:
 * `LIKE 'p%'` (wildcards in the input escaped), served by the `varchar_pattern_ops` indexes.
 * SQLite uses an index for LIKE only under `case_sensitive_like`, so there it is the
 * equivalent range `>= p AND < p'` (p' = p with its last code point incremented), which its
 * ordinary (binary-collated) indexes serve.
 */
export function whereStartsWith(query: SelectQueryBuilder<ObjectLiteral>, properties: readonly string[], prefix: string): void {
  const columns = properties.map((p) => columnOf(query, p));
  if (query.dataSource.driver.options.type === 'postgres') {
    const pattern = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query.andWhere(`(${columns.map((c) => `${c} LIKE :fabricPrefix ESCAPE '\\'`).join(' OR ')})`, { fabricPrefix: pattern });
    return;
  }
  const upper = successorOfPrefix(prefix);
  const range = (c: string) => (upper === null ? `${c} >= :fabricLow` : `(${c} >= :fabricLow AND ${c} < :fabricHigh)`);
  query.andWhere(`(${columns.map(range).join(' OR ')})`, { fabricLow: prefix, fabricHigh: upper });
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
