import { Logger } from '@nestjs/common';
import { CLOCK_DIFFERENCE_WARNING_MS, ClockCheck } from '../../libs/fabric-auth/src/features/maintenance/clock-check.service.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateApiKey } from '../../libs/fabric-auth/src/access/api-keys/api-key-format.js';
import { FABRIC_LOCKOUT_STORE } from '../../libs/fabric-auth/src/core/fabric-auth.constants.js';
import type { FabricLockoutStore } from '../../libs/fabric-auth/src/core/ports/lockout-store.js';
import { startPrivateRedis } from '../support/redis.js';
import { API, startTestApp, type TestApp } from '../support/test-app.js';

const WRONG = 'Wrong-password-1';
const SKEW_SECONDS = 90;

/**
 * SEC-105: two instances on one PostgreSQL and one (private) Redis, one clock 90 s fast and the
 * other 90 s slow. Locks and counters read Redis's clock, so each instance honours the other's
 * locks for exactly as long; each instance reports its own skew.
 */
describe('locks across instances whose clocks are 90 s apart each way (PostgreSQL + Redis, SEC-105)', () => {
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let fast: TestApp;
  let slow: TestApp;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    const options = {
      lockoutThreshold: 5,
      lockoutAccountThreshold: 1000,
      lockoutDuration: 60,
      rateLimits: true,
      trustedProxies: ['127.0.0.1'],
      redisUrl: redis.url,
    };
    fast = await startTestApp('postgres', { options });
    slow = await startTestApp('postgres', { options, sharedDatabase: fast.database });
    fast.clock.advance(SKEW_SECONDS);
    slow.clock.advance(-SKEW_SECONDS);
  }, 120_000);

  afterAll(async () => {
    await slow?.close();
    await fast?.close();
    await redis?.stop();
  });

  afterEach(() => vi.restoreAllMocks());

  let net = 0;
  const address = () => `203.0.${Math.floor(++net / 250)}.${(net % 250) + 1}`;
  const login = (t: TestApp, username: string, password: string, from: string) =>
    t.http.post(`${API}/auth/token`).set('x-forwarded-for', from).send({ grant_type: 'password', username, password });

  it.each([
    ['the fast instance', 'the slow one', () => [fast, slow] as const],
    ['the slow instance', 'the fast one', () => [slow, fast] as const],
  ])('a password lock set on %s is honoured on %s, and on both it runs for the same time', async (_, __, instances) => {
    const [setter, other] = instances();
    const { user, password } = await fast.createUser();
    const from = address();
    for (let i = 0; i < 5; i++) expect((await login(setter, user.username, WRONG, from)).status).toBe(400);
    // The right password from the locked (account, address) pair is refused on both instances.
    for (const t of [other, setter]) {
      const res = await login(t, user.username, password, from);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
    }
    // The lock is the pair's: the owner's other address still gets in, on either instance.
    expect((await login(other, user.username, password, address())).status).toBe(200);
    const key = `login-pair:${user.id}|${from}`;
    const left = await Promise.all([setter, other].map((t) => t.app.get<FabricLockoutStore>(FABRIC_LOCKOUT_STORE).lockedFor(key)));
    // Both read the same lock against the same (Redis) clock: about the 60 s lock, not 60 ± 180.
    for (const ms of left) {
      expect(ms).toBeGreaterThan(55_000);
      expect(ms).toBeLessThanOrEqual(60_000);
    }
    expect(Math.abs(left[0] - left[1])).toBeLessThan(2_000);
  });

  it('API-key failures counted on the slow instance lock the address on the fast one, for the rest of the same lock', async () => {
    const from = address();
    const refuse = (t: TestApp) => t.http.get(`${API}/auth/me`).set('x-forwarded-for', from).set('x-api-key', generateApiKey().key);
    let last = await refuse(slow);
    for (let i = 1; i < 30 && last.status === 401; i++) last = await refuse(slow);
    expect(last.status).toBe(429);
    const onFast = await refuse(fast);
    expect(onFast.status).toBe(429);
    // The lock set on the slow instance (60 s), not a fresh, doubled one because the fast clock thinks it ran out.
    expect(Number(onFast.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(Number(onFast.headers['retry-after'])).toBeGreaterThan(50);
  });

  it('each instance reports its clock against the database and Redis; an instance on time reports nothing', async () => {
    const warnings: string[] = [];
    vi.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
    const onFast = await fast.app.get(ClockCheck).check();
    const onSlow = await slow.app.get(ClockCheck).check();
    expect(onFast.map((d) => d.source)).toEqual(['database', 'redis']);
    for (const d of onFast) expect(Math.abs(d.aheadMs - SKEW_SECONDS * 1000)).toBeLessThan(2_000);
    for (const d of onSlow) expect(Math.abs(d.aheadMs + SKEW_SECONDS * 1000)).toBeLessThan(2_000);
    expect(warnings.filter((w) => /clock is 9\d\.\d s ahead of the database's/.test(w))).toHaveLength(1);
    expect(warnings.filter((w) => /clock is 9\d\.\d s ahead of the redis's/.test(w))).toHaveLength(1);
    expect(warnings.filter((w) => /clock is 9\d\.\d s behind the database's/.test(w))).toHaveLength(1);
    expect(warnings.filter((w) => /clock is 9\d\.\d s behind the redis's/.test(w))).toHaveLength(1);

    warnings.length = 0;
    fast.clock.advance(-SKEW_SECONDS);
    try {
      const onTime = await fast.app.get(ClockCheck).check();
      for (const d of onTime) expect(Math.abs(d.aheadMs)).toBeLessThan(CLOCK_DIFFERENCE_WARNING_MS);
      expect(warnings).toEqual([]);
    } finally {
      fast.clock.advance(SKEW_SECONDS);
    }
  });
});
