import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DataSource, SelectQueryBuilder } from 'typeorm';
import { CappedCount, ESTIMATE_REUSE_MS, EXACT_COUNT_CAP } from './capped-count.js';
import { INLINE_COUNT } from './list-request.js';
import { dialectOf, type ListDialect } from './dialect.js';
import { ItemRow, itemTable } from './pagination.spec-support.js';

let data: DataSource;
const items = () => data.getRepository(ItemRow).createQueryBuilder('i');
const ROWS = EXACT_COUNT_CAP + 300;
beforeAll(async () => (data = await itemTable(ROWS)));
afterAll(() => data.destroy());

/** SQLite, but with a planner that answers `planned` rows for every query. */
function estimating(planned: number): ListDialect & { estimateRows: ReturnType<typeof vi.fn> } {
  return { ...dialectOf(items()), estimateRows: vi.fn(async () => planned) };
}

describe('capped count', () => {
  it('without estimates, every count is exact however large', async () => {
    const counter = new CappedCount();
    expect(await counter.count(items(), dialectOf(items()), 0)).toEqual({ total: ROWS, estimate: false });
    expect(await counter.count(items().where('i.rank IS NULL'), dialectOf(items()), 0)).toEqual({ total: Math.floor(ROWS / 3), estimate: false });
  });

  it('up to the cap, exact even where the planner guesses otherwise', async () => {
    const dialect = estimating(50);
    expect(await new CappedCount().count(items().where('i.rank = 1'), dialect, 0)).toEqual({ total: 982, estimate: false });
    expect(dialect.estimateRows).not.toHaveBeenCalled();
  });

  it('past the cap, the estimate, never below what was counted or seen', async () => {
    expect(await new CappedCount().count(items().where('i.rank IS NOT NULL OR i.rank IS NULL'), estimating(12_000), 0)).toEqual({ total: 12_000, estimate: true });
    expect(await new CappedCount().count(items().where('i.id > :x', { x: '' }), estimating(5), 0)).toEqual({ total: EXACT_COUNT_CAP + 1, estimate: true });
    expect(await new CappedCount().count(items().where('i.id > :x', { x: '' }), estimating(5), 20_000)).toEqual({ total: 20_000, estimate: true });
  });

  it('an unfiltered table far past the cap is not counted, and the estimate is reused', async () => {
    const counter = new CappedCount();
    const dialect = estimating(50 * EXACT_COUNT_CAP);
    const query = vi.spyOn(data, 'query');
    expect(await counter.count(items(), dialect, 0)).toEqual({ total: 50 * EXACT_COUNT_CAP, estimate: true });
    expect(await counter.count(items(), dialect, 0)).toEqual({ total: 50 * EXACT_COUNT_CAP, estimate: true });
    expect(dialect.estimateRows).toHaveBeenCalledTimes(1);
    expect(query).not.toHaveBeenCalled();
  });

  it('a filtered list counted far past the cap reuses that outcome for its next pages, and only by its identity', async () => {
    const counter = new CappedCount();
    const dialect = estimating(50 * EXACT_COUNT_CAP);
    const filtered = () => items().where('i.id > :x', { x: '' });
    const query = vi.spyOn(data, 'query');
    expect(await counter.count(filtered(), dialect, 0, undefined, 'items\nfiltered')).toEqual({ total: 50 * EXACT_COUNT_CAP, estimate: true });
    expect(query).toHaveBeenCalledTimes(1);
    expect(await counter.count(filtered(), dialect, 60 * EXACT_COUNT_CAP, undefined, 'items\nfiltered')).toEqual({ total: 60 * EXACT_COUNT_CAP, estimate: true });
    expect(query).toHaveBeenCalledTimes(1);
    expect(dialect.estimateRows).toHaveBeenCalledTimes(1);
    // Without an identity, or under another one, it is counted again.
    await counter.count(filtered(), dialect, 0);
    await counter.count(filtered(), dialect, 0, undefined, 'items\nother');
    expect(query).toHaveBeenCalledTimes(3);
    // A filter whose count stays under the cap is counted every time: its total is exact.
    const under = estimating(50 * EXACT_COUNT_CAP);
    expect(await counter.count(items().where('i.rank = 1'), under, 0, undefined, 'items\nrank')).toEqual({ total: 982, estimate: false });
    expect(await counter.count(items().where('i.rank = 1'), under, 0, undefined, 'items\nrank')).toEqual({ total: 982, estimate: false });
    expect(query).toHaveBeenCalledTimes(5);
    query.mockRestore();
  });

  it('a list counted past the cap by any margin keeps that outcome for its next pages (not only far past it)', async () => {
    const counter = new CappedCount();
    const dialect = estimating(3 * EXACT_COUNT_CAP);
    const filtered = () => items().where('i.id > :x', { x: '' });
    const query = vi.spyOn(data, 'query');
    expect(await counter.count(filtered(), dialect, 0, undefined, 'items\nfiltered')).toEqual({ total: 3 * EXACT_COUNT_CAP, estimate: true });
    expect(await counter.count(filtered(), dialect, 0, undefined, 'items\nfiltered')).toEqual({ total: 3 * EXACT_COUNT_CAP, estimate: true });
    expect(query).toHaveBeenCalledTimes(1);
    // An inline count past the cap: the next page of the list carries none.
    expect(await counter.settle(items(), dialect, EXACT_COUNT_CAP + 1, 0, 'items\nall')).toEqual({ total: 3 * EXACT_COUNT_CAP, estimate: true });
    expect(counter.inline(items(), dialect, 'items\nall')).toEqual({ known: 3 * EXACT_COUNT_CAP });
    // The estimate below what was counted: what was counted, kept as such.
    const low = estimating(5);
    expect(await counter.settle(items(), low, EXACT_COUNT_CAP + 1, 0, 'items\nlow')).toEqual({ total: EXACT_COUNT_CAP + 1, estimate: true });
    expect(counter.inline(items(), low, 'items\nlow')).toEqual({ known: EXACT_COUNT_CAP + 1 });
    // Searches (parts) too.
    const parts = [{ where: 'i.rank IS NULL' }, { where: 'i.rank IS NOT NULL' }];
    expect(await counter.countParts(items(), dialect, 0, parts, 'items\nsearch')).toEqual({ total: 3 * EXACT_COUNT_CAP, estimate: true });
    const counted = query.mock.calls.length;
    expect(await counter.countParts(items(), dialect, 0, parts, 'items\nsearch')).toEqual({ total: 3 * EXACT_COUNT_CAP, estimate: true });
    expect(query).toHaveBeenCalledTimes(counted);
    expect(dialect.estimateRows).toHaveBeenCalledTimes(3);
    query.mockRestore();
  });

  it('branches: a row in two counts once, counted as a union of ids or as disjoint parts; capped per branch where an estimate can take over', async () => {
    const counter = new CappedCount();
    const overlapping = [
      { where: 'i.rank = :a', parameters: { a: 1 } },
      { where: 'i.rank <= :b', parameters: { b: 2 } },
    ];
    const halves = [{ where: 'i.rank IS NULL' }, { where: 'i.rank IS NOT NULL' }];
    const [{ n }] = await data.query('SELECT COUNT(*) AS n FROM items WHERE rank <= 2');
    const [{ n: threeN }] = await data.query('SELECT COUNT(*) AS n FROM items WHERE rank <= 4');
    const exact = dialectOf(items());
    for (const distinctCount of ['union', 'disjoint'] as const) {
      const dialects = { exact: { ...exact, distinctCount }, estimating: { ...estimating(5), distinctCount } };
      for (const [name, dialect] of Object.entries(dialects)) {
        expect(await counter.countUnion(items(), dialect, 0, overlapping, `items\nrank ${distinctCount} ${name}`)).toEqual({ total: Number(n), estimate: false });
        // Three branches, each overlapping both others: a row once, whichever branches hold it.
        const three = [...overlapping, { where: 'i.rank >= :c AND i.rank <= :d', parameters: { c: 2, d: 4 } }];
        expect(await counter.countUnion(items(), dialect, 0, three, `items\nthree ${distinctCount} ${name}`)).toEqual({ total: Number(threeN), estimate: false });
        // Together past the cap, each branch under it: exact without an estimate, else past the cap (and kept).
        const halvesIdentity = `items\nhalves ${distinctCount} ${name}`;
        expect(await counter.countUnion(items(), dialect, 0, halves, halvesIdentity)).toEqual({ total: ROWS, estimate: name === 'estimating' });
        if (name === 'estimating') expect(counter.inlineUnion(items(), dialect, halvesIdentity, halves)).toEqual({ known: ROWS });
        // Inline: a statement of its own for the page's statement to carry.
        const inline = counter.inlineUnion(items(), dialect, `items\nrank ${distinctCount} ${name}`, overlapping);
        if (!('count' in inline)) throw new Error('expected a count');
        const [row] = await data.query(...data.driver.escapeQueryWithParameters(inline.count.text, { a: 1, b: 2 }));
        expect(Number(row.n)).toBe(Number(n));
      }
    }
  });

  it('parts are counted each on its own and summed; far past the cap, their union is estimated instead', async () => {
    const parts = [{ where: 'i.rank = 1' }, { where: 'i.rank = 2' }];
    expect(await new CappedCount().countParts(items(), estimating(3), 0, parts)).toEqual({ total: 1_963, estimate: false });
    expect(await new CappedCount().countParts(items(), dialectOf(items()), 0, parts)).toEqual({ total: 1_963, estimate: false });
    const far = estimating(10 * EXACT_COUNT_CAP + 1);
    expect(await new CappedCount().countParts(items(), far, 7, parts)).toEqual({ total: 10 * EXACT_COUNT_CAP + 1, estimate: true });
    expect(far.estimateRows).toHaveBeenCalledTimes(1);
  });

  it('parts past the cap together: the estimate of their union', async () => {
    const parts = [{ where: 'i.rank IS NULL' }, { where: 'i.rank IS NOT NULL' }];
    expect(await new CappedCount().countParts(items(), estimating(10_500), 0, parts)).toEqual({ total: 10_500, estimate: true });
  });

  it('an estimate reused by the identity of its list is found without rendering the SQL again', async () => {
    const counter = new CappedCount();
    const dialect = estimating(50 * EXACT_COUNT_CAP);
    const first = items();
    expect(await counter.count(first, dialect, 0, undefined, 'users\nall')).toEqual({ total: 50 * EXACT_COUNT_CAP, estimate: true });
    const render = vi.spyOn(SelectQueryBuilder.prototype, 'getQueryAndParameters');
    expect(await counter.count(items(), dialect, 0, undefined, 'users\nall')).toEqual({ total: 50 * EXACT_COUNT_CAP, estimate: true });
    expect(render).not.toHaveBeenCalled();
    // Another list, or the same list's parts, is estimated on its own.
    await counter.count(items(), dialect, 0, undefined, 'roles\nall');
    await counter.countParts(items(), dialect, 0, [{ where: 'i.rank = 1' }], 'users\nall');
    expect(dialect.estimateRows).toHaveBeenCalledTimes(3);
  });

  it("inline, the count is a column of the page's statement: capped, exact up to the cap, and a kept estimate needs none", async () => {
    const counter = new CappedCount();
    /** The inline count of `base` as its page would read it (first row). */
    const inlineCount = async (base: ReturnType<typeof items>, dialect: ListDialect, identity: string) => {
      const inline = counter.inline(base, dialect, identity);
      if (!('query' in inline)) return inline;
      const [row] = await inline.query.limit(1).getRawMany<Record<string, unknown>>();
      return { counted: Number(row[INLINE_COUNT]) };
    };
    const planned = estimating(50 * EXACT_COUNT_CAP);
    expect(await inlineCount(items().where('i.rank = 1'), planned, 'items\nrank')).toEqual({ counted: 982 });
    expect(await counter.settle(items(), planned, 982, 10, 'items\nrank')).toEqual({ total: 982, estimate: false });
    // Capped where an estimate can take over; counted to the end where none can.
    expect(await inlineCount(items(), planned, 'items\nall')).toEqual({ counted: EXACT_COUNT_CAP + 1 });
    expect(await inlineCount(items(), dialectOf(items()), 'items\nall')).toEqual({ counted: ROWS });
    expect(await counter.settle(items(), planned, EXACT_COUNT_CAP + 1, 0, 'items\nall')).toEqual({ total: 50 * EXACT_COUNT_CAP, estimate: true });
    // That estimate (far past the cap) is kept: the next page of the list carries no count.
    expect(await inlineCount(items(), planned, 'items\nall')).toEqual({ known: 50 * EXACT_COUNT_CAP });
    expect(planned.estimateRows).toHaveBeenCalledTimes(1);
  });

  it('inline parts: each part capped as countParts caps it; a list past the cap whose estimate ran out is estimated first, not counted inline', async () => {
    const counter = new CappedCount();
    const parts = [
      { name: 'kept', property: 'name', where: 'i.rank IS NOT NULL' },
      { name: 'none', property: 'name', where: 'i.rank IS NULL' },
    ];
    const planned = estimating(50 * EXACT_COUNT_CAP);
    const inline = counter.inlineParts(items(), planned, 'items\nparts', parts);
    if (!inline || !('counts' in inline)) throw new Error('expected inline counts');
    const [row] = await items().select(inline.counts[0], 'a').addSelect(inline.counts[1], 'b').limit(1).getRawMany<{ a: number; b: number }>();
    expect([Number(row.a), Number(row.b)]).toEqual([ROWS - Math.floor(ROWS / 3), Math.floor(ROWS / 3)]);
    // Past the cap (say the list grew): the estimate, kept for the next pages.
    expect(await counter.settle(items(), planned, EXACT_COUNT_CAP + 1, 0, 'items\nparts', parts)).toEqual({ total: 50 * EXACT_COUNT_CAP, estimate: true });
    expect(counter.inlineParts(items(), planned, 'items\nparts', parts)).toEqual({ known: 50 * EXACT_COUNT_CAP });
    const now = performance.now();
    const later = vi.spyOn(performance, 'now').mockReturnValue(now + ESTIMATE_REUSE_MS + 1);
    expect(counter.inlineParts(items(), planned, 'items\nparts', parts)).toBeUndefined();
    // Without estimates, always counted (exactly, to the end).
    expect(counter.inlineParts(items(), dialectOf(items()), 'items\nparts', parts)).toEqual({ counts: expect.any(Array) });
    later.mockRestore();
  });
});
