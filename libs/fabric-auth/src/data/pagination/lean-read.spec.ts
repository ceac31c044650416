import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Column, DataSource, Entity, JoinColumn, ManyToOne, PrimaryColumn, SelectQueryBuilder } from 'typeorm';
import { dialectOf } from './dialect.js';
import { readAfter, readAtOffset, readRows } from './keyset.js';
import { leanMapper } from './lean-rows.js';
import { ItemRow, itemTable } from './pagination.spec-support.js';
import { MAX_CACHED_STATEMENTS, renderedSql } from './statement-cache.js';

@Entity('lean_owners')
class LeanOwner {
  @PrimaryColumn('varchar') id!: string;
  @Column('varchar') name!: string;
  @Column({ type: 'varchar', nullable: true }) note!: string | null;
}

@Entity('lean_pets')
class LeanPet {
  @PrimaryColumn('varchar') id!: string;
  @Column('varchar') ownerId!: string;
  @ManyToOne(() => LeanOwner)
  @JoinColumn({ name: 'ownerId' })
  owner?: LeanOwner;
}

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

  it('read a join by entity that only adds raw columns (a standing) as TypeORM does, rendered once', async () => {
    const joined = () =>
      items()
        .leftJoin(ItemRow, 'j', 'j.created = i.created AND j.id <> i.id')
        .addSelect('j.name', 'twin')
        .where('i.rank IS NOT NULL')
        .orderBy('i.id', 'ASC')
        .addOrderBy('j.name', 'ASC');
    expect(leanMapper(joined())).toBeDefined();
    const typeorm = await joined().getRawAndEntities();
    const lean = await readRows(joined());
    // TypeORM adds the joined entity's primary key to its own read (j_id), which nothing maps.
    expect(lean.raw).toEqual(typeorm.raw.map(({ j_id: _, ...rest }: Record<string, unknown>) => rest));
    // One entity per raw row (a twin row each): the first of each id is TypeORM's entity.
    expect(lean.entities.filter((row, n) => n === 0 || lean.entities[n - 1].id !== row.id)).toEqual(typeorm.entities);
    const second = joined();
    const rendering = vi.spyOn(second, 'getQuery');
    await readRows(second);
    expect(rendering).not.toHaveBeenCalled();
  });

  it("read a many-to-one in part (a member's user) as TypeORM does, its other columns left unset", async () => {
    const pets = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [LeanOwner, LeanPet], synchronize: true });
    await pets.initialize();
    try {
      await pets.query(`INSERT INTO lean_owners (id, name, note) VALUES ('o1', 'Ann', 'private'), ('o2', 'Bo', NULL)`);
      await pets.query(`INSERT INTO lean_pets (id, ownerId) VALUES ('p1', 'o1'), ('p2', 'o2'), ('p3', 'o1')`);
      const part = () => pets.getRepository(LeanPet).createQueryBuilder('p').innerJoin('p.owner', 'o').addSelect(['o.id', 'o.name']).orderBy('p.id', 'ASC');
      expect(leanMapper(part())).toBeDefined();
      const lean = await readRows(part());
      expect(lean.entities).toEqual(await part().getMany());
      expect(lean.entities[0].owner).toEqual(Object.assign(new LeanOwner(), { id: 'o1', name: 'Ann' }));
      expect(lean.entities[0].owner).not.toHaveProperty('note');
      // Without its primary key a part is TypeORM's to read.
      expect(leanMapper(pets.getRepository(LeanPet).createQueryBuilder('p').innerJoin('p.owner', 'o').addSelect(['o.name']))).toBeUndefined();
      // The list's own entity too may be read in part (a membership: its id, not the ids it repeats).
      const both = () => pets.getRepository(LeanPet).createQueryBuilder('p').select('p.id').innerJoin('p.owner', 'o').addSelect(['o.id', 'o.name']).orderBy('p.id', 'ASC');
      expect(leanMapper(both())).toBeDefined();
      const leanBoth = await readRows(both());
      expect(leanBoth.entities).toEqual(await both().getMany());
      expect(leanBoth.entities[0]).not.toHaveProperty('ownerId');
      expect(leanBoth.entities[0].owner).toEqual(Object.assign(new LeanOwner(), { id: 'o1', name: 'Ann' }));
      // A raw column named as an unselected one's key sets nothing, as with TypeORM.
      const lookalike = () => both().addSelect("'not the owner'", 'p_ownerId');
      const leanLookalike = await readRows(lookalike());
      expect(leanLookalike.entities).toEqual(await lookalike().getMany());
      expect(leanLookalike.entities[0]).not.toHaveProperty('ownerId');
    } finally {
      await pets.destroy();
    }
  });

  it('leave shapes they do not describe to TypeORM', () => {
    expect(leanMapper(items())).toBeDefined();
    // Without its primary key the list's own entity is TypeORM's to read.
    expect(leanMapper(items().select('i.name'))).toBeUndefined();
    expect(leanMapper(items().leftJoinAndSelect(ItemRow, 'j', 'j.id = i.id'))).toBeUndefined();
  });

  it('render one statement per shape, whatever the values, and keep a bounded number', () => {
    const a = items().where('i.name = :name', { name: 'x' }).orderBy('i.created', 'ASC').limit(3);
    const b = items().where('i.name = :name', { name: 'y' }).orderBy('i.created', 'ASC').limit(3);
    expect(renderedSql(a)).toBe(a.getQuery());
    // Rendered once: TypeORM's getQuery is not called again for the same shape.
    const render = vi.spyOn(SelectQueryBuilder.prototype, 'getQuery');
    expect(renderedSql(b)).toBe(renderedSql(a));
    // A clone too (a page's statement is a clone of its list's base).
    expect(renderedSql(b.clone())).toBe(renderedSql(a));
    expect(render).not.toHaveBeenCalled();
    render.mockRestore();
    // Any other text, order or limit is another shape.
    const crossed = a.clone().addFrom(ItemRow, 'x');
    for (const other of [items().where('i.id = :name', { name: 'x' }).orderBy('i.created', 'ASC').limit(3), a.clone().limit(4), a.clone().orderBy('i.name', 'DESC'), crossed])
      expect(renderedSql(other)).toBe(other.getQuery());
    for (let n = 0; n < MAX_CACHED_STATEMENTS + 10; n++) {
      const query = items().where(`i.rank = ${n}`);
      expect(renderedSql(query)).toBe(query.getQuery());
    }
  });
});
