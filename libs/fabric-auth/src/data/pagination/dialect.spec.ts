import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { dialectOf, listDialects } from './dialect.js';
import { ItemRow, itemTable } from './pagination.spec-support.js';

let data: DataSource;
beforeAll(async () => (data = await itemTable(10)));
afterAll(() => data.destroy());

describe('the SQLite list dialect', () => {
  it('binds positional parameters and leaves joined statements as they are', () => {
    const sqlite = dialectOf(data.getRepository(ItemRow).createQueryBuilder('i'));
    expect([sqlite.placeholder(1), sqlite.placeholder(3)]).toEqual(['?', '?']);
    expect(sqlite.shiftPlaceholders('a = ? AND b = ?', 2)).toBe('a = ? AND b = ?');
  });

  it('compares in code point order with the plain operators and offers no row estimate', async () => {
    const sqlite = dialectOf(data.getRepository(ItemRow).createQueryBuilder('i'));
    expect(sqlite.codePoint).toEqual({ ge: '>=', gt: '>', lt: '<' });
    expect(sqlite.estimateRows).toBeUndefined();
    const [{ n }] = await data.query(sqlite.countOf('SELECT 1 FROM items WHERE rank IS NULL'));
    expect(Number(n)).toBe(3);
  });
});

describe('the PostgreSQL list dialect', () => {
  const postgres = listDialects.postgres;
  it('numbers its parameters and renumbers a statement joined after others', () => {
    expect(postgres.placeholder(3)).toBe('$3');
    expect(postgres.shiftPlaceholders('a = $1 AND b = $2 OR c = $12', 3)).toBe('a = $4 AND b = $5 OR c = $15');
  });

  it('compares with the pattern operators a varchar_pattern_ops index serves, and estimates rows', () => {
    expect(postgres.codePoint).toEqual({ ge: '~>=~', gt: '~>~', lt: '~<~' });
    expect(postgres.countOf('SELECT 1')).toMatch(/COUNT\(\*\)::int/);
    expect(postgres.estimateRows).toBeTypeOf('function');
  });
});
