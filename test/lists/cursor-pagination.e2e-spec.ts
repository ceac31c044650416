import { randomUUID } from 'node:crypto';
import { ApiKeyEntity, AuditEventEntity, ServiceAccountEntity, UserEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

interface Page {
  items: { id: string; [field: string]: unknown }[];
  total: number;
  total_is_estimate: boolean;
  limit: number;
  offset: number;
  next_cursor: string | null;
}

const USER_SORTS = ['created_at', '-created_at', 'username', '-username', 'email', '-email'];

describe.each(DATABASES)('cursor pagination on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  let seq = 0;
  /** All rows of this suite's users carry this prefix, so `?q=` isolates them from the seeded admin. */
  const tag = `cur${process.pid}x`;

  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const get = async (path: string): Promise<Page> => {
    const res = await t.http.get(`${API}${path}`).auth(admin, { type: 'bearer' });
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
    return res.body as Page;
  };

  /** Inserts users straight into the table: created_at ties and NULL emails on purpose. */
  async function insertUsers(count: number, at: Date, opts: { nullEmail?: boolean; active?: boolean } = {}): Promise<UserEntity[]> {
    const repo = t.dataSource.getRepository(UserEntity);
    const rows = Array.from({ length: count }, () => {
      const name = `${tag}${String(++seq).padStart(4, '0')}`;
      return repo.create({
        id: randomUUID(),
        username: name,
        email: opts.nullEmail ? null : `${name}@example.test`,
        fullName: null,
        isActive: opts.active ?? true,
        isSystemAdmin: false,
        emailVerified: false,
        createdAt: at,
        updatedAt: at,
        lastLoginAt: null,
      });
    });
    await repo.insert(rows);
    return rows;
  }

  /**
   * Walks a list to its end with `?cursor=`, calling `between` after every page. Returns the
   * ids in the order served.
   */
  async function walk(path: string, limit: number, between: (page: number) => Promise<void> = async () => {}): Promise<{ ids: string[]; pages: Page[] }> {
    const ids: string[] = [];
    const pages: Page[] = [];
    const join = path.includes('?') ? '&' : '?';
    let page = await get(`${path}${join}limit=${limit}`);
    for (let n = 0; ; n++) {
      pages.push(page);
      ids.push(...page.items.map((i) => i.id));
      if (page.next_cursor === null) break;
      expect(page.items).toHaveLength(limit);
      await between(n);
      page = await get(`${path}${join}limit=${limit}&cursor=${page.next_cursor}`);
    }
    return { ids, pages };
  }

  function sortValue(item: Record<string, unknown>, field: string): string | null {
    return item[field] as string | null;
  }

  describe('users: no row skipped or repeated while rows come and go, for every sort', () => {
    const stable: UserEntity[] = [];
    beforeAll(async () => {
      const base = Date.now() - 3_600_000;
      // Groups share a created_at (ties broken by id); some have no email (a NULL section).
      for (let g = 0; g < 6; g++) stable.push(...(await insertUsers(4, new Date(base + g * 1000))));
      stable.push(...(await insertUsers(5, new Date(base + 10_000), { nullEmail: true })));
      stable.push(...(await insertUsers(3, new Date(base + 11_000), { active: false })));
    });

    it.each(USER_SORTS)('sort=%s', async (sort) => {
      const field = sort.replace(/^-/, '');
      const victims = new Set<string>();
      const added = new Set<string>();
      let addedAt = Date.now() - 3_600_000;
      // Extra rows of our own that get deleted during the walk, and rows inserted during it.
      const doomed = await insertUsers(6, new Date(addedAt + 5_000));
      const { ids, pages } = await walk(`/users?q=${tag}&sort=${sort}`, 4, async (n) => {
        const fresh = await insertUsers(2, new Date((addedAt += 1500)), { nullEmail: n % 2 === 0 });
        fresh.forEach((u) => added.add(u.id));
        const victim = doomed.pop();
        if (victim) {
          await t.dataSource.getRepository(UserEntity).delete({ id: victim.id });
          victims.add(victim.id);
        }
      });
      // Nothing served twice; every row that existed throughout was served.
      expect(new Set(ids).size).toBe(ids.length);
      for (const user of stable) expect(ids, `${user.username} missing with sort=${sort}`).toContain(user.id);
      const servedOthers = ids.filter((id) => !stable.some((u) => u.id === id) && !added.has(id) && !victims.has(id) && !doomed.some((d) => d.id === id));
      expect(servedOthers).toEqual([]);
      // Served in order: the sort column (NULLs largest), then id, in the sort's direction.
      const items = pages.flatMap((p) => p.items);
      const descending = sort.startsWith('-');
      for (let i = 1; i < items.length; i++) {
        const [a, b] = [items[i - 1], items[i]];
        const [va, vb] = [sortValue(a, field), sortValue(b, field)];
        const cmp = va === vb ? 0 : va === null ? 1 : vb === null ? -1 : va < vb ? -1 : 1;
        const ordered = cmp === 0 ? (descending ? a.id > b.id : a.id < b.id) : descending ? cmp > 0 : cmp < 0;
        expect(ordered, `${JSON.stringify(va)} then ${JSON.stringify(vb)} with sort=${sort}`).toBe(true);
      }
      await t.dataSource.getRepository(UserEntity).delete([...added, ...doomed.map((d) => d.id)]);
    });

    it('cursor pages and offset pages serve the same order; offset tells the position', async () => {
      for (const sort of USER_SORTS) {
        const { ids, pages } = await walk(`/users?q=${tag}&sort=${sort}`, 5);
        const byOffset: string[] = [];
        for (let offset = 0; offset < ids.length; offset += 5) byOffset.push(...(await get(`/users?q=${tag}&sort=${sort}&limit=5&offset=${offset}`)).items.map((i) => i.id));
        expect(byOffset).toEqual(ids);
        expect(pages.map((p) => p.offset)).toEqual(pages.map((_, i) => i * 5));
        expect(pages.at(-1)!.next_cursor).toBeNull();
        for (const page of pages) expect(page).toMatchObject({ total: ids.length, total_is_estimate: false, limit: 5 });
      }
    });

    it('an offset page hands out a cursor that continues from it', async () => {
      const all = (await get(`/users?q=${tag}&limit=500`)).items.map((i) => i.id);
      const middle = await get(`/users?q=${tag}&limit=3&offset=6`);
      const next = await get(`/users?q=${tag}&limit=3&cursor=${middle.next_cursor}`);
      expect(next.offset).toBe(9);
      expect(next.items.map((i) => i.id)).toEqual(all.slice(9, 12));
    });

    it('filters keep working under a cursor (is_active)', async () => {
      const { ids } = await walk(`/users?q=${tag}&is_active=false&sort=-username`, 2);
      expect(ids.sort()).toEqual(
        stable
          .filter((u) => !u.isActive)
          .map((u) => u.id)
          .sort(),
      );
    });
  });

  describe('a cursor only serves the query that made it', () => {
    let cursor: string;
    beforeAll(async () => {
      await insertUsers(3, new Date());
      cursor = (await get(`/users?q=${tag}&sort=username&limit=1`)).next_cursor!;
      expect(cursor).toEqual(expect.any(String));
    });

    const refused = async (path: string, message: RegExp) => {
      const res = await t.http.get(`${API}${path}`).auth(admin, { type: 'bearer' });
      expect(res.status, path).toBe(400);
      expect(res.body.error).toBe('Bad Request');
      expect(JSON.stringify(res.body.message)).toMatch(message);
    };

    it('a tampered cursor is a 400', async () => {
      const [body, mac] = cursor.split('.');
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString());
      const forged = Buffer.from(JSON.stringify({ ...payload, k: 'a' })).toString('base64url');
      await refused(`/users?q=${tag}&sort=username&cursor=${forged}.${mac}`, /cursor is not valid/);
      await refused(`/users?q=${tag}&sort=username&cursor=${body}.${mac.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}`, /cursor is not valid/);
      await refused(`/users?q=${tag}&sort=username&cursor=not-a-cursor`, /cursor must be a next_cursor/);
      await refused(`/users?q=${tag}&sort=username&cursor=${'a'.repeat(2000)}.b`, /cursor/);
    });

    it('another sort, other filters or another list: 400', async () => {
      await refused(`/users?q=${tag}&sort=-username&cursor=${cursor}`, /another list, sort or filter/);
      await refused(`/users?q=${tag}1&sort=username&cursor=${cursor}`, /another list, sort or filter/);
      await refused(`/users?sort=username&cursor=${cursor}`, /another list, sort or filter/);
      await refused(`/users?q=${tag}&sort=username&is_active=true&cursor=${cursor}`, /another list, sort or filter/);
      await refused(`/audit?cursor=${cursor}`, /another list, sort or filter/);
      await refused(`/roles?cursor=${cursor}`, /another list, sort or filter/);
    });

    it('cursor and offset together: 400', async () => {
      await refused(`/users?q=${tag}&sort=username&offset=0&cursor=${cursor}`, /either cursor or offset/);
    });
  });

  describe('every list pages by cursor', () => {
    it('audit events, newest first and oldest first, with filters', async () => {
      const repo = t.dataSource.getRepository(AuditEventEntity);
      const at = new Date(Date.now() - 7_200_000);
      const target = `cursor-target-${kind}`;
      const rows = Array.from({ length: 9 }, (_, i) =>
        repo.create({
          occurredAt: new Date(at.getTime() + Math.floor(i / 3) * 1000),
          action: 'test.cursor',
          outcome: 'success',
          targetType: 'test',
          targetId: target,
          actorKind: null,
          actorId: null,
          actorName: null,
          ip: null,
          userAgent: null,
          details: null,
        }),
      );
      await repo.insert(rows);
      const newest = await walk(`/audit?target=${target}`, 2);
      expect(new Set(newest.ids)).toEqual(new Set(rows.map((r) => r.id)));
      expect(newest.ids).toHaveLength(9);
      const oldest = await walk(`/audit?target=${target}&sort=occurred_at`, 4);
      expect(oldest.ids).toEqual([...newest.ids].reverse());
    });

    it('API keys of a user and of a service account; sessions; service accounts; roles', async () => {
      const { user, password } = await t.createUser({ prefix: 'keyowner' });
      for (let i = 0; i < 5; i++) {
        const res = await t.http
          .post(`${API}/users/${user.username}/api-keys`)
          .auth(admin, { type: 'bearer' })
          .send({ name: `k${i}` });
        expect(res.status).toBe(201);
      }
      const keys = await walk(`/users/${user.username}/api-keys`, 2);
      expect(keys.ids).toHaveLength(5);
      expect(new Set(keys.ids).size).toBe(5);

      for (let i = 0; i < 3; i++) await t.login(user.username, password);
      const sessions = await walk(`/users/${user.username}/sessions`, 2);
      expect(sessions.ids).toHaveLength(3);

      const accounts = t.dataSource.getRepository(ServiceAccountEntity);
      const now = new Date();
      const created = Array.from({ length: 5 }, (_, i) => accounts.create({ name: `cursor-sa-${kind}-${i}`, description: null, isActive: true, createdAt: now, updatedAt: now }));
      await accounts.insert(created);
      const listed = await walk('/service-accounts', 2);
      expect(listed.ids).toEqual(expect.arrayContaining(created.map((a) => a.id)));
      expect(new Set(listed.ids).size).toBe(listed.ids.length);

      const saKeys = t.dataSource.getRepository(ApiKeyEntity);
      const sa = created[0];
      for (let i = 0; i < 3; i++) {
        const res = await t.http
          .post(`${API}/service-accounts/${sa.id}/api-keys`)
          .auth(admin, { type: 'bearer' })
          .send({ name: `sak${i}` });
        expect(res.status).toBe(201);
      }
      expect((await walk(`/service-accounts/${sa.id}/api-keys`, 2)).ids.sort()).toEqual((await saKeys.findBy({ serviceAccountId: sa.id })).map((k) => k.id).sort());

      const roles = await walk('/roles', 2);
      const names = (await get('/roles?limit=500')).items.map((r) => r.id);
      expect(roles.ids).toEqual(names);
    });
  });
});
