import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { ListDialect } from './dialect.js';
import { renderedSql } from './statement-cache.js';
import { anyOf, INLINE_COUNT, type ListCondition, type ListSection, orderByPart } from './list-request.js';

/** Up to this many matching rows `total` is counted exactly; past it the planner's estimate is used. */
export const EXACT_COUNT_CAP = 10_000;
/** How long a row estimate far past EXACT_COUNT_CAP is reused, in ms (see CappedCount.plannedRows). */
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
 */
export class CappedCount {
  /** Estimates past FAR_PAST_CAP by query text and parameters, oldest first (see plannedRows). */
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
    const connection = base.dataSource;
    const estimator = dialect.estimateRows;
    if (!estimator) {
      const counted = await base.clone().select('COUNT(*)', 'n').orderBy().getRawOne<{ n: number | string }>();
      return { total: Number(counted?.n ?? 0), estimate: false };
    }
    const estimate = () => this.plannedRows(() => base.clone().select('1', 'one').orderBy(), estimator, identity && `all\n${identity}`);
    // Without a filter the planner's figure is the table's own statistics: when it is far past
    // the cap, counting up to the cap would only confirm it.
    if (base.expressionMap.wheres.length === 0) {
      const planned = await estimate();
      if (planned > FAR_PAST_CAP) return { total: Math.max(planned, atLeast), estimate: true };
    } else if (identity !== undefined) {
      // With a filter, the estimate is kept only once a count has gone past the cap (below): the
      // next pages of the same list and filters, within ESTIMATE_REUSE_MS, take that outcome as
      // it was rather than read cap + 1 index entries again to learn the same.
      const known = this.reused(`all\n${identity}`, performance.now());
      if (known !== undefined) return { total: Math.max(known, atLeast), estimate: true };
    }
    const [sql, parameters] = base
      .clone()
      .select('1', 'one')
      .orderBy()
      .limit(EXACT_COUNT_CAP + 1)
      .getQueryAndParameters();
    const [{ n }] = await connection.query(dialect.countOf(sql), parameters);
    if (Number(n) <= EXACT_COUNT_CAP) return { total: Number(n), estimate: false };
    return { total: Math.max(await estimate(), Number(n), atLeast), estimate: true };
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
    const connection = base.dataSource;
    const estimator = dialect.estimateRows;
    const union = anyOf(parts);
    const estimate = (of: NonNullable<ListDialect['estimateRows']>) =>
      this.plannedRows(() => base.clone().andWhere(union.where, union.parameters).select('1', 'one').orderBy(), of, identity && `parts\n${identity}`);
    // The parts are index ranges and equalities on one column each, which the planner's
    // statistics estimate well: far past the cap, counting up to it would only confirm it.
    if (estimator) {
      const planned = await estimate(estimator);
      if (planned > FAR_PAST_CAP) return { total: Math.max(planned, atLeast), estimate: true };
    }
    // Each part capped on its own, side by side (at most parts × (cap + 1) entries in all);
    // without an estimate to fall back on, each is counted to its end.
    const counts = await Promise.all(
      parts.map(async (part) => {
        const query = base.clone().andWhere(part.where, part.parameters).select('1', 'one').orderBy();
        if (estimator) {
          if ('property' in part) orderByPart(query, dialect, part);
          query.limit(EXACT_COUNT_CAP + 1);
        }
        const [sql, parameters] = query.getQueryAndParameters();
        const [{ n }] = await connection.query(dialect.countOf(sql), parameters);
        return Number(n);
      }),
    );
    const counted = counts.reduce((a, b) => a + b, 0);
    if (counted <= EXACT_COUNT_CAP || !estimator) return { total: counted, estimate: false };
    return { total: Math.max(await estimate(estimator), counted, atLeast), estimate: true };
  }

  /**
   * The count of `base` as a column of the page's own statement (INLINE_COUNT), capped as
   * `count` caps it: one round trip for the page and its total, where the count would be a
   * statement of its own beside it. `known`: a fresh estimate of this list (see `count`), so
   * nothing needs counting. An unfiltered table is counted too (up to the cap, on an index),
   * rather than estimated first: the estimate is then planned only once the count reaches the
   * cap, and kept for the next pages.
   */
  inline<E extends ObjectLiteral>(
    base: SelectQueryBuilder<E>,
    dialect: ListDialect,
    identity: string,
    countFrom: SelectQueryBuilder<ObjectLiteral> = base,
  ): { known: number } | { query: SelectQueryBuilder<E> } {
    const known = dialect.estimateRows ? this.reused(`all\n${identity}`, performance.now()) : undefined;
    if (known !== undefined) return { known };
    const counted = countFrom.clone().select('1', 'one').orderBy();
    // Without an estimate to fall back on, counted to the end.
    if (dialect.estimateRows) counted.limit(EXACT_COUNT_CAP + 1);
    return { query: base.clone().addSelect(`(${dialect.countOf(renderedSql(counted))})`, INLINE_COUNT) };
  }

  /** The total from an inline count (`counted`, see `inline`): past the cap, the planner's estimate. */
  async settle<E extends ObjectLiteral>(base: SelectQueryBuilder<E>, dialect: ListDialect, counted: number, atLeast: number, identity: string): Promise<ListCount> {
    const estimator = dialect.estimateRows;
    if (!estimator || counted <= EXACT_COUNT_CAP) return { total: counted, estimate: false };
    const planned = await this.plannedRows(() => base.clone().select('1', 'one').orderBy(), estimator, `all\n${identity}`);
    return { total: Math.max(planned, counted, atLeast), estimate: true };
  }

  /** A kept estimate (only ever one far past the cap) that is still fresh at `now`. */
  private reused(key: string, now: number): number | undefined {
    const entry = this.estimates.get(key);
    return entry !== undefined && entry.until > now ? entry.rows : undefined;
  }

  /**
   * The planner's row estimate for `query`. An estimate far past the cap (which is when it
   * is) is reused for ESTIMATE_REUSE_MS: it moves only when the table's statistics do, and
   * planning the same statement on every page of a big list is most of that page's cost.
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
    this.estimates.delete(key);
    if (rows > FAR_PAST_CAP) {
      if (this.estimates.size >= MAX_REUSED_ESTIMATES) this.estimates.delete(this.estimates.keys().next().value!);
      this.estimates.set(key, { rows, until: now + ESTIMATE_REUSE_MS });
    }
    return rows;
  }
}
