import type { DataSource, ObjectLiteral, OrderByCondition, SelectQueryBuilder } from 'typeorm';

/**
 * Everything pagination says differently to PostgreSQL and to SQLite, in one place: the
 * strategies ask the dialect and never test which database they talk to.
 */
export interface ListDialect {
  /** The n-th (1-based) positional parameter of a hand-written statement. */
  placeholder(n: number): string;
  /** `sql` with its positional parameters moved `shift` places on, to join it to a statement that already has `shift`. */
  shiftPlaceholders(sql: string, shift: number): string;
  /**
   * Comparison operators in code point order. PostgreSQL's pattern operators (`~<~`) are the
   * ones a `varchar_pattern_ops` index serves, whatever the database's collation; SQLite's
   * binary collation already is code point order.
   */
  readonly codePoint: { readonly ge: string; readonly gt: string; readonly lt: string };
  /** ORDER BY `column` ascending in code point order. */
  orderByCodePoints(query: SelectQueryBuilder<ObjectLiteral>, column: string): void;
  /** `COUNT(*)` of a subquery, as a number. */
  countOf(sql: string): string;
  /**
   * How a count of the rows matching any of several conditions counts a row in two of them
   * once: `union` — the union of each condition's ids (PostgreSQL hashes them, so each
   * condition reads only its own index range, which holds the id); `disjoint` — each
   * condition without the rows of the ones before it, summed (SQLite would sort each side
   * of a UNION in a temporary B-tree; a row is a rowid lookup away).
   */
  readonly distinctCount: 'union' | 'disjoint';
  /**
   * Whether a UNION ALL of reads each in the same index order is cut to a page (an outer
   * ORDER BY … LIMIT) by merging them as they come (PostgreSQL's Merge Append). SQLite sorts
   * each in a temporary B-tree first, and sends no rows over a wire to save: it leaves the cut
   * to the caller.
   */
  readonly mergesOrderedUnion: boolean;
  /**
   * A scalar subquery answering `value` over the rows of `from` (`FROM … WHERE …`) as a JSON
   * array (NULL or `[]` when none), in `value`'s order when `ordered` (the database's own
   * order, as an `ORDER BY value` statement of its own would give them).
   */
  jsonArrayOf(value: string, from: string, ordered: boolean): string;
  /**
   * A text parameter (`:name`) the planner does not look at: on PostgreSQL a scalar subquery,
   * evaluated once as the statement starts (an InitPlan), which an index condition still
   * bounds a range with. For a condition whose every value is served by the same walk (a
   * prefix's range of the index the page is read in order of, and nothing else to filter):
   * PostgreSQL plans a named statement for each execution as long as the values' own
   * estimates make a fresh plan look cheaper than the cached one (a rare prefix always does),
   * 0.1–0.5 ms a statement; without the value to estimate, it keeps the one plan. A statement
   * planned for its values anyway (unnamed, or an estimate) is given them back
   * (withValuesPlanned). SQLite plans no differently: the parameter as is.
   */
  unplannedText(parameter: string): string;
  /**
   * `column` is one of the values of the array parameter `:parameter`, as one text whatever
   * their number (PostgreSQL `= ANY`, which a named statement can keep); SQLite has no arrays:
   * one placeholder per value.
   */
  oneOf(column: string, parameter: string): string;
  /**
   * The planner's row estimate for a query, or undefined where the database has none to
   * offer (then every count must be exact).
   */
  readonly estimateRows?: (connection: DataSource, sql: string, parameters: unknown[]) => Promise<number>;
}

const postgres: ListDialect = {
  placeholder: (n) => `$${n}`,
  shiftPlaceholders: (sql, shift) => sql.replace(/\$(\d+)/g, (_, i: string) => `$${Number(i) + shift}`),
  codePoint: { ge: '~>=~', gt: '~>~', lt: '~<~' },
  // TypeORM's orderBy() takes ASC/DESC only, so `USING ~<~` goes into its order map as is.
  orderByCodePoints: (query, column) => {
    query.expressionMap.orderBys = { [column]: 'USING ~<~' } as unknown as OrderByCondition;
  },
  countOf: (sql) => `SELECT COUNT(*)::int AS n FROM (${sql}) AS counted`,
  distinctCount: 'union',
  mergesOrderedUnion: true,
  jsonArrayOf: (value, from, ordered) => `(SELECT json_agg(${value}${ordered ? ` ORDER BY ${value}` : ''}) ${from})`,
  unplannedText: (parameter) => `(SELECT CAST(${parameter} AS text))`,
  oneOf: (column, parameter) => `${column} = ANY(:${parameter})`,
  estimateRows: async (connection, sql, parameters) => {
    const [{ 'QUERY PLAN': plan }] = await connection.query(`EXPLAIN (FORMAT JSON) ${withValuesPlanned(sql)}`, parameters);
    return Math.round(Number((typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan['Plan Rows']));
  },
};

const sqlite: ListDialect = {
  // SQLite's `?` are positional: one placeholder per use, in order.
  placeholder: () => '?',
  shiftPlaceholders: (sql) => sql,
  codePoint: { ge: '>=', gt: '>', lt: '<' },
  orderByCodePoints: (query, column) => {
    query.orderBy(column, 'ASC');
  },
  countOf: (sql) => `SELECT COUNT(*) AS n FROM (${sql}) AS counted`,
  distinctCount: 'disjoint',
  mergesOrderedUnion: false,
  // An aggregate takes its rows in the order of the subquery it reads (SQLite has no ORDER BY inside json_group_array before 3.44).
  jsonArrayOf: (value, from, ordered) =>
    ordered ? `(SELECT json_group_array(fabric_v) FROM (SELECT ${value} AS fabric_v ${from} ORDER BY fabric_v))` : `(SELECT json_group_array(${value}) ${from})`,
  unplannedText: (parameter) => parameter,
  oneOf: (column, parameter) => `${column} IN (:...${parameter})`,
};

export const listDialects = { postgres, sqlite } as const;

/**
 * `sql` with every value ListDialect.unplannedText hid from the planner shown to it again: for
 * a statement planned on every run anyway (unnamed, or EXPLAINed for an estimate), where the
 * values can only help it (a prefix that holds most of the table, walked in another order).
 */
export function withValuesPlanned(sql: string): string {
  return sql.replace(/\(SELECT CAST\((\$\d+) AS text\)\)/g, '$1');
}

export function dialectOf(query: SelectQueryBuilder<ObjectLiteral>): ListDialect {
  return dialectFor(query.dataSource);
}

/** The dialect of a data source, for the hand-written statements of a list page (e.g. its role names). */
export function dialectFor(dataSource: DataSource): ListDialect {
  return dataSource.driver.options.type === 'postgres' ? postgres : sqlite;
}
