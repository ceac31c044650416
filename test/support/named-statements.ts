import type { DataSource } from 'typeorm';

interface WatchedClient {
  query(config: unknown, ...rest: unknown[]): unknown;
}

/**
 * Calls `onStatement` with each statement sent by name on the DataSource's pg pool
 * (libs/fabric-auth/src/data/named-statements.ts): the real pool, only watched. PostgreSQL only;
 * a no-op elsewhere. Statements TypeORM sends (unnamed, as text) are not reported.
 */
export function watchNamedStatements(dataSource: DataSource, onStatement: (statement: { name: string; text: string; values: unknown[] }) => void): void {
  const pool = (dataSource.driver as unknown as { master?: { on(event: 'acquire', listener: (client: WatchedClient) => void): void } }).master;
  if (dataSource.driver.options.type !== 'postgres' || !pool) return;
  const watched = new WeakSet<WatchedClient>();
  // Every checkout, TypeORM's (callback style) and named-statements.ts's alike.
  pool.on('acquire', (client) => {
    if (watched.has(client)) return;
    watched.add(client);
    const query = client.query.bind(client);
    client.query = (config: unknown, ...rest: unknown[]) => {
      const named = config as { name?: unknown; text: string; values?: unknown[] } | null;
      if (typeof named === 'object' && named !== null && typeof named.name === 'string') onStatement({ name: named.name, text: named.text, values: named.values ?? [] });
      return query(config, ...rest);
    };
  });
}
