import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DataSource, SelectQueryBuilder } from 'typeorm';
import { dialectOf } from './dialect.js';
import { readAfter, readAtOffset } from './keyset.js';
import { leanMapper } from './lean-rows.js';
import { ItemRow, itemTable } from './pagination.spec-support.js';
import { MAX_CACHED_STATEMENTS, renderedSql } from './statement-cache.js';

let data: DataSource;
const items = () => data.getRepository(ItemRow).createQueryBuilder('i');
beforeAll(async () => (data = await itemTable(20)));
afterAll(() => data.destroy());

describe('lean page reads', () => {
  it('build the entities TypeORM builds, keys and attached names alongside', async () => {
    const sort = { property: 'created', descending: true };
    // The names of the items created with each row (itself among them), as ListRequest.attach reads a row's roles.
    const attach = dialectOf(items()).jsonArrayOf('x.name', 'FROM items x WHERE x.created = "i"."created"', true);
    const lean = await readAtOffset(items().where('i.rank IS NOT NULL'), sort, 0, 5, attach);
    const typeorm = await items().where('i.rank IS NOT NULL').orderBy('i.created', 'DESC').addOrderBy('i.id', 'DESC').limit(5).getMany();
    expect(lean.rows).toEqual(typeorm);
    expect(lean.rows[0]).toBeInstanceOf(ItemRow);
    expect(lean.keys).toEqual(typeorm.map((r) => r.created));
    expect(lean.attached).toHaveLength(5);
    for (const [n, row] of lean.rows.entries()) {
      expect(lean.attached![n]).toContain(row.name);
      expect(lean.attached![n]).toEqual([...lean.attached![n]].sort());
    }
    const next = await readAfter(items().where('i.rank IS NOT NULL'), sort, { k: lean.keys[4], i: lean.rows[4].id }, 3);
    expect(next.rows).toEqual(await items().where('i.rank IS NOT NULL').orderBy('i.created', 'DESC').addOrderBy('i.id', 'DESC').offset(5).limit(3).getMany());
  });

  it('leave shapes they do not describe to TypeORM', () => {
    expect(leanMapper(items())).toBeDefined();
    expect(leanMapper(items().select('i.id'))).toBeUndefined();
    expect(leanMapper(items().leftJoinAndSelect(ItemRow, 'j', 'j.id = i.id'))).toBeUndefined();
  });

  it('render one statement per shape, whatever the values, and keep a bounded number', () => {
    const a = items().where('i.name = :name', { name: 'x' }).orderBy('i.created', 'ASC').limit(3);
    const b = items().where('i.name = :name', { name: 'y' }).orderBy('i.created', 'ASC').limit(3);
    expect(renderedSql(a)).toBe(a.getQuery());
    // Rendered once: TypeORM's getQuery is not called again for the same shape.
    const render = vi.spyOn(SelectQueryBuilder.prototype, 'getQuery');
    expect(renderedSql(b)).toBe(renderedSql(a));
    expect(render).not.toHaveBeenCalled();
    render.mockRestore();
    // Any other text, order or limit is another shape.
    for (const other of [items().where('i.id = :name', { name: 'x' }).orderBy('i.created', 'ASC').limit(3), a.clone().limit(4), a.clone().orderBy('i.name', 'DESC')])
      expect(renderedSql(other)).toBe(other.getQuery());
    for (let n = 0; n < MAX_CACHED_STATEMENTS + 10; n++) {
      const query = items().where(`i.rank = ${n}`);
      expect(renderedSql(query)).toBe(query.getQuery());
    }
  });
});
