import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FabricTransactions } from './transactions.js';

/**
 * SQLite has one connection for the process: a read made outside any transaction while one is
 * open sees that transaction's rows before they commit (or are rolled back). A cache may keep
 * what it read only when `readWasCommitted` says no transaction was open around the read.
 */
describe('FabricTransactions.committedReadMark on SQLite', () => {
  let data: DataSource;
  let transactions: FabricTransactions;
  const names = async () => (await data.query<Array<{ name: string }>>('SELECT name FROM items ORDER BY name')).map((r) => r.name);

  beforeEach(async () => {
    data = new DataSource({ type: 'better-sqlite3', database: ':memory:' });
    await data.initialize();
    await data.query('CREATE TABLE items (name varchar NOT NULL)');
    transactions = new FabricTransactions(data);
  });
  afterEach(() => data.destroy());

  it('a read beside a transaction that rolls back saw its rows, and is not reported as committed', async () => {
    let seen: string[] = [];
    let mark = 0;
    await expect(
      transactions.run(async (tx) => {
        await tx.manager.query("INSERT INTO items (name) VALUES ('uncommitted')");
        mark = transactions.committedReadMark();
        seen = await names();
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(seen).toEqual(['uncommitted']);
    expect(await names()).toEqual([]);
    expect(transactions.readWasCommitted(mark)).toBe(false);
  });

  it('a read that a transaction began during is not reported as committed; one with none around it is', async () => {
    const before = transactions.committedReadMark();
    await transactions.run((tx) => tx.manager.query("INSERT INTO items (name) VALUES ('a')"));
    expect(transactions.readWasCommitted(before)).toBe(false);
    const after = transactions.committedReadMark();
    expect(await names()).toEqual(['a']);
    expect(transactions.readWasCommitted(after)).toBe(true);
  });
});

describe('FabricTransactions.committedReadMark on PostgreSQL', () => {
  it('every read is committed: PostgreSQL reads never see another transaction uncommitted', () => {
    const transactions = new FabricTransactions({ options: { type: 'postgres' } } as DataSource);
    const mark = transactions.committedReadMark();
    expect(transactions.readWasCommitted(mark)).toBe(true);
  });
});
