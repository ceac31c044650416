import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort } from './demo-process.js';

/** Redis is mandatory like PostgreSQL: an unreachable server fails the run. */
export const REDIS_URL = process.env.FABRIC_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function assertRedisReachable(): Promise<void> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Error(`Redis is required for the test suite and is not reachable at ${REDIS_URL} (${(error as Error).message}). Start it or set FABRIC_TEST_REDIS_URL.`, {
      cause: error,
    });
  } finally {
    client.disconnect();
  }
}

/** A key prefix of its own per suite, and a way to delete everything under it. */
export function scratchPrefix(): { prefix: string; drop: () => Promise<void> } {
  const prefix = `fabric-test-${randomBytes(5).toString('hex')}:`;
  return {
    prefix,
    drop: async () => {
      const client = new Redis(REDIS_URL);
      try {
        const keys = await client.keys(`${prefix}*`);
        if (keys.length > 0) await client.del(...keys);
      } finally {
        client.disconnect();
      }
    },
  };
}

/** A private redis-server on a free port, so a suite can stop and restart it without disturbing others. */
export async function startPrivateRedis(): Promise<{ url: string; readonly pid: number | undefined; stop: () => Promise<void>; restart: () => Promise<void> }> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 50; i++) {
      const client = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 500, retryStrategy: () => null });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.ping();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        client.disconnect();
      }
    }
    throw new Error('private redis-server did not start');
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    /** Of the running server, for SIGSTOP/SIGCONT. */
    get pid() {
      return child?.pid;
    },
    stop,
    restart: async () => (await stop(), await start()),
  };
}
