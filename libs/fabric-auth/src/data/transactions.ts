import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { isTransientConflict } from './db-errors.js';

/** A unit of work in progress: its entity manager, and what to do once (and only if) it commits. */
export interface FabricTransaction {
  readonly manager: EntityManager;
  /** Runs after the commit (broadcasts, notifications), never after a rollback; its failure is logged, not thrown. */
  afterCommit(action: () => unknown): void;
}

const ATTEMPTS = 3;

/**
 * The one way the library writes more than one row: `run(tx => …)` commits all or nothing,
 * retries what PostgreSQL aborted for a concurrent transaction (serialization failure,
 * deadlock), and runs the after-commit actions. SQLite has one connection for the whole
 * process (TypeORM shares it), so its transactions are queued here: two at once would
 * otherwise nest into each other.
 *
 * @publicApi
 */
@Injectable()
export class FabricTransactions {
  private readonly logger = new Logger('FabricAuth');
  private readonly serialised: boolean;
  private queue: Promise<unknown> = Promise.resolve();
  /** SQLite: transactions begun so far, and whether one is open now (see `committedReadMark`). */
  private begun = 0;
  private open = false;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.serialised = dataSource.options.type !== 'postgres';
  }

  get isPostgres(): boolean {
    return !this.serialised;
  }

  /**
   * For a cache filled from reads made outside any transaction. On SQLite such a read shares
   * the process's one connection with the transaction open at that moment, if any, and sees
   * its rows before they commit, or are rolled back, which no revocation then announces. Take
   * a mark before the read; `readWasCommitted(mark)` after it is true only when no transaction
   * was open at any moment in between, so the read saw only committed rows. Always true on
   * PostgreSQL, whose reads never see another transaction's uncommitted rows.
   */
  committedReadMark(): number {
    return this.open ? -1 : this.begun;
  }

  readWasCommitted(mark: number): boolean {
    return !this.serialised || (mark >= 0 && !this.open && this.begun === mark);
  }

  /** Runs `work` in `outer` when given (it is part of a larger unit), else in a transaction of its own. */
  async run<T>(work: (tx: FabricTransaction) => Promise<T>, outer?: FabricTransaction): Promise<T> {
    if (outer) return work(outer);
    let committed: { result: T; actions: Array<() => unknown> };
    if (this.serialised) {
      const turn = this.queue.then(() => this.serialisedAttempt(work));
      this.queue = turn.catch(() => undefined);
      committed = await turn;
    } else committed = await this.attempt(work);
    // Outside the SQLite queue: a slow broadcast or mail must not hold up other writers.
    for (const action of committed.actions) {
      try {
        await action();
      } catch (error) {
        this.logger.warn(`after-commit action failed: ${(error as Error).message}`);
      }
    }
    return committed.result;
  }

  /** One SQLite transaction at a time (the queue), counted for `committedReadMark`. */
  private async serialisedAttempt<T>(work: (tx: FabricTransaction) => Promise<T>): Promise<{ result: T; actions: Array<() => unknown> }> {
    this.begun++;
    this.open = true;
    try {
      return await this.attempt(work);
    } finally {
      this.open = false;
    }
  }

  private async attempt<T>(work: (tx: FabricTransaction) => Promise<T>): Promise<{ result: T; actions: Array<() => unknown> }> {
    for (let attempt = 1; ; attempt++) {
      const actions: Array<() => unknown> = [];
      try {
        const result = await this.dataSource.transaction((manager) => work({ manager, afterCommit: (action) => void actions.push(action) }));
        return { result, actions };
      } catch (error) {
        if (attempt >= ATTEMPTS || !isTransientConflict(error)) throw error;
      }
    }
  }

  /**
   * Holds the lock `key` until the transaction ends (a PostgreSQL transaction-level advisory
   * lock, shared by every instance), for writers that must see each other's inserts, which no
   * row lock covers (two claims of one name, two key rotations each retiring "every current key");
   * with a 32-bit `subkey`, one lock per subkey within the family `key`. SQLite serialises
   * writers by itself.
   */
  async exclusive(tx: FabricTransaction, key: number, subkey?: number): Promise<void> {
    if (this.serialised) return;
    if (subkey === undefined) await tx.manager.query('SELECT pg_advisory_xact_lock($1)', [key]);
    else await tx.manager.query('SELECT pg_advisory_xact_lock($1::int4, $2::int4)', [key, subkey]);
  }

  /**
   * Locks a row until the transaction ends (PostgreSQL `SELECT … FOR UPDATE`), so that
   * concurrent writers of one aggregate (a user's roles) run one after the other; SQLite
   * serialises writers by itself. False when the row does not exist.
   */
  async lock(tx: FabricTransaction, entity: EntityTarget<ObjectLiteral>, id: string): Promise<boolean> {
    const query = tx.manager.createQueryBuilder(entity, 'locked').select('locked.id').where('locked.id = :id', { id });
    if (!this.serialised) query.setLock('pessimistic_write');
    return (await query.getOne()) !== null;
  }
}
