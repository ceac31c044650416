import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SERVER_TIMEOUTS } from '../../libs/fabric-auth/src/http/server-lifecycle.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoProcess, loginToDemo, startDemo } from '../support/demo-process.js';
import { createScratchDatabase } from '../support/postgres.js';
import { startPrivateRedis } from '../support/redis.js';
import { adapterOf, DATABASES, databaseOf } from '../support/test-app.js';

const ADMIN_PASSWORD = 'Shutdown-admin-pass-1';
const LOGINS = 8;

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

/** One request over `agent` (a pool of keep-alive connections); every socket it used is recorded. */
function send(agent: Agent, url: string, method: string, path: string, sockets: Set<Socket>, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/v1${path}`, { method, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body: text }));
      res.on('error', reject);
    });
    req.on('socket', (socket) => sockets.add(socket));
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error('no answer within 20 s')));
    req.end(body);
  });
}

const exited = (demo: DemoProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    if (demo.child.exitCode !== null || demo.child.signalCode !== null) {
      return resolve({ code: demo.child.exitCode, signal: demo.child.signalCode, at: performance.now() });
    }
    demo.child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() }));
  });

/**
 * SEC-103: SIGTERM to the demo (`enableShutdownHooks`, `applyFabricHttpHardening`) while
 * pooled keep-alive clients keep its connections busy, on PostgreSQL and Redis.
 */
describe.each(DATABASES.filter((t) => databaseOf(t) === 'postgres').map(adapterOf))('graceful shutdown on %s (SEC-103)', (adapter) => {
  let dir: string;
  let db: Awaited<ReturnType<typeof createScratchDatabase>>;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  const started: DemoProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fabric-shutdown-'));
    db = await createScratchDatabase();
    redis = await startPrivateRedis();
  }, 60_000);

  afterAll(async () => {
    for (const demo of started) {
      if (demo.child.exitCode === null && demo.child.signalCode === null) demo.child.kill('SIGKILL');
    }
    await redis?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const startInstance = async () => {
    const demo = await startDemo({
      DATA_DIR: join(dir, `i${started.length}`),
      DATABASE_URL: db.url,
      FABRIC_AUTH__SECRET_KEY: 'shutdown-suite-secret-3b9e1d7c5a2f8e4b6d0c',
      FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: ADMIN_PASSWORD,
      FABRIC_SERVER__REDIS_URL: redis.url,
      HTTP_ADAPTER: adapter,
    });
    started.push(demo);
    return demo;
  };

  it('under pooled keep-alive load: in-flight requests complete, connections close, the process exits well within the drain bound', { timeout: 90_000 }, async () => {
    const demo = await startInstance();
    const { access_token } = await loginToDemo(demo, 'admin', ADMIN_PASSWORD);
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const sockets = new Set<Socket>();
    const auth = { authorization: `Bearer ${access_token}` };
    let signalledAt = 0;
    // Every connection is open before the signal: one still in the kernel's accept queue when the server
    // stops listening is reset by the kernel, whatever the server does. So the logins' pool connects first.
    const loginAgent = new Agent({ keepAlive: true, maxSockets: LOGINS });
    await Promise.all(Array.from({ length: LOGINS }, () => send(loginAgent, demo.url, 'GET', '/auth/me', sockets, auth)));
    // Eight pooled clients, each sending one request after the other until the server stops answering;
    // each keeps its answers and how it ended.
    const clients = Array.from({ length: 8 }, async () => {
      const answers: Answer[] = [];
      for (;;) {
        try {
          answers.push(await send(agent, demo.url, 'GET', '/auth/me', sockets, auth));
        } catch (error) {
          if (signalledAt) return { answers, ended: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
          throw error;
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Password logins on the open connections: a bcrypt hash each, one at a time per account, so most are
    // still in flight when the signal comes and all finish well inside the drain bound.
    const login = JSON.stringify({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD });
    const logins = Array.from({ length: LOGINS }, () =>
      send(loginAgent, demo.url, 'POST', '/auth/token', sockets, { 'content-type': 'application/json', 'content-length': String(login.length) }, login).then((answer) => ({
        ...answer,
        afterSignal: signalledAt > 0,
      })),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const exit = exited(demo);
    signalledAt = performance.now();
    demo.child.kill('SIGTERM');
    const answers = await Promise.all(logins);
    const { code, signal, at } = await exit;
    const ended = await Promise.all(clients);
    agent.destroy();
    loginAgent.destroy();

    expect(answers.map((a) => a.status)).toEqual(Array(LOGINS).fill(200));
    expect(answers.filter((a) => a.afterSignal).length).toBeGreaterThan(0);
    // Nest re-raises the signal only once `app.close()` has finished, pools included; a failed close exits with 1.
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(demo.output()).not.toMatch(/Error during shutdown|ERROR/);
    const tookMs = at - signalledAt;
    expect(tookMs).toBeLessThan(DEFAULT_SERVER_TIMEOUTS.shutdownDrainMs);
    // Each pooled client was told to close its connection (its last answer said `Connection: close`,
    // none failed), then found no listener: no connection was cut mid-answer or left to hang.
    for (const client of ended) {
      expect(client.answers.map((a) => a.status).filter((status) => status !== 200)).toEqual([]);
      expect(client.answers.at(-1)?.connection).toBe('close');
      expect(client.ended).toBe('ECONNREFUSED');
    }
    expect([...sockets].filter((s) => !s.destroyed)).toEqual([]);
  });

  it('a request that never completes holds the shutdown no longer than the drain bound', { timeout: 90_000 }, async () => {
    const demo = await startInstance();
    const { port } = new URL(demo.url);
    // A body announced and never sent: the request stays in flight until the drain bound closes it.
    const stuck = connect(Number(port), '127.0.0.1');
    stuck.on('error', () => undefined);
    await new Promise<void>((resolve) => stuck.once('connect', () => resolve()));
    stuck.write('POST /api/v1/auth/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
    const stuckClosed = new Promise<number>((resolve) => stuck.once('close', () => resolve(performance.now())));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const exit = exited(demo);
    const signalledAt = performance.now();
    demo.child.kill('SIGTERM');
    const { code, signal, at } = await exit;
    const bound = DEFAULT_SERVER_TIMEOUTS.shutdownDrainMs;
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect((await stuckClosed) - signalledAt).toBeGreaterThanOrEqual(bound - 100);
    expect(at - signalledAt).toBeGreaterThanOrEqual(bound - 100);
    // The bound, then closing the pools: a few seconds at most on a busy machine.
    expect(at - signalledAt).toBeLessThan(bound + 5_000);
  });
});
