import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../libs/fabric-auth/src/access/api-keys/api-key-format.js';
import { ApiKeysService } from '../../libs/fabric-auth/src/access/api-keys/api-keys.service.js';
import { FabricAuthenticator } from '../../libs/fabric-auth/src/access/guard/fabric-authenticator.js';
import { API_KEY_FAILURE_POLICY } from '../../libs/fabric-auth/src/access/limits/limits.service.js';
import { PrincipalService } from '../../libs/fabric-auth/src/access/principal/principal.service.js';
import { Revocations } from '../../libs/fabric-auth/src/access/sessions/revocations.js';
import { SessionsService } from '../../libs/fabric-auth/src/access/sessions/sessions.service.js';
import { FabricAuthError } from '../../libs/fabric-auth/src/core/fabric-auth.error.js';
import { startPrivateRedis } from '../support/redis.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// The counts issue 10 names: 100k refused keys, 30k logouts (about 45 s here).
const REFUSED_KEYS = 100_000;
const LOGOUTS = 30_000;
const PREFIX = 'bounded:';

async function inBatches<T>(count: number, size: number, work: (i: number) => Promise<T>): Promise<void> {
  for (let start = 0; start < count; start += size) {
    await Promise.all(Array.from({ length: Math.min(size, count - start) }, (_, j) => work(start + j)));
  }
}

/** SEC-94 and issue 10 item 5: what an attacker's requests leave behind is bounded (counts, not timings). */
describe('state left by refused keys and logouts stays bounded (SQLite, Redis)', () => {
  let t: TestApp;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let client: Redis;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    client = new Redis(redis.url);
    t = await startTestApp('sqlite', { options: { rateLimits: true, redisUrl: redis.url, redisKeyPrefix: PREFIX } });
  });
  afterAll(async () => {
    await t?.close();
    client?.disconnect();
    await redis?.stop();
  });

  it(`${REFUSED_KEYS} distinct refused keys from as many addresses: no cached key, every Redis counter expires with its window`, async () => {
    const authenticator = t.app.get(FabricAuthenticator);
    let refused = 0;
    await inBatches(REFUSED_KEYS, 200, async (i) => {
      const request = { headers: { 'x-api-key': generateApiKey().key }, socket: { remoteAddress: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` } };
      try {
        await authenticator.authenticate(request);
      } catch (error) {
        if (error instanceof FabricAuthError) refused++;
        else throw error;
      }
    });
    expect(refused).toBe(REFUSED_KEYS);
    expect(t.app.get(ApiKeysService).cachedCounts).toEqual({ keys: 0, keyIds: 0, owners: 0 });
    const keys: string[] = [];
    for (let cursor = '0'; ;) {
      const [next, batch] = await client.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 5000);
      keys.push(...batch);
      if ((cursor = next) === '0') break;
    }
    expect(keys.length).toBeLessThanOrEqual(REFUSED_KEYS);
    const ttls = (await client.pipeline(keys.map((key) => ['pttl', key])).exec())!.map(([, ttl]) => Number(ttl));
    // Every counter lives at most its window (not a day): a refused request costs a window's worth of memory.
    expect(ttls.filter((ttl) => ttl < 0 || ttl > API_KEY_FAILURE_POLICY.windowMs)).toEqual([]);
  }, 600_000);

  it(`${LOGOUTS} logins and logouts of one user leave no cached session, and the revocation log is pruned in bounded batches`, async () => {
    const { user } = await t.createUser();
    const sessions = t.app.get(SessionsService);
    const principals = t.app.get(PrincipalService);
    const revocations = t.app.get(Revocations);
    await revocations.poll();
    let mostCached = 0;
    for (let done = 0; done < LOGOUTS; done += 100) {
      const batch = await Promise.all(Array.from({ length: 100 }, () => sessions.create(user.id, 'password')));
      for (const { session } of batch) {
        await principals.forAccessClaims({ sub: user.id, sid: session.id, jti: session.id, iat: 0, nbf: 0, exp: 0 }, 'jwt');
      }
      mostCached = Math.max(mostCached, principals.cachedCounts.sessions);
      await Promise.all(batch.map(({ session }) => sessions.revoke(session.id, 'logout')));
    }
    // The sessions were cached while live (so the test measures something), and logging out removed them.
    expect(mostCached).toBeGreaterThanOrEqual(100);
    await revocations.poll();
    expect(principals.cachedCounts).toEqual({ sessions: 0, principals: 0 });
    const rows = async () => Number((await t.dataSource.query('SELECT count(*) AS n FROM revocations'))[0].n);
    expect(await rows()).toBeGreaterThanOrEqual(LOGOUTS);
    expect(await revocations.prune()).toBe(0);
    t.clock.advance(3600);
    let batches = 0;
    for (let deleted = await revocations.prune(); deleted > 0; deleted = await revocations.prune()) {
      expect(deleted).toBeLessThanOrEqual(5_000);
      batches++;
    }
    expect(batches).toBeGreaterThanOrEqual(Math.ceil(LOGOUTS / 5_000));
    expect(await rows()).toBe(0);
    t.clock.reset();
  }, 600_000);
});
