import { createHash, randomUUID } from 'node:crypto';
import { ApiKeyEntity, AuditEventEntity, OneTimeTokenEntity, SessionEntity } from 'nestjs-fabric-auth/entities';
import { PruningService, SessionsService } from 'nestjs-fabric-auth';
import { resolveFabricAuthOptions } from '../../libs/fabric-auth/src/options/resolve-options.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, startTestApp, TEST_OPTIONS, type TestApp } from '../support/test-app.js';

const DAY = 86_400;

it('audit events are kept by default; the job runs hourly; revoked keys stay listed 30 days', () => {
  const options = resolveFabricAuthOptions(TEST_OPTIONS);
  expect(options).toMatchObject({ auditRetentionDays: 0, pruneInterval: 3600, revokedKeyRetentionDays: 30 });
  expect(() => resolveFabricAuthOptions({ ...TEST_OPTIONS, auditRetentionDays: -1 })).toThrow(/audit_retention_days|auditRetentionDays/);
});

describe.each(DATABASES)('pruning on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  let pruning: PruningService;
  beforeAll(async () => {
    t = await startTestApp(kind, { options: { pruneInterval: 0, auditRetentionDays: 30 } });
    admin = await t.adminToken();
    pruning = t.app.get(PruningService);
  });
  afterAll(() => t?.close());

  const ids = async <E extends { id: string }>(entity: new () => E, where: object = {}) => (await t.dataSource.getRepository(entity).findBy(where)).map((row) => row.id);

  async function tokenRow(userId: string, spec: { usedAt?: Date | null; expiresAt: Date }): Promise<string> {
    const id = randomUUID();
    await t.dataSource.getRepository(OneTimeTokenEntity).insert({
      id,
      userId,
      purpose: 'password_reset',
      tokenHash: createHash('sha256').update(id).digest('hex'),
      createdAt: new Date(t.clock.now()),
      expiresAt: spec.expiresAt,
      usedAt: spec.usedAt ?? null,
    });
    return id;
  }

  it('deletes what can no longer be used, keeps what can, and audits what it did', async () => {
    t.clock.reset();
    const now = () => new Date(t.clock.now());
    const { user, password } = await t.createUser({ prefix: 'prune' });
    const live = await t.login(user.username, password);
    await t.login(user.username, password);
    await t.login(user.username, password);
    const [liveId, revokedId, expiredId] = await ids(SessionEntity, { userId: user.id }).then((found) => found.sort());
    const liveSession = (await t.dataSource.getRepository(SessionEntity).findOneByOrFail({ refreshTokenHash: createHash('sha256').update(live.refresh_token).digest('hex') })).id;
    const [revoked, expired] = [liveId, revokedId, expiredId].filter((id) => id !== liveSession) as [string, string];
    await t.app.get(SessionsService).revoke(revoked, 'revoked');
    await t.dataSource.getRepository(SessionEntity).update({ id: expired }, { expiresAt: new Date(t.clock.now() - 2 * DAY * 1000) });

    const unusedToken = await tokenRow(user.id, { expiresAt: new Date(t.clock.now() + 3600_000) });
    const usedToken = await tokenRow(user.id, { usedAt: now(), expiresAt: new Date(t.clock.now() + 3600_000) });
    const expiredToken = await tokenRow(user.id, { expiresAt: new Date(t.clock.now() - 1000) });

    const key = async (name: string) => {
      const res = await t.http.post(`${API}/users/${user.username}/api-keys`).auth(admin, { type: 'bearer' }).send({ name, expires_in_days: 90 });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const [liveKey, revokedKey, expiredKey] = [await key('live'), await key('revoked'), await key('expired')];
    expect((await t.http.delete(`${API}/users/${user.username}/api-keys/${revokedKey}`).auth(admin, { type: 'bearer' })).status).toBe(204);
    await t.dataSource.getRepository(ApiKeyEntity).update({ id: expiredKey }, { expiresAt: new Date(t.clock.now() - DAY * 1000) });

    const audit = t.dataSource.getRepository(AuditEventEntity);
    const event = (daysAgo: number) =>
      audit.create({
        occurredAt: new Date(t.clock.now() - daysAgo * DAY * 1000),
        action: 'test.prune',
        outcome: 'success',
        actorKind: null,
        actorId: null,
        actorName: null,
        targetType: 'test',
        targetId: `prune-${kind}`,
        ip: null,
        userAgent: null,
        details: null,
      });
    const [oldEvent, recentEvent] = [event(40), event(10)];
    await audit.insert([oldEvent, recentEvent]);

    // Now: the expired session and the used/expired tokens go; the revoked session stays
    // while an access token minted from it could still be presented; keys are within retention.
    const first = await pruning.prune();
    expect(first).toMatchObject({ sessions: 1, oneTimeTokens: 2, apiKeys: 0, auditEvents: 1 });
    expect((await ids(SessionEntity, { userId: user.id })).sort()).toEqual([liveSession, revoked].sort());
    expect((await ids(OneTimeTokenEntity, { userId: user.id })).sort()).toEqual([unusedToken]);
    expect(await ids(OneTimeTokenEntity, { id: usedToken })).toEqual([]);
    expect(await ids(OneTimeTokenEntity, { id: expiredToken })).toEqual([]);
    expect(await ids(AuditEventEntity, { id: oldEvent.id })).toEqual([]);
    expect(await ids(AuditEventEntity, { id: recentEvent.id })).toEqual([recentEvent.id]);
    const me = await t.http.get(`${API}/auth/me`).auth(live.access_token, { type: 'bearer' });
    expect(me.status).toBe(200);

    const record = await audit.findOneByOrFail({ action: 'maintenance.prune' });
    expect(record.details).toMatchObject({ sessions: 1, oneTimeTokens: 2, apiKeys: 0, auditEvents: 1 });
    expect(record.actorId).toBeNull();

    // Past the access-token lifetime the revoked session goes too.
    t.clock.advance(16 * 60);
    expect(await pruning.prune()).toMatchObject({ sessions: 1, apiKeys: 0 });
    expect(await ids(SessionEntity, { userId: user.id })).toEqual([liveSession]);

    // 31 days on: keys revoked or expired 30+ days ago go, the live one stays listed.
    t.clock.advance(31 * DAY);
    const late = await pruning.prune();
    expect(late).toMatchObject({ apiKeys: 2 });
    expect(await ids(ApiKeyEntity, { userId: user.id })).toEqual([liveKey]);
    const listed = await t.http.get(`${API}/users/${user.username}/api-keys`).auth(await t.adminToken(), { type: 'bearer' });
    expect(listed.body.items.map((k: { id: string }) => k.id)).toEqual([liveKey]);
    expect(await ids(AuditEventEntity, { id: recentEvent.id })).toEqual([]); // 41 days old by now
    t.clock.reset();
  });

  it('one round at a time: a second call while one runs does nothing', async () => {
    const [a, b] = await Promise.all([pruning.prune(), pruning.prune()]);
    expect([a, b].filter((r) => r === null)).toHaveLength(1);
  });
});

// Several hosts share one PostgreSQL; SQLite (one file, one host) serialises writers itself.
describe('pruning lock on postgres', () => {
  let t: TestApp;
  let pruning: PruningService;
  beforeAll(async () => {
    t = await startTestApp('postgres', { options: { pruneInterval: 0 } });
    pruning = t.app.get(PruningService);
  });
  afterAll(() => t?.close());

  async function tokenRow(userId: string, expiresAt: Date): Promise<string> {
    const id = randomUUID();
    await t.dataSource
      .getRepository(OneTimeTokenEntity)
      .insert({ id, userId, purpose: 'password_reset', tokenHash: createHash('sha256').update(id).digest('hex'), createdAt: expiresAt, expiresAt, usedAt: null });
    return id;
  }
  const ids = async (id: string) => (await t.dataSource.getRepository(OneTimeTokenEntity).findBy({ id })).map((row) => row.id);

  it('another instance holding the lock: this one skips the round', async () => {
    const client = new pg.Client({ connectionString: (t.dataSource.options as { url: string }).url });
    await client.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1::bigint)', [pruning.lockKey()]);
      const { user } = await t.createUser({ prefix: 'locked' });
      const token = await tokenRow(user.id, new Date(t.clock.now() - 1000));
      expect(await pruning.prune()).toBeNull();
      expect(await ids(token)).toEqual([token]);
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [pruning.lockKey()]);
      expect(await pruning.prune()).toMatchObject({ oneTimeTokens: 1 });
      expect(await ids(token)).toEqual([]);
    } finally {
      await client.end();
    }
  });
});

describe.each(DATABASES)('the periodic job on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind, { options: { pruneInterval: 1 } });
  });
  afterAll(() => t?.close());

  it('runs by itself every auth.prune_interval seconds, and keeps audit events by default', async () => {
    const { user } = await t.createUser({ prefix: 'periodic' });
    const id = randomUUID();
    const tokens = t.dataSource.getRepository(OneTimeTokenEntity);
    const past = new Date(t.clock.now() - 1000);
    await tokens.insert({ id, userId: user.id, purpose: 'activation', tokenHash: createHash('sha256').update(id).digest('hex'), createdAt: past, expiresAt: past, usedAt: null });
    const audit = t.dataSource.getRepository(AuditEventEntity);
    const ancient = audit.create({
      occurredAt: new Date(t.clock.now() - 3650 * DAY * 1000),
      action: 'test.ancient',
      outcome: 'success',
      actorKind: null,
      actorId: null,
      actorName: null,
      targetType: null,
      targetId: null,
      ip: null,
      userAgent: null,
      details: null,
    });
    await audit.insert(ancient);
    const deadline = Date.now() + 20_000;
    while ((await tokens.countBy({ id })) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await tokens.countBy({ id })).toBe(0);
    expect(await audit.countBy({ id: ancient.id })).toBe(1);
  });
});
