import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Node's own defaults (headers 60 s, whole request 300 s, checked only every 30 s; idle
 * keep-alive sockets closed after 5 s) let a slow body hold a connection for minutes and
 * close idle sockets just as a proxy or pooled client reuses them. These fit an auth
 * server behind a proxy: requests are small, and the server outlasts the proxy's idle
 * timeout (ALB 60 s, nginx `keepalive_timeout` 60 s) so that the proxy always closes first.
 */
export interface FabricServerTimeouts {
  /** Milliseconds until the request's headers are complete (default 20000); past it → 408 and the connection closes. */
  headersTimeoutMs: number;
  /** Milliseconds until the whole request, headers and body, is received (default 30000); past it → 408 and the connection closes. */
  requestTimeoutMs: number;
  /** Milliseconds a keep-alive connection may stay idle after a response before the server closes it (default 65000). */
  keepAliveTimeoutMs: number;
  /** Longest shutdown drain in milliseconds (default 10000); past it the connections still open are closed. */
  shutdownDrainMs: number;
}

export const DEFAULT_SERVER_TIMEOUTS: Readonly<FabricServerTimeouts> = Object.freeze({
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 65_000,
  shutdownDrainMs: 10_000,
});

export function resolveServerTimeouts(given: Partial<FabricServerTimeouts>): FabricServerTimeouts {
  const resolved: FabricServerTimeouts = { ...DEFAULT_SERVER_TIMEOUTS };
  for (const name of Object.keys(DEFAULT_SERVER_TIMEOUTS) as Array<keyof FabricServerTimeouts>) {
    const value = given[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`applyFabricHttpHardening: ${name} must be a positive whole number of milliseconds`);
    resolved[name] = value;
  }
  // Node refuses a headers timeout beyond the request timeout; say so here, with the option names.
  if (resolved.headersTimeoutMs > resolved.requestTimeoutMs) {
    throw new Error('applyFabricHttpHardening: headersTimeoutMs must not exceed requestTimeoutMs');
  }
  return resolved;
}

/**
 * Sets the timeouts on the server before it listens. On Node ≥ 18 the headers timer of a
 * kept-alive connection starts with the next request's first byte, not when the socket
 * goes idle, so a headers timeout below the keep-alive timeout does not close idle sockets
 * (the e2e suite reuses a socket after the headers timeout to show it). Node checks both
 * request timers on an interval, 30 s by default: a shorter one makes "within the timeout" true.
 */
export function applyServerTimeouts(server: Server, timeouts: FabricServerTimeouts): void {
  server.headersTimeout = timeouts.headersTimeoutMs;
  server.requestTimeout = timeouts.requestTimeoutMs;
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(10, Math.min(1000, Math.floor(timeouts.headersTimeoutMs / 10)));
}

/**
 * How long a connection must have been idle, during a drain, before it is closed: a request
 * the client has already sent may still wait in the socket's buffer, unread, on a busy server.
 */
const DRAIN_IDLE_GRACE_MS = 1000;

/**
 * Graceful shutdown for a server whose clients pool keep-alive connections. `server.close()`
 * alone waits for every connection to end, and a pooled client keeps a busy connection busy
 * forever. While draining, no connection is accepted, every answer not yet started carries
 * `Connection: close` (so each connection ends after its current request), connections idle
 * for a second are closed, and after `drainMs` whatever is still open is closed. Returns the
 * drain, to run when shutdown begins.
 */
export function trackConnectionsForDrain(server: Server, drainMs: number): () => Promise<void> {
  // The answer each connection is on (or last was on), to tell busy connections from idle ones.
  const connections = new Map<Socket, ServerResponse | undefined>();
  let draining: Promise<void> | undefined;
  server.on('connection', (socket: Socket) => {
    connections.set(socket, undefined);
    socket.once('close', () => connections.delete(socket));
  });
  server.prependListener('request', (request, response: ServerResponse) => {
    if (draining) response.setHeader('connection', 'close');
    connections.set(request.socket, response);
  });

  const drain = async () => {
    for (const response of connections.values()) {
      if (response && !response.headersSent) response.setHeader('connection', 'close');
    }
    // Stops accepting without `http.Server#close`'s immediate close of idle connections, which
    // would reset requests sent but not yet read; those are given DRAIN_IDLE_GRACE_MS below.
    Reflect.apply(NetServer.prototype.close, server, []);
    const deadline = performance.now() + drainMs;
    const idleSince = new Map<Socket, { response: ServerResponse | undefined; at: number }>();
    while (connections.size > 0 && performance.now() < deadline) {
      const now = performance.now();
      for (const [socket, response] of connections) {
        if (response && !response.writableFinished) continue;
        const seen = idleSince.get(socket);
        if (!seen || seen.response !== response) idleSince.set(socket, { response, at: now });
        else if (now - seen.at >= DRAIN_IDLE_GRACE_MS) socket.destroy();
      }
      await sleep(Math.min(25, Math.max(1, deadline - performance.now())));
    }
    for (const socket of connections.keys()) socket.destroy();
  };
  return () => {
    if (!server.listening && connections.size === 0) return Promise.resolve();
    return (draining ??= drain());
  };
}
