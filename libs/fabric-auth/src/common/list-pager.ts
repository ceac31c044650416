import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import type { ObjectLiteral, OrderByCondition, SelectQueryBuilder } from 'typeorm';
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
  /**
   * Read these parts one after the other instead of one order over `sort` (which then only
   * names the direction): each part is one index range read in its own unique column's
   * order, so a broad filter costs a page of index entries, whatever it matches. The parts
   * must be disjoint; together they are the list.
   */
  sections?: ListSection[];
  /**
   * A filter made of disjoint index ranges (e.g. prefixSections), with the list in `sort`'s
   * order, which none of those indexes serves. Up to EXACT_COUNT_CAP matches, the page is
   * sorted from the ranges' rows (each range read to its end, at most the cap); past it, a
   * page walks the sort's own index and examines at most SEARCH_SCAN_BUDGET rows: it may
   * then hold fewer than `limit` items, even none, with a `next_cursor` that continues the
   * walk — bounded work per request instead of a walk as long as the planner's luck.
   */
  search?: ListSection[];
  /**
   * Alternatives of one filter (`a OR b`): each is read on its own in the sort's order (its
   * own index range) and the reads are merged, instead of one read the planner may serve
   * from the sort's index alone, filtering. Rows matching several are served once.
   */
  branches?: ListCondition[];
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
  /**
   * Compare and order by code point: on PostgreSQL with the pattern operators (`~<~`), which
   * a `varchar_pattern_ops` index serves whatever the database's collation; SQLite's binary
   * collation already is code point order.
   */
  codePoints?: boolean;
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
  /** section of the last row, for a list read in sections */
  c?: string;
}

type Section = 'values' | 'nulls';

/** Rows of a page read (take = limit + 1), their cursor keys; `resume`: a scan stopped there with the page not full. */
interface PageRead<E> {
  rows: E[];
  keys: (string | null)[];
  sections?: string[];
  resume?: { k: string | null; i: string };
}

/** How long a row estimate far past EXACT_COUNT_CAP is reused, in ms (see ListPager.plannedRows). */
export const ESTIMATE_REUSE_MS = 5_000;
/** Reused estimates kept at most: one per list and filter set in recent use. */
const MAX_REUSED_ESTIMATES = 256;

/** A search past EXACT_COUNT_CAP matches examines at most this many rows (in sort order) per page. */
export const SEARCH_SCAN_BUDGET = 2_000;

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
  /** Estimates past 10 × EXACT_COUNT_CAP by query text and parameters, oldest first (see plannedRows). */
  private readonly estimates = new Map<string, { rows: number; until: number }>();

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
    // A search (a filter made of index ranges, in an order no range index serves): count the
    // matches first (capped), then read them by the cheapest bounded way that count allows.
    const searched = request.search ? await this.countParts(base, 0, request.search) : undefined;
    // A cursor page always reports a count: it starts with the read (start is a lower bound
    // for an estimate; the page's rows raise it below).
    const parts = request.sections ?? (request.branches ? disjoint(request.branches) : undefined);
    const early = cursor && !request.search ? this.count(base, start, parts) : undefined;
    // Handled below once the read is done; should the read fail first, not an unhandled rejection.
    early?.catch(() => undefined);
    const read: PageRead<E> = request.search
      ? await this.readSearch(base, request.sort, request.search, searched!.estimate || searched!.total > EXACT_COUNT_CAP, cursor, offset, limit + 1)
      : request.sections
        ? await this.readSections(base, request.sections, cursor, offset, limit + 1)
        : request.branches
          ? await this.readBranches(base, request.sort, request.branches, cursor, offset, limit + 1)
          : cursor
            ? await this.afterCursor(base, request.sort, cursor, limit + 1)
            : await this.atOffset(base, request.sort, offset, limit + 1);
    const { rows, keys, sections, resume } = read;
    const more = rows.length > limit || resume !== undefined;
    const pageRows = rows.slice(0, limit);
    const last = pageRows.length - 1;
    const nextCursor = more
      ? this.encode({
          l: request.list,
          s: request.sortName,
          f: filterDigest,
          k: resume ? resume.k : keys[last]!,
          i: resume ? resume.i : pageRows[last]!.id,
          p: start + pageRows.length,
          ...(sections ? { c: sections[last]! } : {}),
        })
      : null;
    // The count and the page's own reads (e.g. role names) go to the database side by side.
    const [items, { total, estimate }] = await Promise.all([
      map(pageRows),
      searched
        ? { total: Math.max(searched.total, start + pageRows.length), estimate: searched.estimate }
        : !more && !cursor && (pageRows.length > 0 || offset === 0)
          ? { total: offset + pageRows.length, estimate: false }
          : early
            ? early.then((c) => (c.estimate ? { total: Math.max(c.total, start + pageRows.length), estimate: true } : c))
            : this.count(base, start + pageRows.length, parts),
    ]);
    return { items, total, total_is_estimate: estimate, limit, offset: start, next_cursor: nextCursor };
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
      const column = sectionInOrder(query, sort, section, section === from ? cursor : undefined);
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
  private async count<E extends ObjectLiteral>(base: SelectQueryBuilder<E>, atLeast: number, parts?: readonly (ListCondition | ListSection)[]): Promise<{ total: number; estimate: boolean }> {
    const connection = base.dataSource;
    if (parts) return this.countParts(base, atLeast, parts);
    if (connection.driver.options.type !== 'postgres') {
      const counted = await base.clone().select('COUNT(*)', 'n').orderBy().getRawOne<{ n: number | string }>();
      return { total: Number(counted?.n ?? 0), estimate: false };
    }
    const estimate = () => this.plannedRows(base.clone().select('1', 'one').orderBy());
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

  /**
   * `count` for a list made of disjoint parts: each part counted on its own index range (in
   * that range's order, so the planner walks the index), capped so that the whole count
   * reads at most EXACT_COUNT_CAP + 1 entries past what the parts' filters skip. Past the
   * cap, PostgreSQL's estimate for the parts' union.
   */
  /**
   * PostgreSQL's row estimate for `query`. One far past the cap (the answer's `total` as it
   * is) is reused for ESTIMATE_REUSE_MS: it moves only when the table's statistics do, and
   * every first or cursor page of a large list would otherwise plan the same query again.
   */
  private async plannedRows<E extends ObjectLiteral>(query: SelectQueryBuilder<E>): Promise<number> {
    const [sql, parameters] = query.getQueryAndParameters();
    const key = `${sql}\n${JSON.stringify(parameters)}`;
    const now = performance.now();
    const reused = this.estimates.get(key);
    if (reused !== undefined && reused.until > now) return reused.rows;
    const [{ 'QUERY PLAN': plan }] = await query.connection.query(`EXPLAIN (FORMAT JSON) ${sql}`, parameters);
    const rows = Math.round(Number((typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan['Plan Rows']));
    this.estimates.delete(key);
    if (rows > 10 * EXACT_COUNT_CAP) {
      if (this.estimates.size >= MAX_REUSED_ESTIMATES) this.estimates.delete(this.estimates.keys().next().value!);
      this.estimates.set(key, { rows, until: now + ESTIMATE_REUSE_MS });
    }
    return rows;
  }

  private async countParts<E extends ObjectLiteral>(base: SelectQueryBuilder<E>, atLeast: number, parts: readonly (ListCondition | ListSection)[]) {
    const connection = base.dataSource;
    const postgres = connection.driver.options.type === 'postgres';
    const estimate = () => {
      const union = base.clone().andWhere(
        `(${parts.map((p) => `(${p.where})`).join(' OR ')})`,
        Object.assign({}, ...parts.map((p) => p.parameters ?? {})),
      );
      return this.plannedRows(union.select('1', 'one').orderBy());
    };
    // The parts are index ranges and equalities on one column each, which the planner's
    // statistics estimate well: far past the cap, counting up to it would only confirm it.
    if (postgres) {
      const planned = await estimate();
      if (planned > 10 * EXACT_COUNT_CAP) return { total: Math.max(planned, atLeast), estimate: true };
    }
    // Each part capped on its own, side by side (at most parts × (cap + 1) entries in all).
    const counts = await Promise.all(
      parts.map(async (part) => {
        const query = base.clone().andWhere(part.where, part.parameters).select('1', 'one').orderBy();
        if (!postgres) {
          const [sql, parameters] = query.getQueryAndParameters();
          const [{ n }] = await connection.query(`SELECT COUNT(*) AS n FROM (${sql}) AS part`, parameters);
          return Number(n);
        }
        if ('property' in part) orderBySection(query, part);
        const [sql, parameters] = query.limit(EXACT_COUNT_CAP + 1).getQueryAndParameters();
        const [{ n }] = await connection.query(`SELECT COUNT(*)::int AS n FROM (${sql}) AS capped`, parameters);
        return Number(n);
      }),
    );
    const counted = counts.reduce((a, b) => a + b, 0);
    if (counted <= EXACT_COUNT_CAP || !postgres) return { total: counted, estimate: false };
    return { total: Math.max(await estimate(), counted, atLeast), estimate: true };
  }

  /**
   * A list read in sections (ListRequest.sections): from the cursor's section and key, or
   * from the start skipping `offset` rows (a skipped section is counted, not read).
   */
  private async readSections<E extends ObjectLiteral>(base: SelectQueryBuilder<E>, sections: readonly ListSection[], cursor: CursorPayload | undefined, offset: number, take: number) {
    let index = 0;
    if (cursor) {
      index = sections.findIndex((s) => s.name === cursor.c);
      if (index < 0 || cursor.k === null) throw new BadRequestException('cursor does not match this list');
    }
    let skip = cursor ? 0 : offset;
    const rows: E[] = [];
    const keys: (string | null)[] = [];
    const names: string[] = [];
    for (let resume = cursor; index < sections.length && rows.length < take; index++, resume = undefined) {
      const section = sections[index]!;
      const query = base.clone().andWhere(section.where, section.parameters);
      const column = columnOf(query, section.property);
      if (resume) {
        const after = section.codePoints && isPostgres(query) ? '~>~' : '>';
        query.andWhere(`${column} ${after} :fabricCursorKey`, { fabricCursorKey: resume.k });
      }
      orderBySection(query, section);
      if (skip > 0) query.offset(skip);
      const page = await this.read(query.limit(take - rows.length), column);
      if (page.rows.length === 0 && skip > 0) {
        // This section ends before the offset: skip all of it and go on from the next one.
        const [sql, parameters] = base.clone().andWhere(section.where, section.parameters).select('1', 'one').orderBy().getQueryAndParameters();
        const [{ n }] = await query.connection.query(`SELECT COUNT(*) AS n FROM (${sql}) AS part`, parameters);
        skip -= Math.min(skip, Number(n));
        continue;
      }
      skip = 0;
      rows.push(...page.rows);
      keys.push(...page.keys);
      names.push(...page.rows.map(() => section.name));
    }
    return { rows, keys, sections: names };
  }

  private async readSearch<E extends { id: string }>(
    base: SelectQueryBuilder<E>,
    sort: ListSort,
    parts: readonly ListSection[],
    many: boolean,
    cursor: CursorPayload | undefined,
    offset: number,
    take: number,
  ): Promise<PageRead<E>> {
    if (!many) return this.readCandidates(base, sort, parts, cursor, offset, take);
    const hit = { where: `(${parts.map((p) => `(${p.where})`).join(' OR ')})`, parameters: Object.assign({}, ...parts.map((p) => p.parameters ?? {})) };
    // An offset page past the cap is the documented slow path: the planner's plan over the whole filter.
    if (!cursor && offset > 0) return this.atOffset(base.clone().andWhere(hit.where, hit.parameters), sort, offset, take);
    return this.scan(base, sort, hit, cursor, take);
  }

  /**
   * A search with at most EXACT_COUNT_CAP matches: every part's rows (each one index range,
   * LIMITed so that the planner keeps to it) unioned, then sorted and paged in one statement.
   */
  private async readCandidates<E extends { id: string }>(
    base: SelectQueryBuilder<E>,
    sort: ListSort,
    parts: readonly ListSection[],
    cursor: CursorPayload | undefined,
    offset: number,
    take: number,
  ): Promise<PageRead<E>> {
    const postgres = isPostgres(base);
    const values: unknown[] = [];
    const bind = (value: unknown) => (values.push(value), postgres ? `$${values.length}` : '?');
    const selects = parts.map((part, n) => {
      const query = base.clone().andWhere(part.where, part.parameters);
      const column = columnOf(query, sort.property);
      query.select(columnOf(query, 'id'), 'fabric_id').addSelect(column, 'fabric_value').addSelect(`CAST(${column} AS TEXT)`, 'fabric_key');
      orderBySection(query, part);
      const [sql, parameters] = query.limit(EXACT_COUNT_CAP + 1).getQueryAndParameters();
      const shift = values.length;
      values.push(...parameters);
      // Each part as a subquery: SQLite has no parenthesised members of a UNION.
      return `SELECT * FROM (${postgres ? sql.replace(/\$(\d+)/g, (_, i: string) => `$${Number(i) + shift}`) : sql}) AS fabric_part${n}`;
    });
    const direction = sort.descending ? 'DESC' : 'ASC';
    const nulls = sort.nullable ? (sort.descending ? ' NULLS FIRST' : ' NULLS LAST') : '';
    let where = '';
    if (cursor) {
      const [after, v, i] = [sort.descending ? '<' : '>', 'c.fabric_value', 'c.fabric_id'];
      if (cursor.k === null) {
        const nullsAfter = `(${v} IS NULL AND ${i} ${after} ${bind(cursor.i)})`;
        where = sort.descending ? `WHERE ${nullsAfter} OR ${v} IS NOT NULL` : `WHERE ${nullsAfter}`;
      } else {
        // One placeholder per use: SQLite's `?` are positional.
        const keyset = `(${v} ${after} ${bind(cursor.k)} OR (${v} = ${bind(cursor.k)} AND ${i} ${after} ${bind(cursor.i)}))`;
        where = `WHERE ${keyset}${sort.nullable && !sort.descending ? ` OR ${v} IS NULL` : ''}`;
      }
    }
    const sql =
      `SELECT c.fabric_id AS id, c.fabric_key AS k FROM (${selects.join(' UNION ALL ')}) AS c ${where} ` +
      `ORDER BY c.fabric_value ${direction}${nulls}, c.fabric_id ${direction} LIMIT ${take}${!cursor && offset > 0 ? ` OFFSET ${offset}` : ''}`;
    const found = (await base.connection.query(sql, values)) as { id: unknown; k: unknown }[];
    return this.hydrate(base, found.map((r) => ({ id: String(r.id), k: r.k === null ? null : String(r.k) })));
  }

  /**
   * A search past the cap: walks the sort's own index from the cursor (as afterCursor does),
   * reading only id, key and whether the row matches, for at most SEARCH_SCAN_BUDGET rows.
   */
  private async scan<E extends { id: string }>(base: SelectQueryBuilder<E>, sort: ListSort, hit: ListCondition, cursor: CursorPayload | undefined, take: number): Promise<PageRead<E>> {
    const sections: Section[] = !sort.nullable ? ['values'] : sort.descending ? ['nulls', 'values'] : ['values', 'nulls'];
    const from = cursor === undefined ? sections[0]! : cursor.k === null ? 'nulls' : 'values';
    const hits: { id: string; k: string | null }[] = [];
    let examined = 0;
    let lastSeen: { k: string | null; i: string } | undefined;
    for (const section of sections.slice(sections.indexOf(from))) {
      const query = base.clone();
      const column = sectionInOrder(query, sort, section, section === from ? cursor : undefined);
      const id = columnOf(query, 'id');
      query
        .select(id, 'fabric_id')
        .addSelect(`CAST(${column} AS TEXT)`, 'fabric_key')
        .addSelect(`CASE WHEN ${hit.where} THEN 1 ELSE 0 END`, 'fabric_hit')
        .setParameters({ ...query.getParameters(), ...hit.parameters })
        .limit(SEARCH_SCAN_BUDGET - examined);
      const raw = (await query.getRawMany()) as { fabric_id: unknown; fabric_key: unknown; fabric_hit: unknown }[];
      for (const row of raw) {
        const seen = { i: String(row.fabric_id), k: row.fabric_key === null ? null : String(row.fabric_key) };
        if (Number(row.fabric_hit) === 1) hits.push({ id: seen.i, k: seen.k });
        lastSeen = seen;
        if (hits.length >= take) break;
      }
      examined += raw.length;
      if (hits.length >= take || examined >= SEARCH_SCAN_BUDGET) break;
    }
    const page = hits.slice(0, take);
    const cut = page.length < take && examined >= SEARCH_SCAN_BUDGET ? lastSeen : undefined;
    return { ...(await this.hydrate(base, page)), resume: cut };
  }

  /** Entities for a page chosen from narrower rows, in its order (a row deleted meanwhile is left out). */
  private async hydrate<E extends { id: string }>(base: SelectQueryBuilder<E>, page: { id: string; k: string | null }[]): Promise<PageRead<E>> {
    if (page.length === 0) return { rows: [], keys: [] };
    const found = await base.clone().andWhereInIds(page.map((p) => p.id)).getMany();
    const byId = new Map(found.map((e) => [e.id, e]));
    const kept = page.filter((p) => byId.has(p.id));
    return { rows: kept.map((p) => byId.get(p.id)!), keys: kept.map((p) => p.k) };
  }

  /**
   * A list whose filter is an OR of branches (ListRequest.branches): each branch read in the
   * sort's order from the cursor (its own index range, LIMIT take), merged by (key, id) and
   * deduplicated. The first `take` rows of the union are among the first `take` of each
   * branch, so nothing more is read. The key's text form must order as the column does
   * (timestamps do). An offset page reads offset + take rows of each branch.
   */
  private async readBranches<E extends { id: string }>(base: SelectQueryBuilder<E>, sort: ListSort, branches: readonly ListCondition[], cursor: CursorPayload | undefined, offset: number, take: number) {
    if (sort.nullable) throw new Error('branches need a sort column without NULLs');
    const reads = await Promise.all(
      branches.map((branch) => {
        const query = base.clone().andWhere(branch.where, branch.parameters);
        const column = columnOf(query, sort.property);
        const id = columnOf(query, 'id');
        const direction = sort.descending ? 'DESC' : 'ASC';
        if (cursor) {
          const after = sort.descending ? '<' : '>';
          query.andWhere(`(${column}, ${id}) ${after} (:fabricCursorKey, :fabricCursorId)`, { fabricCursorKey: cursor.k, fabricCursorId: cursor.i });
        }
        query.orderBy(column, direction).addOrderBy(id, direction);
        return this.read(query.limit((cursor ? 0 : offset) + take), column);
      }),
    );
    const merged = new Map<string, { row: E; key: string | null }>();
    for (const read of reads) read.rows.forEach((row, n) => merged.has(row.id) || merged.set(row.id, { row, key: read.keys[n]! }));
    const sign = sort.descending ? -1 : 1;
    const ordered = [...merged.values()].sort((a, b) => sign * (compare(a.key!, b.key!) || compare(a.row.id, b.row.id)));
    const page = ordered.slice(cursor ? 0 : offset, (cursor ? 0 : offset) + take);
    return { rows: page.map((p) => p.row), keys: page.map((p) => p.key), sections: undefined };
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
    (p.k === null || typeof p.k === 'string') && Number.isSafeInteger(p.p) && p.p! >= 0 &&
    (p.c === undefined || typeof p.c === 'string')
  );
}

function isPostgres(query: SelectQueryBuilder<ObjectLiteral>): boolean {
  return query.dataSource.driver.options.type === 'postgres';
}

/**
 * ORDER BY a section's column. Code point order on PostgreSQL is `USING ~<~`, which TypeORM's
 * orderBy() refuses (it takes ASC/DESC only), so the clause goes into its order map as is.
 */
function orderBySection(query: SelectQueryBuilder<ObjectLiteral>, section: ListSection): void {
  const column = columnOf(query, section.property);
  if (section.codePoints && isPostgres(query)) query.expressionMap.orderBys = { [column]: 'USING ~<~' } as unknown as OrderByCondition;
  else query.orderBy(column, 'ASC');
}

/** Branches made disjoint for counting: each one without the rows of the ones before it. */
function disjoint(branches: readonly ListCondition[]): ListCondition[] {
  return branches.map((branch, n) => ({
    where: [`(${branch.where})`, ...branches.slice(0, n).map((b) => `NOT COALESCE((${b.where}), FALSE)`)].join(' AND '),
    parameters: Object.assign({}, ...branches.slice(0, n + 1).map((b) => b.parameters ?? {})),
  }));
}

/** Plain code unit order is enough for keys and ids: timestamps' text and lowercase hex. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Restricts `query` to one section of the sort column (its values, or its nulls) in index
 * order, after `from` when the walk resumes there; answers the column's SQL name.
 */
function sectionInOrder(query: SelectQueryBuilder<ObjectLiteral>, sort: ListSort, section: Section, from: CursorPayload | undefined): string {
  const column = columnOf(query, sort.property);
  const id = columnOf(query, 'id');
  const direction = sort.descending ? 'DESC' : 'ASC';
  const after = sort.descending ? '<' : '>';
  if (section === 'nulls') {
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
 * `?q=` as sections (ListRequest.sections): rows whose first property starts with `prefix`, in
 * that property's code point order, then rows where only the second does, in the second's
 * order, and so on. Each section is one range of a prefix index (PostgreSQL's
 * `varchar_pattern_ops` indexes, SQLite's unique indexes) read in index order, so the first
 * page of a prefix that matches a tenth of a million rows reads about a page of index
 * entries. The one page where a later section begins also skips the earlier sections' rows
 * in its range (at most their number). The properties must be unique columns.
 */
export function prefixSections(query: SelectQueryBuilder<ObjectLiteral>, properties: readonly string[], prefix: string): ListSection[] {
  const postgres = isPostgres(query);
  const upper = successorOfPrefix(prefix);
  const range = (property: string) => {
    const c = columnOf(query, property);
    const [ge, lt] = postgres ? ['~>=~', '~<~'] : ['>=', '<'];
    return upper === null ? `${c} ${ge} :fabricLow` : `(${c} ${ge} :fabricLow AND ${c} ${lt} :fabricHigh)`;
  };
  // A NULL column is not in the range: COALESCE keeps NOT from turning it into NULL.
  return properties.map((property, n) => ({
    name: property,
    property,
    codePoints: true,
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
