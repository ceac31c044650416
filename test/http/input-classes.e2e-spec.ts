import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterOf, API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

const nested = (depth: number, leaf: unknown = 1): unknown => {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
};

/** Objects and arrays alternating, `depth` deep, as text (JSON.stringify itself overflows at that depth). */
const nestedText = (depth: number): string => {
  const open = Array.from({ length: depth }, (_, i) => (i % 2 === 0 ? '{"a":' : '['));
  return `${open.join('')}1${open
    .reverse()
    .map((o) => (o === '[' ? ']' : '}'))
    .join('')}`;
};

/** Each a character that is not what it looks like in an identity (SEC-83). */
const INVISIBLE = [
  '\u200B',
  '\u200C',
  '\u200D',
  '\u200E',
  '\u200F',
  '\u202A',
  '\u202B',
  '\u202C',
  '\u202D',
  '\u202E',
  '\u2060',
  '\u2061',
  '\u2062',
  '\u2063',
  '\u2064',
  '\uFEFF',
  '\u00AD',
  '\u2066',
  '\u2069',
  '\u0007',
];

/** One stored character each as the databases count it, but two UTF-16 units or a combining sequence. */
const WIDE_UNITS = [
  ['variation selector', 'a\uFE0F', 2],
  ['combining mark', 'x\u0301', 2],
  ['two combining marks', 'q\u0301\u0323', 3],
  ['astral letter', '\u{1D49C}', 1],
  ['emoji with selector', '\u2764\uFE0F', 2],
] as const;

describe.each(DATABASES)('input classes on %s (SEC-81, SEC-82, SEC-83, SEC-84, SEC-88, SEC-89, SEC-91)', (kind) => {
  let t: TestApp;
  let admin: string;
  let routes: Array<[string, string]>;
  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.adminToken();
    const doc = (await t.http.get('/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => [m, path] as [string, string]));
  });
  afterAll(() => t?.close());

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  let seq = 0;
  const fresh = (prefix: string) => `${prefix}${++seq}x${process.pid}`;

  describe('SEC-81: JSON nested deeper than 32 levels', () => {
    it.each([33, 100, 5_000, 10_000])('is a 400 on every route, signed in or not (depth %i)', async (depth) => {
      const body = nestedText(depth);
      for (const [method, path] of routes) {
        const url = path.replace(/\{[^}]+\}/g, 'someone');
        for (const auth of [{}, bearer(admin)]) {
          const res = await (t.http as any)[method](url).set(auth).set('content-type', 'application/json').send(body);
          // Fastify never reads the body of a GET: nothing parses it, the route answers as without one.
          if (method === 'get' && adapterOf(kind) === 'fastify') {
            expect(res.status, `${method} ${path}`).toBeLessThan(500);
            continue;
          }
          expect(res.status, `${method} ${path}`).toBe(400);
          expect(JSON.stringify(res.body)).not.toMatch(/stack|RangeError|at \w+ \(/);
        }
      }
    });

    it('32 levels are parsed and judged by the route as usual', async () => {
      const res = await t.http
        .post(`${API}/users`)
        .set(bearer(admin))
        .send({ username: fresh('deep'), email: `${fresh('deep')}@example.test`, roles: nested(31, 'viewer') });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).not.toMatch(/nested deeper/);
    });
  });

  describe('SEC-82: lengths count what is stored', () => {
    const FIELDS = [
      [
        'full_name',
        200,
        async (value: string) =>
          t.http
            .post(`${API}/users`)
            .set(bearer(admin))
            .send({ username: fresh('len'), email: `${fresh('len')}@example.test`, full_name: value }),
        (body: any) => body.full_name,
      ],
      ['api key name', 100, async (value: string) => t.http.post(`${API}/users/admin/api-keys`).set(bearer(admin)).send({ name: value }), (body: any) => body.name],
      [
        'service account description',
        500,
        async (value: string) =>
          t.http
            .post(`${API}/service-accounts`)
            .set(bearer(admin))
            .send({ name: fresh('svc-len'), description: value }),
        (body: any) => body.description,
      ],
      [
        'role description',
        500,
        async (value: string) =>
          t.http
            .post(`${API}/roles`)
            .set(bearer(admin))
            .send({ name: fresh('role-len'), description: value, permissions: [] }),
        (body: any) => body.description,
      ],
    ] as const;

    for (const [field, max, send, read] of FIELDS) {
      // Names people read refuse variation selectors (SEC-108); descriptions keep them.
      const units = WIDE_UNITS.filter((u) => !(field.includes('name') && /\p{Default_Ignorable_Code_Point}/u.test(u[1])));
      it.each(units.map((u) => [u[0], u[1], u[2]] as const))(`${field}: %s — over the limit is a 400, at the limit stored whole`, async (_, unit, points) => {
        const fits = unit.repeat(Math.floor(max / points));
        const over = unit.repeat(Math.floor(max / points) + 1);
        const refused = await send(over);
        expect(refused.status, JSON.stringify(refused.body)).toBe(400);
        expect(String(refused.body.message)).toMatch(/at most/);
        const stored = await send(fits);
        expect(stored.status, JSON.stringify(stored.body)).toBeLessThan(300);
        expect(read(stored.body)).toBe(fits.normalize('NFC'));
      });
    }

    it('an email of 321 code points is refused, one of 320 kept', async () => {
      const domain = '@example.test';
      const local = (n: number) => 'é'.repeat(n);
      const over = `${local(321 - domain.length)}${domain}`;
      expect(
        (
          await t.http
            .post(`${API}/users`)
            .set(bearer(admin))
            .send({ username: fresh('mail'), email: over })
        ).status,
      ).toBe(400);
    });
  });

  describe('SEC-83: invisible and bidirectional characters in identities', () => {
    it.each(INVISIBLE.map((c) => [`U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`, c]))(
      '%s is refused in emails (local part, domain) and names',
      async (_, c) => {
        const name = fresh('vis');
        for (const email of [`vic${c}tim@example.com`, `victim@exa${c}mple.com`, `${c}victim@example.com`, `victim@example.com${c}`]) {
          const res = await t.http.post(`${API}/users`).set(bearer(admin)).send({ username: name, email });
          expect(res.status, JSON.stringify(email)).toBe(400);
        }
        const created = await t.http
          .post(`${API}/users`)
          .set(bearer(admin))
          .send({ username: name, email: `${name}@example.com` });
        expect(created.status).toBe(201);
        expect(
          (
            await t.http
              .patch(`${API}/users/${name}`)
              .set(bearer(admin))
              .send({ email: `${name}${c}@example.com` })
          ).status,
        ).toBe(400);
        expect(
          (
            await t.http
              .patch(`${API}/users/${name}`)
              .set(bearer(admin))
              .send({ full_name: `Ada${c} Lovelace` })
          ).status,
        ).toBe(400);
        expect(
          (
            await t.http
              .post(`${API}/users/${name}/api-keys`)
              .set(bearer(admin))
              .send({ name: `ci${c}` })
          ).status,
        ).toBe(400);
        expect((await t.http.post(`${API}/auth/password-reset`).send({ email: `${name}${c}@example.com` })).status).toBe(400);
        expect((await t.http.get(`${API}/users/${name}`).set(bearer(admin))).body.email).toBe(`${name}@example.com`);
      },
    );
  });

  describe('SEC-84: one namespace for users and service accounts', () => {
    it('a service account cannot take a user’s name, nor a user a service account’s (409 both ways)', async () => {
      for (const taken of ['admin', (await t.createUser()).user.username]) {
        expect((await t.http.post(`${API}/service-accounts`).set(bearer(admin)).send({ name: taken })).status, taken).toBe(409);
      }
      const account = (
        await t.http
          .post(`${API}/service-accounts`)
          .set(bearer(admin))
          .send({ name: fresh('svc-ns') })
      ).body;
      expect(
        (
          await t.http
            .post(`${API}/users`)
            .set(bearer(admin))
            .send({ username: account.name, email: `${fresh('ns')}@example.test` })
        ).status,
      ).toBe(409);
      const user = (await t.createUser()).user;
      expect((await t.http.patch(`${API}/users/${user.username}`).set(bearer(admin)).send({ username: account.name })).status).toBe(409);
      expect((await t.http.patch(`${API}/service-accounts/${account.id}`).set(bearer(admin)).send({ name: user.username })).status).toBe(409);
      expect((await t.http.patch(`${API}/service-accounts/${account.id}`).set(bearer(admin)).send({ name: 'admin' })).status).toBe(409);
      // Renaming to one's own name is no conflict.
      expect((await t.http.patch(`${API}/service-accounts/${account.id}`).set(bearer(admin)).send({ name: account.name })).status).toBe(200);
    });

    it('parallel claims of one name by a user and a service account: exactly one wins', async () => {
      for (let round = 0; round < 5; round++) {
        const name = fresh('race');
        const answers = await Promise.all([
          ...Array.from({ length: 3 }, () =>
            t.http
              .post(`${API}/users`)
              .set(bearer(admin))
              .send({ username: name, email: `${fresh('race')}@example.test` }),
          ),
          ...Array.from({ length: 3 }, () => t.http.post(`${API}/service-accounts`).set(bearer(admin)).send({ name })),
        ]);
        expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
      }
    });

    it('the audit filter by name finds one principal', async () => {
      const account = (
        await t.http
          .post(`${API}/service-accounts`)
          .set(bearer(admin))
          .send({ name: fresh('svc-audit') })
      ).body;
      const key = (await t.http.post(`${API}/service-accounts/${account.id}/api-keys`).set(bearer(admin)).send({ name: 'k' })).body.key;
      expect((await t.http.post(`${API}/users`).set('x-api-key', key).send({ username: account.name, email: 'x@example.test' })).status).toBe(403);
      const events = (await t.http.get(`${API}/audit?actor=${account.name}&limit=500`).set(bearer(admin))).body.items as Array<{ actor_id: string }>;
      expect(new Set(events.map((e) => e.actor_id)).size).toBeLessThanOrEqual(1);
    });
  });

  describe('SEC-91: integers are integers', () => {
    it.each([true, false, '0x10', '16', 1.5, '1e3', 1e3 + 0.5, -1, 0, [], {}, '', ' 5'])('expires_in_days %j → 400', async (value) => {
      const res = await t.http.post(`${API}/users/admin/api-keys`).set(bearer(admin)).send({ name: 'int', expires_in_days: value });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
    });

    it('a JSON integer is accepted', async () => {
      const res = await t.http.post(`${API}/users/admin/api-keys`).set(bearer(admin)).send({ name: 'int', expires_in_days: 16 });
      expect(res.status).toBe(201);
      expect(Date.parse(res.body.expires_at) - Date.parse(res.body.created_at)).toBe(16 * 86_400_000);
    });

    it.each(['1.5', '0x10', '1e3', '-1', 'true', ' 5', '5abc', '0b11', '05e1', 'Infinity', '1_000'])('?limit and ?offset = %s → 400 on every list', async (value) => {
      for (const path of ['/users', '/roles', '/service-accounts', '/audit', '/users/admin/api-keys', '/users/admin/sessions']) {
        for (const param of ['limit', 'offset']) {
          const res = await t.http.get(`${API}${path}?${param}=${encodeURIComponent(value)}`).set(bearer(admin));
          expect(res.status, `${path}?${param}=${value}`).toBe(400);
        }
      }
      expect((await t.http.get(`${API}/users?limit=5&offset=0`).set(bearer(admin))).body.limit).toBe(5);
    });
  });

  describe('SEC-88: raw secrets are never cached', () => {
    it('every answer carrying a raw key or token has Cache-Control: no-store', async () => {
      const account = (
        await t.http
          .post(`${API}/service-accounts`)
          .set(bearer(admin))
          .send({ name: fresh('svc-cache') })
      ).body;
      const userKey = await t.http.post(`${API}/users/admin/api-keys`).set(bearer(admin)).send({ name: 'cache' });
      const saKey = await t.http.post(`${API}/service-accounts/${account.id}/api-keys`).set(bearer(admin)).send({ name: 'cache' });
      const answers = [
        userKey,
        saKey,
        await t.http.post(`${API}/users/admin/api-keys/${userKey.body.id}/reroll`).set(bearer(admin)),
        await t.http.post(`${API}/service-accounts/${account.id}/api-keys/${saKey.body.id}/reroll`).set(bearer(admin)),
        await t.http
          .post(`${API}/auth/token`)
          .type('form')
          .send({ grant_type: 'password', username: 'admin', password: (await import('../support/test-app.js')).ADMIN_PASSWORD }),
      ];
      for (const res of answers) {
        expect(res.status).toBeLessThan(300);
        expect(res.body.key ?? res.body.access_token).toBeTruthy();
        expect(res.headers['cache-control']).toBe('no-store');
      }
    });
  });

  it('SEC-89: the benchmark routes are not mounted unless the benchmark asks', async () => {
    for (const route of ['signature-only', 'pass-through', 'guarded', 'unguarded']) {
      expect((await t.http.get(`${API}/demo/bench/${route}`).set(bearer(admin))).status).toBe(404);
    }
  });
});
