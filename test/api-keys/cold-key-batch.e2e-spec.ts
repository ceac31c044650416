import { ApiKeysService, type Principal } from 'nestjs-fabric-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../libs/fabric-auth/src/access/api-keys/api-key-format.js';
import { watchReadStatements } from '../support/named-statements.js';
import { API, DATABASE_KINDS, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Cold API keys asked for in one turn of the event loop are read together (one statement on
 * PostgreSQL): each still gets its own answer — its owner and roles, a rerolled key's old
 * secret only within its grace, nothing for a revoked or unknown key.
 */
// The key reads behind the guard, called directly: the HTTP adapter changes nothing here, so per database only.
describe.each(DATABASE_KINDS)('cold API keys read together on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  let statements: string[];
  beforeAll(async () => {
    t = await startTestApp(kind, { options: { principalCacheTtl: 0 } });
    admin = await t.adminToken();
    statements = [];
    // Count the statements the key reads send: the batch read, sent by name (named-statements.ts).
    watchReadStatements(t.dataSource, ({ name, text }) => {
      if (name?.startsWith('fabric_') && text.includes('k.key_hash = ANY(')) statements.push('api key grants');
    });
  });
  afterAll(() => t?.close());

  async function keyFor(path: string, body: object = { name: 'batch' }) {
    const res = await t.http.post(`${API}${path}`).auth(admin, { type: 'bearer' }).send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; key: string };
  }

  it('each key of a batch gets its own principal or refusal', async () => {
    const viewer = await t.actor(['viewer']);
    const auditor = await t.actor(['auditor']);
    const account = await t.http
      .post(`${API}/service-accounts`)
      .auth(admin, { type: 'bearer' })
      .send({ name: `batch-sa-${process.pid}`, roles: ['auditor'] });
    expect(account.status, JSON.stringify(account.body)).toBe(201);
    const viewerKey = await keyFor(`/users/${viewer.user.username}/api-keys`);
    const scopedKey = await keyFor(`/users/${auditor.user.username}/api-keys`, { name: 'scoped', scopes: ['audit:read'] });
    const accountKey = await keyFor(`/service-accounts/${account.body.id}/api-keys`);
    const rolled = await keyFor(`/users/${viewer.user.username}/api-keys`, { name: 'rolled' });
    const reroll = await t.http.post(`${API}/users/${viewer.user.username}/api-keys/${rolled.id}/reroll`).auth(admin, { type: 'bearer' });
    expect(reroll.status).toBe(200);
    const revoked = await keyFor(`/users/${viewer.user.username}/api-keys`, { name: 'gone' });
    expect((await t.http.delete(`${API}/users/${viewer.user.username}/api-keys/${revoked.id}`).auth(admin, { type: 'bearer' })).status).toBe(204);
    const unknown = generateApiKey().key;

    const keys = t.app.get(ApiKeysService);
    const batch = [viewerKey.key, scopedKey.key, accountKey.key, rolled.key, reroll.body.key as string, revoked.key, unknown, viewerKey.key];
    const summary = (outcome: PromiseSettledResult<Principal>) =>
      outcome.status === 'rejected' ? 'refused' : `${outcome.value.kind}:${outcome.value.id}:${outcome.value.apiKeyId}:${[...outcome.value.permissions].sort().join(',')}`;
    statements.length = 0;
    // All asked for in the same turn: one read on PostgreSQL.
    const together = (await Promise.allSettled(batch.map((k) => Promise.resolve(keys.authenticate(k))))).map(summary);
    if (t.dataSource.driver.options.type === 'postgres') expect(statements).toEqual(['api key grants']);
    // The same keys one at a time answer the same.
    const alone: string[] = [];
    for (const k of batch) alone.push(summary((await Promise.allSettled([Promise.resolve(keys.authenticate(k))]))[0]));
    expect(together).toEqual(alone);
    expect(together).toEqual([
      `user:${viewer.user.id}:${viewerKey.id}:reports:read,users:list,users:read`,
      `user:${auditor.user.id}:${scopedKey.id}:audit:read`,
      `service_account:${account.body.id}:${accountKey.id}:audit:read`,
      `user:${viewer.user.id}:${rolled.id}:reports:read,users:list,users:read`,
      `user:${viewer.user.id}:${rolled.id}:reports:read,users:list,users:read`,
      'refused',
      'refused',
      `user:${viewer.user.id}:${viewerKey.id}:reports:read,users:list,users:read`,
    ]);
    // Past the reroll's grace, the old secret is refused in a batch too; the new one is not.
    t.clock.advance(3601);
    try {
      const later = (await Promise.allSettled([rolled.key, reroll.body.key as string].map((k) => Promise.resolve(keys.authenticate(k))))).map(summary);
      expect(later).toEqual(['refused', `user:${viewer.user.id}:${rolled.id}:reports:read,users:list,users:read`]);
    } finally {
      t.clock.reset();
    }
  });
});
