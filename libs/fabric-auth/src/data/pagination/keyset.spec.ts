import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DataSource } from 'typeorm';
import { CappedCount } from './capped-count.js';
import { dialectOf } from './dialect.js';
import { readAfter, readAtOffset, readBranches, readSections } from './keyset.js';
import type { ListSort, PageRead, ResumePoint } from './list-request.js';
import { idsOf, ItemRow, itemTable } from './pagination.spec-support.js';
import { prefixSections } from './prefix.js';

let data: DataSource;
const items = () => data.getRepository(ItemRow).createQueryBuilder('i');
beforeAll(async () => (data = await itemTable(40)));
afterAll(() => data.destroy());

/** Every page of a walk: the first at offset 0, then each from the last row of the one before. */
async function walk(read: (from: ResumePoint | undefined) => Promise<PageRead<ItemRow>>, sections = false): Promise<string[]> {
  const seen: string[] = [];
  let from: ResumePoint | undefined;
  for (let page = 0; page < 100; page++) {
    const { rows, keys, sections: names } = await read(from);
    // take = 7: 6 rows a page, the 7th says there is more
    seen.push(...idsOf(rows.slice(0, 6)));
    if (rows.length < 7) return seen;
    from = { k: keys[5]!, i: rows[5].id, ...(sections ? { c: names![5] } : {}) };
  }
  throw new Error('the walk does not end');
}

const sorted = async (order: string) => idsOf(await data.query(`SELECT id FROM items ORDER BY ${order}`));

describe('keyset walk', () => {
  const cases: [string, ListSort, string][] = [
    ['a repeating column, ascending', { property: 'created', descending: false }, 'created ASC, id ASC'],
    ['a repeating column, descending', { property: 'created', descending: true }, 'created DESC, id DESC'],
    ['a unique column', { property: 'name', descending: false, unique: true }, 'name ASC'],
    ['a nullable column, ascending (nulls last)', { property: 'rank', descending: false, nullable: true }, 'rank IS NULL, rank ASC, id ASC'],
    ['a nullable column, descending (nulls first)', { property: 'rank', descending: true, nullable: true }, 'rank IS NOT NULL, rank DESC, id DESC'],
  ];
  it.each(cases)('reads every row once, in order: %s', async (_, sort, order) => {
    const read = (from: ResumePoint | undefined) => (from ? readAfter(items(), sort, from, 7) : readAtOffset(items(), sort, 0, 7));
    expect(await walk(read)).toEqual(await sorted(order));
  });

  it('an offset page is the same rows the walk reaches there', async () => {
    const sort: ListSort = { property: 'rank', descending: false, nullable: true };
    const all = await sorted('rank IS NULL, rank ASC, id ASC');
    expect(idsOf((await readAtOffset(items(), sort, 25, 6)).rows)).toEqual(all.slice(25, 31));
  });

  it('does not repeat or skip rows that were there all along when others are inserted mid-walk', async () => {
    const sort: ListSort = { property: 'created', descending: false };
    const first = await readAtOffset(items(), sort, 0, 7);
    await data.query(`INSERT INTO items (id, name, rank, created) VALUES ('i00000', 'n00000', 1, '2026-01-01')`);
    try {
      const rest = await walk((from) => (from ? readAfter(items(), sort, from, 7) : Promise.resolve(first)));
      expect(rest.filter((id) => id !== 'i00000')).toEqual((await sorted('created ASC, id ASC')).filter((id) => id !== 'i00000'));
    } finally {
      await data.query(`DELETE FROM items WHERE id = 'i00000'`);
    }
  });

  it('refuses a NULL key on a column without NULLs', async () => {
    await expect(readAfter(items(), { property: 'created', descending: false }, { k: null, i: 'i00001' }, 7)).rejects.toThrow(/cursor does not match/);
  });
});

describe('sections', () => {
  const sections = () => [
    { name: 'low', property: 'name', codePoints: true, where: 'i.rank < 3' },
    { name: 'high', property: 'id', where: 'i.rank >= 3' },
  ];
  it('reads each section in its own column order, one after the other', async () => {
    const expected = [
      ...idsOf(await data.query('SELECT id FROM items WHERE rank < 3 ORDER BY name')),
      ...idsOf(await data.query('SELECT id FROM items WHERE rank >= 3 ORDER BY id')),
    ];
    const read = (from: ResumePoint | undefined) => readSections(items(), dialectOf(items()), sections(), from, 0, 7);
    expect(await walk(read, true)).toEqual(expected);
  });

  it('an offset past a whole section skips it by counting', async () => {
    const low = idsOf(await data.query('SELECT id FROM items WHERE rank < 3 ORDER BY name'));
    const high = idsOf(await data.query('SELECT id FROM items WHERE rank >= 3 ORDER BY id'));
    const page = await readSections(items(), dialectOf(items()), sections(), undefined, low.length + 2, 3);
    expect(idsOf(page.rows)).toEqual(high.slice(2, 5));
    expect(page.sections).toEqual(['high', 'high', 'high']);
  });

  it('a prefix search as sections: username matches first, then the others', async () => {
    const parts = prefixSections(items(), ['name', 'id'], 'n0001');
    const page = await readSections(items(), dialectOf(items()), parts, undefined, 0, 20);
    expect(idsOf(page.rows)).toEqual(['i00010', 'i00011', 'i00012', 'i00013', 'i00014', 'i00015', 'i00016', 'i00017', 'i00018', 'i00019']);
  });
});

describe('branches', () => {
  const sort: ListSort = { property: 'created', descending: true };
  const branches = [
    { where: 'i.rank = :a', parameters: { a: 1 } },
    { where: 'i.rank <= :b', parameters: { b: 2 } },
  ];
  it('merges the branches in the sort order and serves a row matching both once', async () => {
    const expected = idsOf(await data.query('SELECT id FROM items WHERE rank <= 2 ORDER BY created DESC, id DESC'));
    const read = (from: ResumePoint | undefined) => readBranches(items(), sort, branches, from, 0, 7);
    expect(await walk(read)).toEqual(expected);
    const offset = await readBranches(items(), sort, branches, undefined, 4, 3);
    expect(idsOf(offset.rows)).toEqual(expected.slice(4, 7));
    // Ascending, and a branch that matches no row of the other.
    const ascending = { ...sort, descending: false };
    const apart = [{ where: 'i.rank = :a', parameters: { a: 1 } }, { where: 'i.rank IS NULL' }];
    const inOrder = idsOf(await data.query('SELECT id FROM items WHERE rank = 1 OR rank IS NULL ORDER BY created ASC, id ASC'));
    expect(await walk((from) => readBranches(items(), ascending, apart, from, 0, 7))).toEqual(inOrder);
    // An entity read in part, without the sort's column: the same rows.
    const part = () => items().select(['i.id', 'i.name']);
    expect(await walk((from) => readBranches(part(), sort, branches, from, 0, 7))).toEqual(expected);
  });

  it('reads every branch in one statement, with the count beside the rows', async () => {
    const expected = idsOf(await data.query('SELECT id FROM items WHERE rank <= 2 ORDER BY created DESC, id DESC'));
    const inline = new CappedCount().inlineUnion(items(), dialectOf(items()), 'items\nbranches', branches);
    if (!('count' in inline)) throw new Error('expected a count');
    const query = vi.spyOn(data, 'query');
    const page = await readBranches(items(), sort, branches, undefined, 0, 7, inline.count);
    expect(query).toHaveBeenCalledTimes(1);
    // SQLite would sort each branch to cut their union (ListDialect.mergesOrderedUnion): the merge below cuts it.
    expect(await query.mock.results[0].value).toHaveLength(11);
    query.mockRestore();
    expect(idsOf(page.rows)).toEqual(expected.slice(0, 7));
    expect(page.counted).toBe(expected.length);
  });
});
