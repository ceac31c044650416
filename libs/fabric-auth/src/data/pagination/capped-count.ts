import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { ListDialect } from './dialect.js';
import { around, bound, renderedSql, type Sql, statementOf } from './statement-cache.js';
import { readStatement } from '../named-statements.js';
import { anyOf, columnOf, INLINE_COUNT, type ListCondition, type ListSection, orderByPart } from './list-request.js';

/** Up to this many matching rows `total` is counted exactly; past it the planner's estimate is used. */
export const EXACT_COUNT_CAP = 10_000;
/** How long an estimated total is reused, in ms (see CappedCount.keep). */
export const ESTIMATE_REUSE_MS = 5_000;
/** Reused estimates kept at most: one per list and filter set in recent use. */
const MAX_REUSED_ESTIMATES = 256;
/** An estimate this far past the cap is trusted without counting up to the cap to confirm it. */
const FAR_PAST_CAP = 10 * EXACT_COUNT_CAP;

export interface ListCount {
  total: number;
  estimate: boolean;
}

/**
 * `total` of a list: exact up to EXACT_COUNT_CAP matching rows (the count stops there), past
 * it the planner's row estimate — so the count of a page costs at most cap + 1 index entries
 * whatever the table holds. A database without estimates (SQLite) is counted exactly.
 * Once a list is known to be past the cap, its estimate is kept for ESTIMATE_REUSE_MS (see
 * keep); an exact count is never kept.
 */
export class CappedCount {
  /** Totals known to be past the cap, by list identity (or query text and parameters), oldest first (see keep). */
  private readonly estimates = new Map<string, { rows: number; until: number }>();

  /**
   * `atLeast`: rows known to exist (an estimate is never below it). `parts`: see countParts.
   * `identity`: names the query `base` is (the same identity, the same SQL), so that a reused
   * estimate is found without rendering the SQL again; without it, the SQL is the key.
   */
  async count<E extends ObjectLiteral>(
    base: SelectQueryBuilder<E>,
    dialect: ListDialect,
    atLeast: number,
    parts?: readonly (ListCondition | ListSection)[],
    identity?: string,
  ): Promise<ListCount> {
    if (parts) return this.countParts(base, dialect, atLeast, parts, identity);
    const estimator = dialect.estimateRows;
    if (!estimator) {
      const counted = await base.clone().select('COUNT(*)', 'n').orderBy().getRawOne<{ n: number | string }>();
      return { total: Number(counted?.n ?? 0), estimate: false };
    }
    const key = identity && `all\n${identity}`;
    const known = this.known(dialect, key, atLeast);
    if (known) return known;
    const estimate = () => this.plannedRows(() => base.clone().select('1', 'one').orderBy(), estimator, key);
    // Without a filter the planner's figure is the table's own statistics: when it is far past
    // the cap, counting up to the cap would only confirm it.
    if (base.expressionMap.wheres.length === 0) {
      const planned = await estimate();
      if (planned > FAR_PAST_CAP) return { total: Math.max(planned, atLeast), estimate: true };
    }
    const [{ n }] = await readCount(
      base
        .clone()
        .select('1', 'one')
        .orderBy()
        .limit(EXACT_COUNT_CAP + 1),
      dialect,
    );
    if (Number(n) <= EXACT_COUNT_CAP) return { total: Number(n), estimate: false };
    return this.pastCap(await estimate(), Number(n), atLeast, key);
  }

  /**
   * A list made of disjoint parts: each part counted on its own index range (in that range's
   * order, so the planner walks the index), capped so that the whole count reads at most
   * EXACT_COUNT_CAP + 1 entries of each part. Past the cap, the planner's estimate of the union.
   */
  async countParts<E extends ObjectLiteral>(
    base: SelectQueryBuilder<E>,
    dialect: ListDialect,
    atLeast: number,
    parts: readonly (ListCondition | ListSection)[],
    identity?: string,
  ): Promise<ListCount> {
    const estimator = dialect.estimateRows;
    const key = identity && `parts\n${identity}`;
    const known = this.known(dialect, key, atLeast);
    if (known) return known;
    const union = anyOf(parts);
    // The parts are index ranges and equalities on one column each, which the planner's
    // statistics estimate well: far past the cap, counting up to it would only confirm it.
    const planned = estimator ? await this.plannedRows(() => base.clone().andWhere(union.where, union.parameters).select('1', 'one').orderBy(), estimator, key) : undefined;
    if (planned !== undefined && planned > FAR_PAST_CAP) return { total: Math.max(planned, atLeast), estimate: true };
    // Each part capped on its own, side by side (at most parts × (cap + 1) entries in all);
    // without an estimate to fall back on, each is counted to its end.
    const counts = await Promise.all(
      parts.map(async (part) => {
        const [{ n }] = await readCount(partCount(base, dialect, part), dialect);
        return Number(n);
      }),
    );
    const counted = counts.reduce((a, b) => a + b, 0);
    if (counted <= EXACT_COUNT_CAP || planned === undefined) return { total: counted, estimate: false };
    return this.pastCap(planned, counted, atLeast, key);
  }

  /**
   * The count of `base` as a column of the page's own statement (INLINE_COUNT), capped as
   * `count` caps it: one round trip for the page and its total, where the count would be a
   * statement of its own beside it. `known`: a fresh estimate of this list (see `count`), so
   * nothing needs counting. An unfiltered table is counted too (up to the cap, on an index),
   * rather than estimated first: the estimate is then planned only once the count reaches the
   * cap, and kept for the next pages. `capAsParameter` (ListRequest.pagedByParameters): the
   * cap is a parameter of the statement rather than written in it.
   */
  inline<E extends ObjectLiteral>(
    base: SelectQueryBuilder<E>,
    dialect: ListDialect,
    identity: string,
    countFrom: SelectQueryBuilder<ObjectLiteral> = base,
    capAsParameter = false,
  ): { known: number } | { query: SelectQueryBuilder<E> } {
    const known = this.kept(dialect, `all\n${identity}`);
    if (known !== undefined) return { known };
    const counted = countFrom.clone().select('1', 'one').orderBy();
    const query = base.clone();
    let sql: string;
    // Without an estimate to fall back on, counted to the end.
    if (!dialect.estimateRows) sql = renderedSql(counted);
    else if (!capAsParameter) sql = renderedSql(counted.limit(EXACT_COUNT_CAP + 1));
    else {
      // The plan PostgreSQL keeps for a named statement is costed for an average parent: with the
      // cap written in (far above an average parent's rows), it counted a large parent with a
      // bitmap scan of its every index entry before the LIMIT could stop it (200,000 entries,
      // 22–280 ms, reviewer's measure); with the cap unknown, it costs the count as a tenth of
      // the parent's rows and walks the index, which stops at the cap.
      sql = `${renderedSql(counted)} LIMIT :fabricCountCap`;
      query.setParameter('fabricCountCap', EXACT_COUNT_CAP + 1);
    }
    return { query: query.addSelect(`(${dialect.countOf(sql)})`, INLINE_COUNT) };
  }

  /**
   * The capped count of the rows matching any of `branches` (ListRequest.branches) for the
   * page's own statement: a statement answering it as `n` (see countOfAny; named parameters,
   * those of `base` and the branches). `known`: a kept estimate of this list, nothing to count.
   */
  inlineUnion<E extends ObjectLiteral>(
    base: SelectQueryBuilder<E>,
    dialect: ListDialect,
    identity: string,
    branches: readonly ListCondition[],
  ): { known: number } | { count: Sql } {
    const known = this.kept(dialect, `all\n${identity}`);
    if (known !== undefined) return { known };
    return { count: countOfAny(base, dialect, branches) };
  }

  /** Whether countParts has a kept estimate of this list to answer, so that no statement counts it. */
  keepsParts(dialect: ListDialect, identity: string): boolean {
    return this.kept(dialect, `parts\n${identity}`) !== undefined;
  }

  /**
   * The capped count of each of `parts` (disjoint, see countParts) as columns of the page's own
   * statement, in the parts' order: each part counted on its own index range, up to the cap
   * where an estimate can take over (past it, `settle` with the parts as branches). `known`: a
   * kept estimate of this list, nothing to count. Undefined for a list found past the cap
   * before whose estimate has run out: counted as countParts counts, estimate first, since a
   * part's filter may reject most of its index range, and counting it could then walk all of
   * that range to learn what the estimate says.
   */
  inlineParts<E extends ObjectLiteral>(
    base: SelectQueryBuilder<E>,
    dialect: ListDialect,
    identity: string,
    parts: readonly ListSection[],
  ): { known: number } | { counts: string[] } | undefined {
    const key = `all\n${identity}`;
    const known = this.kept(dialect, key);
    if (known !== undefined) return { known };
    if (dialect.estimateRows && this.estimates.has(key)) return undefined;
    const counts = parts.map((part) => `(${dialect.countOf(renderedSql(partCount(base, dialect, part)))})`);
    return { counts };
  }

  /** The count of the rows matching any of `branches` in a statement of its own (a page that read none carries no count). */
  async countUnion<E extends ObjectLiteral>(
    base: SelectQueryBuilder<E>,
    dialect: ListDialect,
    atLeast: number,
    branches: readonly ListCondition[],
    identity: string,
  ): Promise<ListCount> {
    const known = this.known(dialect, `all\n${identity}`, atLeast);
    if (known) return known;
    const parameters = Object.assign({}, base.getParameters(), ...branches.map((b) => b.parameters ?? {}));
    const [{ n }] = await readStatement(base.connection, ...bound(base, countOfAny(base, dialect, branches), parameters));
    return this.settle(base, dialect, Number(n), atLeast, identity, branches);
  }

  /**
   * The total from an inline count (`counted`, see `inline` and `inlineUnion`): past the cap,
   * the planner's estimate (of `base` with any of `branches`, when given).
   */
  async settle<E extends ObjectLiteral>(
    base: SelectQueryBuilder<E>,
    dialect: ListDialect,
    counted: number,
    atLeast: number,
    identity: string,
    branches?: readonly ListCondition[],
  ): Promise<ListCount> {
    const estimator = dialect.estimateRows;
    if (!estimator || counted <= EXACT_COUNT_CAP) return { total: counted, estimate: false };
    const any = branches && anyOf(branches);
    const key = `all\n${identity}`;
    const planned = await this.plannedRows(() => (any ? base.clone().andWhere(any.where, any.parameters) : base.clone()).select('1', 'one').orderBy(), estimator, key);
    return this.pastCap(planned, counted, atLeast, key);
  }

  /** A kept total (only ever one past the cap) that is still fresh at `now`. */
  private reused(key: string, now: number): number | undefined {
    const entry = this.estimates.get(key);
    return entry !== undefined && entry.until > now ? entry.rows : undefined;
  }

  /**
   * The fresh total kept under `key`, where the dialect estimates (only an estimate is kept).
   * The one lookup of every count: `inline` and `inlineUnion` answer it before the page is read
   * (the pager raises it to the rows seen), the others through `known`.
   */
  private kept(dialect: ListDialect, key: string | undefined): number | undefined {
    return dialect.estimateRows && key !== undefined ? this.reused(key, performance.now()) : undefined;
  }

  /** The kept total under `key` as a page's count (never below `atLeast`), if there is a fresh one. */
  private known(dialect: ListDialect, key: string | undefined, atLeast: number): ListCount | undefined {
    const rows = this.kept(dialect, key);
    return rows === undefined ? undefined : { total: Math.max(rows, atLeast), estimate: true };
  }

  /**
   * A count that went past the cap: the estimate (never below what was counted), kept under
   * `key` so that the next pages of the same list and filters take that outcome as it was
   * rather than read cap + 1 index entries again to learn the same.
   */
  private pastCap(planned: number, counted: number, atLeast: number, key: string | undefined): ListCount {
    const total = Math.max(planned, counted);
    if (key !== undefined) this.keep(key, total);
    return { total: Math.max(total, atLeast), estimate: true };
  }

  /**
   * Keeps a total known to be past the cap for ESTIMATE_REUSE_MS: it is an estimate anyway,
   * which moves only when the table's statistics do, and planning or counting it again on
   * every page of a big list is most of that page's cost. At most MAX_REUSED_ESTIMATES kept.
   */
  private keep(key: string, rows: number): void {
    this.estimates.delete(key);
    if (this.estimates.size >= MAX_REUSED_ESTIMATES) this.estimates.delete(this.estimates.keys().next().value!);
    this.estimates.set(key, { rows, until: performance.now() + ESTIMATE_REUSE_MS });
  }

  /**
   * The planner's row estimate for `query`. One far past the cap is kept (see keep): that is
   * when it is trusted without counting.
   */
  private async plannedRows<E extends ObjectLiteral>(build: () => SelectQueryBuilder<E>, estimator: NonNullable<ListDialect['estimateRows']>, identity?: string): Promise<number> {
    const now = performance.now();
    const fresh = (key: string) => this.reused(key, now);
    const known = identity === undefined ? undefined : fresh(identity);
    if (known !== undefined) return known;
    const query = build();
    const [sql, parameters] = query.getQueryAndParameters();
    const key = identity ?? `${sql}\n${JSON.stringify(parameters)}`;
    const reused = fresh(key);
    if (reused !== undefined) return reused;
    const rows = await estimator(query.connection, sql, parameters);
    if (rows > FAR_PAST_CAP) this.keep(key, rows);
    return rows;
  }
}

/**
 * The rows of one part of a list made of disjoint parts (countParts, inlineParts), read in that
 * part's index order and capped where an estimate can take over; without an estimate, all of them.
 */
function partCount<E extends ObjectLiteral>(base: SelectQueryBuilder<E>, dialect: ListDialect, part: ListCondition | ListSection): SelectQueryBuilder<E> {
  const query = base.clone().andWhere(part.where, part.parameters).select('1', 'one').orderBy();
  if (dialect.estimateRows) {
    if ('property' in part) orderByPart(query, dialect, part);
    query.limit(EXACT_COUNT_CAP + 1);
  }
  return query;
}

/**
 * A statement answering as `n` how many rows of `base` match any of `branches` (named
 * parameters), a row in two of them once (ListDialect.distinctCount): each branch read on
 * its own index range, capped where an estimate can take over — past the cap in one
 * branch, the whole is past it.
 */
function countOfAny<E extends ObjectLiteral>(base: SelectQueryBuilder<E>, dialect: ListDialect, branches: readonly ListCondition[]): Sql {
  const capped = (query: SelectQueryBuilder<E>) => statementOf(dialect.estimateRows ? query.limit(EXACT_COUNT_CAP + 1) : query);
  if (dialect.distinctCount === 'union') {
    const ids = branches.map((branch) => capped(base.clone().andWhere(branch.where, branch.parameters).select(columnOf(base, 'id'), 'id').orderBy()));
    return around(ids, (texts) => dialect.countOf(texts.map((text, n) => `SELECT id FROM (${text}) AS fabric_ids${n}`).join(' UNION ')));
  }
  const counts = branches.map((branch, n) => {
    const query = base.clone().andWhere(branch.where, branch.parameters);
    for (const before of branches.slice(0, n)) query.andWhere(`NOT COALESCE((${before.where}), FALSE)`, before.parameters);
    return capped(query.select('1', 'one').orderBy());
  });
  return around(counts, (texts) => `SELECT ${texts.map((text) => `(${dialect.countOf(text)})`).join(' + ')} AS n`);
}

/** The capped count of `query` (answering `n`) as its own statement. */
function readCount(query: SelectQueryBuilder<ObjectLiteral>, dialect: ListDialect): Promise<Record<string, unknown>[]> {
  return readStatement(
    query.connection,
    ...bound(
      query,
      around([statementOf(query)], ([text]) => dialect.countOf(text)),
      query.getParameters(),
    ),
  );
}
