import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DemoProcess, loginToDemo, startDemo } from './demo-process.js';
import { createScratchDatabase } from './postgres.js';
import { startPrivateRedis } from './redis.js';

export interface DemoCluster {
  /** The instances, in start order; `a` and `b` are the first two. */
  instances: DemoProcess[];
  a: DemoProcess;
  b: DemoProcess;
  /** The scratch PostgreSQL database they share. */
  db: Awaited<ReturnType<typeof createScratchDatabase>>;
  /** The private redis-server they share (tests may stop, freeze or restart it). */
  redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  /** The system admin's access token, from a password login on `a`. */
  adminToken: string;
  stop(): Promise<void>;
}

/**
 * Demo instances as a deployment runs them (SPEC §11): `npm start`'s built demo, each with its
 * own data directory, on one scratch PostgreSQL database and one private redis-server, with
 * the same secret key and, when given, the same config file.
 */
export async function startDemoCluster(options: { name: string; adminPassword: string; config?: string; instances?: number }): Promise<DemoCluster> {
  const dir = mkdtempSync(join(tmpdir(), `fabric-${options.name}-`));
  const secretKey = `${options.name}-secret-${randomBytes(16).toString('hex')}`;
  if (options.config !== undefined) writeFileSync(join(dir, 'config.yaml'), options.config);
  const started: DemoProcess[] = [];
  let db: DemoCluster['db'] | undefined;
  let redis: DemoCluster['redis'] | undefined;
  const stop = async () => {
    for (const instance of started) await instance.stop();
    await redis?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    db = await createScratchDatabase();
    redis = await startPrivateRedis();
    for (let n = 0; n < (options.instances ?? 2); n++) {
      started.push(
        await startDemo({
          DATA_DIR: join(dir, `instance-${n}`),
          ...(options.config !== undefined ? { CONFIG_FILE: join(dir, 'config.yaml') } : {}),
          DATABASE_URL: db.url,
          FABRIC_AUTH__SECRET_KEY: secretKey,
          FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: options.adminPassword,
          FABRIC_SERVER__REDIS_URL: redis.url,
        }),
      );
    }
    const adminToken = (await loginToDemo(started[0], 'admin', options.adminPassword)).access_token;
    return { instances: started, a: started[0], b: started[1], db, redis, adminToken, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
