import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASE_KINDS, startTestApp, type TestApp } from '../support/test-app.js';

/** Issue 19: concurrent rotations retire every key but the newest (5 of 6 kept no retirement date). */
describe.each(DATABASE_KINDS)('parallel signing-key rotations on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(kind, { options: { issuer: 'https://auth.example.test', signing: { algorithm: 'EdDSA' } } });
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  it('6 rotations at once: every key but the one that signs carries retires_at, and that one signs new tokens', async () => {
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(Array.from({ length: 6 }, () => t.http.post(`${API}/signing-keys/rotate`).auth(admin, { type: 'bearer' })));
      for (const answer of answers) expect(answer.status).toBe(200);
      const rows: Array<{ kid: string; retires_at: unknown }> = await t.dataSource.query('SELECT kid, retires_at FROM signing_keys');
      const current = rows.filter((r) => r.retires_at === null);
      expect(current).toHaveLength(1);
      const listed = (await t.http.get(`${API}/signing-keys`).auth(admin, { type: 'bearer' })).body as Array<{ kid: string; status: string; retires_at: string | null }>;
      const items = Array.isArray(listed) ? listed : (listed as unknown as { items: typeof listed }).items;
      expect(items.filter((k) => k.status === 'signing').map((k) => k.kid)).toEqual([current[0].kid]);
      for (const key of items.filter((k) => k.status !== 'signing')) expect(key.retires_at).not.toBeNull();
      admin = await t.adminToken();
      const header = JSON.parse(Buffer.from(admin.split('.')[0], 'base64url').toString('utf8')) as { kid: string };
      expect(header.kid).toBe(current[0].kid);
    }
  });
});
