import 'reflect-metadata';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';

/** A table shaped like the lists': unique names, a nullable rank, a creation time that repeats. */
@Entity('items')
export class ItemRow {
  @PrimaryColumn('varchar')
  id!: string;

  @Column({ type: 'varchar', unique: true })
  name!: string;

  @Column({ type: 'integer', nullable: true })
  rank!: number | null;

  @Column({ type: 'varchar' })
  created!: string;
}

/** An in-memory SQLite with `count` items: id `i00042`, name `n00042`, every third rank NULL, `created` shared by pairs. */
export async function itemTable(count: number): Promise<DataSource> {
  const data = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [ItemRow], synchronize: true });
  await data.initialize();
  await data.query(
    `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${count})
     INSERT INTO items (id, name, rank, created)
     SELECT printf('i%05d', n), printf('n%05d', n), CASE WHEN n % 3 = 0 THEN NULL ELSE n % 7 END, printf('2026-01-%02d', 1 + (n / 2) % 28) FROM g`,
  );
  return data;
}

export const idsOf = (rows: { id: string }[]) => rows.map((r) => r.id);
