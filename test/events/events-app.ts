import { Injectable } from '@nestjs/common';
import { BeforeFabricEvent, type FabricBeforeEvent, FabricEventRefusal, type FabricEventPayload, OnFabricEvent } from 'nestjs-fabric-auth';
import { DataSource } from 'typeorm';

/** An app provider as a host would write one: records what it is given, refuses some logins and sign-ups. */
@Injectable()
export class EventRecorder {
  readonly received: Array<FabricEventPayload & { committed?: boolean }> = [];

  constructor(private readonly data: DataSource) {}

  @OnFabricEvent('user.created')
  async userCreated(event: FabricEventPayload<'user.created'>): Promise<void> {
    // Another connection (PostgreSQL's pool; SQLite's one connection once the transaction ended) sees the row: the handler runs after the commit.
    const rows = await this.data.query<unknown[]>(`SELECT id FROM users WHERE id = ${this.data.options.type === 'postgres' ? '$1' : '?'}`, [event.data.target?.id]);
    this.received.push({ ...event, committed: rows.length === 1 });
  }

  @OnFabricEvent('login.succeeded', 'login.failed')
  logins(event: FabricEventPayload<'login.succeeded' | 'login.failed'>): void {
    this.received.push(event);
  }

  /** A handler that fails: logged, and the request that caused the event never sees it. */
  @OnFabricEvent('user.created')
  broken(): never {
    throw new Error('the CRM is down');
  }

  @BeforeFabricEvent('user.create')
  checkSignUp(user: FabricBeforeEvent['user.create']): void {
    if (user.email?.endsWith('@blocked.test')) throw new FabricEventRefusal('Sign-ups from blocked.test are closed');
  }

  @BeforeFabricEvent('login')
  checkLogin(login: FabricBeforeEvent['login']): void {
    if (login.user.username.startsWith('banned')) throw new FabricEventRefusal('This account is suspended; contact support');
  }

  /** The events of `type` received so far. */
  of(type: string): Array<FabricEventPayload & { committed?: boolean }> {
    return this.received.filter((e) => e.type === type);
  }
}

/** Waits until `check` holds (handlers run after the response may already be out). */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
