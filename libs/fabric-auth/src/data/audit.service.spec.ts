import 'reflect-metadata';
import type { Repository } from 'typeorm';
import { DataSource } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FabricEvent, type FabricEventListener, type FabricEventTransaction } from '../core/ports/fabric-events.js';
import { AuditEventEntity } from '../schema/entities/audit-event.entity.js';
import { AuditService } from './audit.service.js';
import { type FabricTransaction, FabricTransactions } from './transactions.js';

/** A listener as issue 25's outbox would be: it records a delivery row with the manager it is given. */
class OutboxListener implements FabricEventListener {
  readonly received: Array<{ event: FabricEvent; inTransaction: boolean }> = [];
  readonly afterCommit: string[] = [];
  async emit(event: FabricEvent, tx: FabricEventTransaction): Promise<void> {
    this.received.push({ event, inTransaction: tx.manager.queryRunner?.isTransactionActive === true });
    await tx.manager.query('INSERT INTO deliveries (name) VALUES (?)', [event.name]);
    tx.afterCommit(() => this.afterCommit.push(event.name));
  }
}

const clock = { now: () => Date.UTC(2026, 0, 2, 3, 4, 5) };

describe('AuditService emits every audited action on the event port, inside its transaction', () => {
  let data: DataSource;
  let rows: Repository<AuditEventEntity>;
  const count = async (sql: string) => Number((await data.query<Array<{ n: number }>>(sql))[0].n);
  const audits = () => count('SELECT count(*) AS n FROM audit_events');
  const deliveries = () => count('SELECT count(*) AS n FROM deliveries');
  const inTx = <T>(work: (tx: FabricTransaction) => Promise<T>) => new FabricTransactions(data).run(work);

  beforeEach(async () => {
    data = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [AuditEventEntity], synchronize: true });
    await data.initialize();
    await data.query('CREATE TABLE deliveries (name varchar NOT NULL)');
    rows = data.getRepository(AuditEventEntity);
  });
  afterEach(() => data.destroy());

  it('recordIn: the listener gets the event with the transaction manager; both rows commit together', async () => {
    const listener = new OutboxListener();
    const audit = new AuditService(rows, clock, new FabricTransactions(data), [listener]);
    await inTx((tx) =>
      audit.recordIn(tx, {
        action: 'user.create',
        outcome: 'success',
        actor: { kind: 'user', id: 'u1', username: 'alice' },
        target: { type: 'user', id: 'u2' },
        details: { via: 'api' },
      }),
    );
    expect(listener.received).toEqual([
      {
        inTransaction: true,
        event: {
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          name: 'user.create',
          occurredAt: new Date(clock.now()),
          payload: {
            outcome: 'success',
            actor: { kind: 'user', id: 'u1', username: 'alice' },
            target: { type: 'user', id: 'u2' },
            ip: null,
            userAgent: null,
            details: { via: 'api' },
            organizationId: null,
          },
        },
      },
    ]);
    expect(await audits()).toBe(1);
    expect(await deliveries()).toBe(1);
    expect(listener.afterCommit).toEqual(['user.create']);
  });

  it('recordIn: when the action rolls back, its delivery row rolls back with the audit row', async () => {
    const listener = new OutboxListener();
    const audit = new AuditService(rows, clock, new FabricTransactions(data), [listener]);
    await expect(
      inTx(async (tx) => {
        await audit.recordIn(tx, { action: 'user.deactivate', outcome: 'success' });
        throw new Error('the change failed after its audit event');
      }),
    ).rejects.toThrow('the change failed');
    expect(listener.received.map((r) => r.event.name)).toEqual(['user.deactivate']);
    expect(listener.afterCommit).toEqual([]);
    expect(await audits()).toBe(0);
    expect(await deliveries()).toBe(0);
  });

  it('recordIn: a listener that fails fails the action, like a failed audit write', async () => {
    const audit = new AuditService(rows, clock, new FabricTransactions(data), [
      {
        emit: async () => {
          throw new Error('outbox full');
        },
      },
    ]);
    await expect(inTx((tx) => audit.recordIn(tx, { action: 'role.update', outcome: 'success' }))).rejects.toThrow('outbox full');
    expect(await audits()).toBe(0);
  });

  it('record (an event that stands alone): with a listener, the audit row and the delivery are one transaction', async () => {
    const listener = new OutboxListener();
    const audit = new AuditService(rows, clock, new FabricTransactions(data), [listener]);
    await audit.record({ action: 'login.failure', outcome: 'failure', details: { reason: 'bad_password' } });
    expect(listener.received).toHaveLength(1);
    expect(listener.received[0].inTransaction).toBe(true);
    expect(listener.afterCommit).toEqual(['login.failure']);
    expect(listener.received[0].event).toMatchObject({ name: 'login.failure', payload: { outcome: 'failure', details: { reason: 'bad_password' } } });
    expect(await audits()).toBe(1);
    expect(await deliveries()).toBe(1);
  });

  it('without a listener (the default) nothing is emitted and the audit rows are written as before', async () => {
    const audit = new AuditService(rows, clock, new FabricTransactions(data));
    await audit.record({ action: 'login.failure', outcome: 'failure' });
    await inTx((tx) => audit.recordIn(tx, { action: 'logout', outcome: 'success' }));
    expect(await audits()).toBe(2);
    expect(await deliveries()).toBe(0);
  });
});
