import { createHmac, hkdfSync } from 'node:crypto';
import { ServiceAccountEntity, SessionEntity, UserEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimsFor, decodePayload, forge } from '../support/jwt-forge.js';
import { API, DATABASES, startTestApp, TEST_SECRET, type TestApp } from '../support/test-app.js';

const HS256 = { alg: 'HS256', typ: 'JWT' };

/** Default-ignorable code points that are not format characters (Cf), each refused in identities (SEC-108). */
const DEFAULT_IGNORABLE = [
  0xfe00,
  0xfe0f,
  0xe0100,
  0xe01ef, // variation selectors
  0xe0001,
  0xe0041,
  0xe007f,
  0xe0000, // tag characters (and the unassigned first one)
  0x034f,
  0x115f,
  0x1160,
  0x3164,
  0xffa0,
  0x180b,
  0x180f,
  0x17b4,
  0x17b5,
  0x2065,
  0xfff0,
  0xe0fff,
];

/** The other spellings PostgreSQL's uuid type reads as the same id (SEC-109). */
const respellings = (id: string) =>
  [id.toUpperCase(), id.replace(/^./, (c) => c.toUpperCase()).replace(/[a-f]/, (c) => c.toUpperCase()), `{${id}}`, id.replace(/-/g, '')].filter((v) => v !== id);

/** Percent-encodes like encodeURIComponent, but spells a lone surrogate as its three (invalid) UTF-8 bytes instead of throwing. */
const percentEncode = (value: string) =>
  [...value]
    .map((ch) => {
      const cp = ch.codePointAt(0)!;
      if (cp < 0xd800 || cp > 0xdfff) return encodeURIComponent(ch);
      return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    })
    .join('');

/** A refresh token for `sessionId` with a valid MAC, as only the server can make one. */
function refreshTokenFor(sessionId: string): string {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(TEST_SECRET), Buffer.alloc(0), 'fabric-auth refresh-token mac', 32));
  const body = `${sessionId}.${'A'.repeat(43)}`;
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

describe.each(DATABASES)('hostile inputs on %s (SEC-108, SEC-109, SEC-116)', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  let seq = 0;
  const fresh = (prefix: string) => `${prefix}${++seq}x${process.pid}`;

  describe('SEC-108: default-ignorable code points in identities and names', () => {
    it.each(DEFAULT_IGNORABLE.map((cp) => [`U+${cp.toString(16).toUpperCase().padStart(4, '0')}`, String.fromCodePoint(cp)]))('%s is refused in emails and names', async (_, c) => {
      const name = fresh('ign');
      for (const email of [`${name}${c}@example.com`, `${name}@exa${c}mple.com`, `${c}${name}@example.com`, `${name}@example.com${c}`]) {
        const res = await t.http.post(`${API}/users`).set(bearer(admin)).send({ username: name, email });
        expect(res.status, JSON.stringify(email)).toBe(400);
        expect(String(res.body.message)).toMatch(/default-ignorable/);
      }
      expect(
        (
          await t.http
            .post(`${API}/users`)
            .set(bearer(admin))
            .send({ username: name, email: `${name}@example.com` })
        ).status,
      ).toBe(201);
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
      expect((await t.http.get(`${API}/users/${name}`).set(bearer(admin))).body).toMatchObject({ email: `${name}@example.com`, full_name: null });
    });

    it('no second account whose email is the first one plus selectors, tags or fillers', async () => {
      const name = fresh('victim');
      expect(
        (
          await t.http
            .post(`${API}/users`)
            .set(bearer(admin))
            .send({ username: name, email: `${name}@example.com` })
        ).status,
      ).toBe(201);
      for (const twin of [
        `${name}\uFE0F@example.com`,
        `${name}\u{E0100}@example.com`,
        `${name}\u{E0041}@example.com`,
        `${name}\u3164@example.com`,
        `${name.toUpperCase()}\u034F@EXAMPLE.COM`,
      ]) {
        const res = await t.http
          .post(`${API}/users`)
          .set(bearer(admin))
          .send({ username: fresh('twin'), email: twin });
        expect(res.status, JSON.stringify(twin)).toBe(400);
      }
      const same = (await t.dataSource.getRepository(UserEntity).find()).filter(
        (u) =>
          u.email
            ?.normalize('NFKC')
            .replace(/\p{Default_Ignorable_Code_Point}/gu, '')
            .toLowerCase() === `${name}@example.com`,
      );
      expect(same.map((u) => u.username)).toEqual([name]);
    });
  });

  describe('SEC-109: one spelling per id', () => {
    let user: UserEntity;
    let token: string;
    let sessionId: string;
    beforeAll(async () => {
      const created = await t.createUser();
      user = created.user;
      token = (await t.login(user.username, created.password)).access_token;
      sessionId = decodePayload(token).sid as string;
    });
    const me = (bearerToken: string) => t.http.get(`${API}/auth/me`).set(bearer(bearerToken));

    it('a token whose sid or sub is the real id in another spelling is refused, also after the real one was served', async () => {
      expect((await me(token)).status).toBe(200);
      expect((await me(forge(HS256, claimsFor(user.id, sessionId), TEST_SECRET))).status).toBe(200);
      for (const sid of respellings(sessionId)) {
        expect((await me(forge(HS256, claimsFor(user.id, sid), TEST_SECRET))).status, sid).toBe(401);
      }
      for (const sub of respellings(user.id)) {
        expect((await me(forge(HS256, claimsFor(sub, sessionId), TEST_SECRET))).status, sub).toBe(401);
      }
      expect((await me(token)).status).toBe(200);
    });

    it('a refresh token naming the session in another spelling is refused and ends nothing', async () => {
      for (const sid of respellings(sessionId)) {
        const res = await t.http
          .post(`${API}/auth/token`)
          .type('form')
          .send({ grant_type: 'refresh_token', refresh_token: refreshTokenFor(sid) });
        expect(res.status, sid).toBe(400);
        expect(res.body.error).toBe('invalid_grant');
      }
      expect((await t.dataSource.getRepository(SessionEntity).findOneByOrFail({ id: sessionId })).revokedAt).toBeNull();
      expect((await me(token)).status).toBe(200);
    });

    it('path ids in another spelling are 404: sessions, API keys, service accounts', async () => {
      for (const sid of respellings(sessionId)) {
        expect((await t.http.delete(`${API}/users/${user.username}/sessions/${encodeURIComponent(sid)}`).set(bearer(admin))).status, sid).toBe(404);
      }
      expect((await me(token)).status).toBe(200);
      const key = (await t.http.post(`${API}/users/admin/api-keys`).set(bearer(admin)).send({ name: 'spelling' })).body;
      for (const id of respellings(key.id)) {
        expect((await t.http.delete(`${API}/users/admin/api-keys/${encodeURIComponent(id)}`).set(bearer(admin))).status, id).toBe(404);
      }
      expect((await t.http.get(`${API}/auth/me`).set('x-api-key', key.key)).status).toBe(200);
      const account = (
        await t.http
          .post(`${API}/service-accounts`)
          .set(bearer(admin))
          .send({ name: fresh('svc-spelling') })
      ).body;
      for (const id of respellings(account.id)) {
        expect((await t.http.get(`${API}/service-accounts/${encodeURIComponent(id)}`).set(bearer(admin))).status, id).toBe(404);
        expect(
          (
            await t.http
              .patch(`${API}/service-accounts/${encodeURIComponent(id)}`)
              .set(bearer(admin))
              .send({ description: 'x' })
          ).status,
          id,
        ).toBe(404);
      }
      expect((await t.dataSource.getRepository(ServiceAccountEntity).findOneByOrFail({ id: account.id })).description).toBeNull();
    });

    it('a client id in another spelling is an unknown client (401)', async () => {
      const account = (
        await t.http
          .post(`${API}/service-accounts`)
          .set(bearer(admin))
          .send({ name: fresh('svc-client') })
      ).body;
      const secret = (await t.http.post(`${API}/service-accounts/${account.id}/api-keys`).set(bearer(admin)).send({ name: 'k' })).body.key;
      const grant = (clientId: string) => t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret });
      expect((await grant(account.id)).status).toBe(200);
      for (const id of respellings(account.id)) {
        const res = await grant(id);
        expect(res.status, id).toBe(401);
        expect(res.body.error).toBe('invalid_client');
      }
    });
  });

  describe('SEC-116: input the database would refuse is a 4xx', () => {
    const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${percentEncode(id)}:${percentEncode(secret)}`).toString('base64')}`;
    const HOSTILE = [
      ['a NUL', 'svc\u0000x'],
      ['a lone high surrogate', 'svc\uD800x'],
      ['a lone low surrogate', 'svc\uDC00'],
      ['an over-long value', 's'.repeat(10_000)],
    ] as const;

    it.each(HOSTILE)('%s as client id or secret at the token endpoint: 400/401, never 5xx', async (_, value) => {
      const secret = 'fab_' + 'A'.repeat(49);
      const answers = [
        await t.http.post(`${API}/auth/token`).set('authorization', basic(value, secret)).type('form').send({ grant_type: 'client_credentials' }),
        await t.http.post(`${API}/auth/token`).set('authorization', basic('svc', value)).type('form').send({ grant_type: 'client_credentials' }),
        await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'client_credentials', client_id: value, client_secret: secret }),
        await t.http.post(`${API}/auth/token`).send({ grant_type: 'client_credentials', client_id: value, client_secret: secret }),
        await t.http.post(`${API}/auth/token`).send({ grant_type: 'password', username: value, password: 'x' }),
        await t.http.post(`${API}/auth/token`).send({ grant_type: 'refresh_token', refresh_token: value }),
      ];
      for (const res of answers) {
        expect([400, 401], JSON.stringify(res.body)).toContain(res.status);
        expect(res.body.error).toMatch(/^invalid_(request|client|grant)$/);
      }
    });

    it('NUL, lone surrogates and over-long values in every body field, path and query of every route: never 5xx', async () => {
      const doc = (await t.http.get('/docs-json')).body as {
        paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> } }>>;
        components: { schemas: Record<string, { properties?: Record<string, { type?: string }> }> };
      };
      const failures: string[] = [];
      const check = (label: string, status: number) => {
        if (status >= 500) failures.push(`${label} → ${status}`);
      };
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, operation] of Object.entries(methods)) {
          const json = operation.requestBody?.content?.['application/json']?.schema?.$ref?.split('/').pop();
          const fields = Object.entries(doc.components.schemas[json ?? '']?.properties ?? {})
            .filter(([, p]) => p.type === 'string' || p.type === undefined)
            .map(([f]) => f);
          const withParams = /\{[^}]+\}/.test(path);
          for (const [label, value] of HOSTILE) {
            // Path parameters name nobody, so that no variant acts on the admin whose token the test uses.
            const nobody = path.replace(/\{[^}]+\}/g, 'nobody');
            if (withParams)
              check(
                `${method} ${path} path with ${label}`,
                (await (t.http as any)[method](path.replace(/\{[^}]+\}/g, percentEncode(value.slice(0, 300)))).set(bearer(admin))).status,
              );
            if (value.length < 100) {
              const res = await (t.http as any)[method](`${nobody}?q=${percentEncode(value)}`).set(bearer(admin));
              if (res.status !== 400) failures.push(`${method} ${path} query with ${label} → ${res.status}`);
            }
            for (const field of fields) {
              const res = await (t.http as any)
                [method](nobody)
                .set(bearer(admin))
                .send({ [field]: value });
              check(`${method} ${path} ${field} with ${label}`, res.status);
            }
          }
        }
      }
      expect(failures).toEqual([]);
    }, 300_000);

    it.each([
      ['NUL', '%00'],
      ['an encoded lone surrogate', '%ED%A0%80'],
    ])('%s in a path id or a query is a 400 (the route never sees it)', async (_, encoded) => {
      expect((await t.http.get(`${API}/users/admin${encoded}`).set(bearer(admin))).status).toBe(400);
      expect((await t.http.get(`${API}/service-accounts/a${encoded}b`).set(bearer(admin))).status).toBe(400);
      expect((await t.http.get(`${API}/users?q=a${encoded}`).set(bearer(admin))).status).toBe(400);
      expect((await t.http.get(`${API}/audit?actor=a${encoded}`).set(bearer(admin))).status).toBe(400);
    });

    it('a lone surrogate in a stored field is refused, not stored as U+FFFD', async () => {
      const res = await t.http.post(`${API}/users/admin/api-keys`).set(bearer(admin)).send({ name: 'key\uD800' });
      expect(res.status).toBe(400);
      const service = await t.http
        .post(`${API}/service-accounts`)
        .set(bearer(admin))
        .send({ name: fresh('svc-sur'), description: 'half \uDC00 a pair' });
      expect(service.status).toBe(400);
      expect(await t.dataSource.getRepository(ServiceAccountEntity).countBy({ description: 'half \uFFFD a pair' })).toBe(0);
    });
  });

  describe('JSON bodies the same on both adapters', () => {
    it.each(['null', '1', '"text"', 'true'])('a PATCH whose JSON body is %s is a 400 and changes nothing', async (body) => {
      const { user } = await t.createUser();
      const res = await t.http.patch(`${API}/users/${user.username}`).set(bearer(admin)).set('content-type', 'application/json').send(body);
      expect(res.status).toBe(400);
      expect((await t.dataSource.getRepository(UserEntity).findOneByOrFail({ id: user.id })).updatedAt).toEqual(user.updatedAt);
    });

    it.each(['utf-16', 'UTF-16LE', 'latin1', 'bogus'])('a JSON body declared as charset=%s is refused (400/415) and changes nothing', async (charset) => {
      const { user } = await t.createUser();
      const res = await t.http
        .patch(`${API}/users/${user.username}`)
        .set(bearer(admin))
        .set('content-type', `application/json; charset=${charset}`)
        .send(JSON.stringify({ full_name: 'Mallory' }));
      expect([400, 415]).toContain(res.status);
      expect((await t.dataSource.getRepository(UserEntity).findOneByOrFail({ id: user.id })).fullName).toBeNull();
    });

    it('charset=utf-8 (any case, quoted) is read as usual', async () => {
      const { user } = await t.createUser();
      for (const [charset, name] of [
        ['utf-8', 'Ada'],
        ['"UTF-8"', 'Grace'],
      ]) {
        const res = await t.http
          .patch(`${API}/users/${user.username}`)
          .set(bearer(admin))
          .set('content-type', `application/json; charset=${charset}`)
          .send(JSON.stringify({ full_name: name }));
        expect(res.status, charset).toBe(200);
        expect(res.body.full_name).toBe(name);
      }
    });
  });
});
