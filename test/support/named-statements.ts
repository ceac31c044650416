import type { DataSource } from 'typeorm';

interface WatchedClient {
  query(config: unknown, ...rest: unknown[]): unknown;
}

/**
 * Calls `onStatement` with each statement readStatement sends on the DataSource's pg pool
 * (libs/fabric-auth/src/data/named-statements.ts), by name or not: the real pool, only watched.
 * PostgreSQL only; a no-op elsewhere. Statements TypeORM sends (as text) are not reported.
 */
export function watchReadStatements(dataSource: DataSource, onStatement: (statement: { name: string | undefined; text: string; values: unknown[] }) => void): void {
  const pool = (dataSource.driver as unknown as { master?: { on(event: 'acquire', listener: (client: WatchedClient) => void): void } }).master;
  if (dataSource.driver.options.type !== 'postgres' || !pool) return;
  const watched = new WeakSet<WatchedClient>();
  // Every checkout, TypeORM's (callback style) and named-statements.ts's alike.
  pool.on('acquire', (client) => {
    if (watched.has(client)) return;
    watched.add(client);
    const query = client.query.bind(client);
    client.query = (config: unknown, ...rest: unknown[]) => {
      const sent = config as { name?: unknown; text?: unknown; values?: unknown[] } | null;
      if (typeof sent === 'object' && sent !== null && typeof sent.text === 'string') {
        onStatement({ name: typeof sent.name === 'string' ? sent.name : undefined, text: sent.text, values: sent.values ?? [] });
      }
      return query(config, ...rest);
    };
  });
}
