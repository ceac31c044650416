import { AsyncLocalStorage } from 'node:async_hooks';
import type { Server } from 'node:http';
import { watchReadStatements } from './named-statements.js';
import type { TestApp } from './test-app.js';

/** One SQL statement as the app sent it. */
export interface LoggedStatement {
  sql: string;
  parameters: unknown[];
}

/**
 * The SQL statements the app sends while serving one HTTP request, and only those: every
 * query runner the data source hands out reports its statements, as does every statement sent
 * by name on its pool (PostgreSQL), and the server's request
 * handler runs in an async context of its own, so a background timer's statement (the
 * revocation log poll, usage flushes, pruning) is never counted against a request.
 */
export class StatementLog {
  private readonly context = new AsyncLocalStorage<LoggedStatement[]>();
  /** Per request served, its statements. */
  private readonly served: LoggedStatement[][] = [];

  private constructor() {}

  static watch(t: TestApp): StatementLog {
    const log = new StatementLog();
    const dataSource = t.dataSource;
    const create = dataSource.createQueryRunner.bind(dataSource);
    const watched = new WeakSet<object>();
    dataSource.createQueryRunner = (...args: Parameters<typeof create>) => {
      const runner = create(...args);
      // SQLite hands out the same runner every time: wrap it once.
      if (watched.has(runner)) return runner;
      watched.add(runner);
      const query = runner.query.bind(runner);
      runner.query = ((sql: string, parameters?: unknown[], ...rest: unknown[]) => {
        log.context.getStore()?.push({ sql, parameters: parameters ?? [] });
        return (query as (...a: unknown[]) => Promise<unknown>)(sql, parameters, ...rest);
      }) as typeof runner.query;
      return runner;
    };
    // And those sent by name on TypeORM's pool, past its query runners (named-statements.ts).
    watchReadStatements(dataSource, ({ text, values }) => log.context.getStore()?.push({ sql: text, parameters: values }));
    const server = t.app.getHttpServer() as Server;
    const handlers = server.listeners('request') as ((...a: unknown[]) => void)[];
    server.removeAllListeners('request');
    for (const handler of handlers) {
      server.on('request', (...args: unknown[]) => {
        const statements: LoggedStatement[] = [];
        log.served.push(statements);
        log.context.run(statements, () => handler(...args));
      });
    }
    return log;
  }

  /** The statements of the requests `send` makes (it awaits their answers), in order. */
  async during<T>(send: () => Promise<T>): Promise<{ result: T; statements: LoggedStatement[] }> {
    const first = this.served.length;
    const result = await send();
    return { result, statements: this.served.slice(first).flat() };
  }
}
