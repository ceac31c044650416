import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LoggerService, Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FabricRedis } from '../../libs/fabric-auth/src/access/redis/redis-connection.js';
import { loginToDemo, startDemo } from '../support/demo-process.js';
import { startPrivateRedis } from '../support/redis.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Redis unreachable: what the log says', () => {
  const lines: string[] = [];
  const capture: LoggerService = {
    log: (m: unknown) => void lines.push(`LOG ${String(m)}`),
    warn: (m: unknown) => void lines.push(`WARN ${String(m)}`),
    error: (m: unknown) => void lines.push(`ERROR ${String(m)}`),
  };
  afterEach(() => Logger.overrideLogger(true));

  it('one warning when it goes away, a rate-limited reminder while it stays away, one line when it is back', async () => {
    const redis = await startPrivateRedis();
    await redis.stop();
    Logger.overrideLogger(capture);
    // A 1.5 s reminder stands in for the 60 s default, so that the test sees several.
    const client = new FabricRedis(Redis, redis.url, 'outage-log:', 1_500);
    try {
      await sleep(5_000);
      const warnings = lines.filter((l) => l.startsWith('WARN'));
      expect(warnings[0]).toMatch(/^WARN Redis at 127\.0\.0\.1:\d+ is unreachable \(.*ECONNREFUSED.*\): logins and rate-limited routes answer 503/);
      expect(warnings[0]).toContain('reconnecting every ≤ 2 s, reminder every 2 s');
      const reminders = warnings.slice(1);
      expect(reminders.length).toBeGreaterThanOrEqual(2);
      expect(reminders.length).toBeLessThanOrEqual(3);
      for (const reminder of reminders) expect(reminder).toMatch(/still unreachable after \d+ s \(\d+ failed attempts; last: .+\)$/);
      await redis.restart();
      for (let i = 0; i < 50 && !client.available; i++) await sleep(100);
      expect(client.available).toBe(true);
      expect(lines.at(-1)).toMatch(/^LOG Redis at 127\.0\.0\.1:\d+ answers again, after \d+ s$/);
    } finally {
      await client.close();
      await redis.stop();
    }
  }, 30_000);

  describe('the demo, started from a clean directory with FABRIC_SERVER__REDIS_URL pointing nowhere', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fabric-first-hour-cache-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('warns once, not every second, and still serves', async () => {
      const redis = await startPrivateRedis();
      await redis.stop();
      const cwd = join(dir, 'run');
      mkdirSync(cwd);
      const demo = await startDemo(
        { FABRIC_SERVER__REDIS_URL: redis.url, FABRIC_AUTH__SECRET_KEY: 'redis-down-secret-3f8a1c6e9b2d4f7a0c5e', FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: 'Redis-d0wn-admin' },
        { cwd },
      );
      try {
        await sleep(6_000);
        const mentions = demo
          .output()
          .split('\n')
          .filter((l) => /redis/i.test(l.replace(dir, '')));
        expect(mentions, demo.output()).toHaveLength(1);
        expect(mentions[0]).toMatch(/WARN \[FabricRedis\] Redis at 127\.0\.0\.1:\d+ is unreachable/);
        // Logins need Redis: 503, not a hang or a 500.
        await expect(loginToDemo(demo, 'admin', 'Redis-d0wn-admin')).rejects.toThrow(/^login 503/);
      } finally {
        await demo.stop();
      }
    }, 60_000);
  });
});
