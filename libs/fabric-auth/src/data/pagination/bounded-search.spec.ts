import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { readSearch, SEARCH_SCAN_BUDGET } from './bounded-search.js';
import { dialectOf } from './dialect.js';
import type { ListSection, ListSort, PageRead, ResumePoint } from './list-request.js';
import { idsOf, ItemRow, itemTable } from './pagination.spec-support.js';

let data: DataSource;
const items = () => data.getRepository(ItemRow).createQueryBuilder('i');
// Past the scan budget, so that a page of a rare match cannot find its rows within one walk.
const ROWS = SEARCH_SCAN_BUDGET + 1_500;
beforeAll(async () => (data = await itemTable(ROWS)));
afterAll(() => data.destroy());

const sort: ListSort = { property: 'rank', descending: true, nullable: true };
const order = 'rank IS NOT NULL, rank DESC, id DESC';
/** Two disjoint ranges, as prefixSections makes them. */
const parts = (low: string, high: string): ListSection[] => [
  { name: 'name', property: 'name', codePoints: true, where: 'i.name >= :low AND i.name < :high', parameters: { low, high } },
  { name: 'id', property: 'id', codePoints: true, where: "i.id >= 'i035' AND NOT (i.name >= :low AND i.name < :high)", parameters: { low, high } },
];
const matching = (low: string, high: string) => data.query(`SELECT id FROM items WHERE (name >= ? AND name < ?) OR id >= 'i035' ORDER BY ${order}`, [low, high]).then(idsOf);

async function walk(many: boolean, low: string, high: string): Promise<{ ids: string[]; pages: PageRead<ItemRow>[] }> {
  const ids: string[] = [];
  const pages: PageRead<ItemRow>[] = [];
  let from: ResumePoint | undefined;
  for (let n = 0; n < 50; n++) {
    const page = await readSearch(items(), dialectOf(items()), sort, parts(low, high), { many, limit: 1_001 }, from, 0, 11);
    pages.push(page);
    ids.push(...idsOf(page.rows.slice(0, 10)));
    if (page.resume) from = page.resume;
    else if (page.rows.length === 11) from = { k: page.keys[9]!, i: page.rows[9].id };
    else return { ids, pages };
  }
  throw new Error('the walk does not end');
}

/**
 * What `read` answers and how many statements it sent, each with the rows it got back handed to
 * `onStatement` (SQLite hands out one query runner: wrapped for the call, unwrapped after).
 */
async function during<T>(read: () => Promise<T>, onStatement?: (sql: string, rows: unknown[] | undefined) => void): Promise<{ result: T; statements: number }> {
  const runner = data.createQueryRunner();
  const query = runner.query;
  let statements = 0;
  runner.query = (async (sql: string, ...rest: unknown[]) => {
    const result = await (query as (...a: unknown[]) => Promise<unknown>).call(runner, sql, ...rest);
    statements++;
    // Plain rows, or TypeORM's structured result (getRawMany asks for one).
    onStatement?.(sql, Array.isArray(result) ? result : (result as { records?: unknown[] }).records);
    return result;
  }) as typeof runner.query;
  try {
    const result = await read();
    return { result, statements };
  } finally {
    runner.query = query;
  }
}

/** A search's rows, read in its own statement (joined to the ids it chose), are the whole entities a read by id gives. */
async function expectWholeEntities(pages: PageRead<ItemRow>[]): Promise<void> {
  const rows = pages.flatMap((p) => p.rows);
  expect(rows.length).toBeGreaterThan(0);
  const byId = new Map((await data.getRepository(ItemRow).find()).map((row) => [row.id, row]));
  expect(rows).toEqual(rows.map((row) => byId.get(row.id)));
  expect(rows.every((row) => typeof row.name === 'string' && typeof row.created === 'string')).toBe(true);
}

describe('bounded search', () => {
  it('with few matches, sorts the candidates of each range and walks them by cursor', async () => {
    // One statement a page: the candidates joined to their rows (no read of the page by id after it).
    const { result: first, statements } = await during(() =>
      readSearch(items(), dialectOf(items()), sort, parts('n0010', 'n0012'), { many: false, limit: 1_001 }, undefined, 0, 11),
    );
    expect({ statements, rows: first.rows.length }).toEqual({ statements: 1, rows: 11 });
    const { ids, pages } = await walk(false, 'n0010', 'n0012');
    expect(ids).toEqual(await matching('n0010', 'n0012'));
    expect(pages.every((p) => p.resume === undefined)).toBe(true);
    await expectWholeEntities(pages);
  });

  it('an offset page of the candidates is the same rows', async () => {
    const all = await matching('n0010', 'n0012');
    const page = await readSearch(items(), dialectOf(items()), sort, parts('n0010', 'n0012'), { many: false, limit: 1_001 }, undefined, 15, 5);
    expect(idsOf(page.rows)).toEqual(all.slice(15, 20));
  });

  it('with many matches, walks the sort order and stops after the scan budget with a point to resume from', async () => {
    // Matches far apart in the sort order: the first page cannot fill within the budget.
    const { ids, pages } = await walk(true, 'n0010', 'n0012');
    expect(ids).toEqual(await matching('n0010', 'n0012'));
    const cut = pages.filter((p) => p.resume !== undefined);
    expect(cut.length).toBeGreaterThan(0);
    expect(cut.every((p) => p.rows.length < 11)).toBe(true);
    await expectWholeEntities(pages);
  });

  it('with many matches, an offset page takes the whole filter in the sort order', async () => {
    const all = await matching('n0010', 'n0012');
    const page = await readSearch(items(), dialectOf(items()), sort, parts('n0010', 'n0012'), { many: true, limit: 1_001 }, undefined, 7, 4);
    expect(idsOf(page.rows)).toEqual(all.slice(7, 11));
  });

  it('a walk that fills its page is sent the page’s matches, not every row it examined', async () => {
    // Rows each scan statement (the one that reads whether a row matches) got back from the database.
    const sent: number[] = [];
    // Every name starts with n0: the first page fills within its first rows.
    const { result: page, statements } = await during(
      () => readSearch(items(), dialectOf(items()), sort, parts('n0', 'n1'), { many: true, limit: 1_001 }, undefined, 0, 11),
      (sql, rows) => {
        if (sql.includes('fabric_hit') && rows) sent.push(rows.length);
      },
    );
    expect(idsOf(page.rows)).toEqual((await matching('n0', 'n1')).slice(0, 11));
    expect(page.resume).toBeUndefined();
    // One statement: the walk, its matches' rows joined in (no read of the page by id after it).
    expect({ statements, walks: sent.length }).toEqual({ statements: 1, walks: 1 });
    expect(Math.max(...sent)).toBeLessThanOrEqual(12);
  });
});
