import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, sign as signWithKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimsFor, decodePayload, forge } from '../support/jwt-forge.js';
import { API, DATABASES, startTestApp, TEST_SECRET, type TestApp } from '../support/test-app.js';

const HS256 = { alg: 'HS256', typ: 'JWT' };
const b64 = (v: string) => Buffer.from(v).toString('base64url');

describe.each(DATABASES)('Bearer JWT validation on %s (SEC-01…SEC-10)', (kind) => {
  let t: TestApp;
  let userId: string;
  let sessionId: string;
  let valid: string;
  let listener: Server;
  let listenerHits = 0;
  let listenerUrl: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    const { user, password } = await t.createUser();
    const tokens = await t.login(user.username, password);
    valid = tokens.access_token;
    userId = user.id;
    sessionId = decodePayload(valid).sid as string;
    listener = createServer((_, res) => {
      listenerHits++;
      res.end('{}');
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(async () => {
    listener?.close();
    await t?.close();
  });

  const me = (bearer: string) => t.http.get(`${API}/auth/me`).set('authorization', `Bearer ${bearer}`);

  async function expectRejected(token: string) {
    const res = await me(token);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(res.body).toEqual({ statusCode: 401, message: 'Invalid credentials', error: 'Unauthorized' });
  }

  it('accepts the genuine token, and a token forged correctly with the real secret', async () => {
    expect((await me(valid)).status).toBe(200);
    expect((await me(forge(HS256, claimsFor(userId, sessionId), TEST_SECRET))).status).toBe(200);
  });

  describe('SEC-01 unsigned tokens', () => {
    it.each(['none', 'None', 'NONE', 'nOnE', 'noNE'])('alg %s, with and without the trailing dot', async (alg) => {
      const unsigned = forge({ alg, typ: 'JWT' }, claimsFor(userId, sessionId), '');
      await expectRejected(unsigned);
      await expectRejected(unsigned.slice(0, -1));
    });
  });

  describe('SEC-02 algorithm pinned to HS256', () => {
    it('HS384 and HS512 signed with the real secret', async () => {
      await expectRejected(forge({ alg: 'HS384', typ: 'JWT' }, claimsFor(userId, sessionId), TEST_SECRET, 'sha384'));
      await expectRejected(forge({ alg: 'HS512', typ: 'JWT' }, claimsFor(userId, sessionId), TEST_SECRET, 'sha512'));
    });

    it('RS256 and ES256 headers with real asymmetric signatures', async () => {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const input = `${b64(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))}.${b64(JSON.stringify(claimsFor(userId, sessionId)))}`;
      await expectRejected(`${input}.${signWithKey('sha256', Buffer.from(input), rsa.privateKey).toString('base64url')}`);
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const ecInput = `${b64(JSON.stringify({ alg: 'ES256', typ: 'JWT' }))}.${b64(JSON.stringify(claimsFor(userId, sessionId)))}`;
      await expectRejected(`${ecInput}.${signWithKey('sha256', Buffer.from(ecInput), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`);
    });
  });

  describe('SEC-03 signature always verified', () => {
    it('one flipped signature character', async () => {
      const last = valid.at(-2) === 'A' ? 'B' : 'A';
      await expectRejected(`${valid.slice(0, -2)}${last}${valid.at(-1)}`);
    });
    it('another secret', async () => {
      await expectRejected(forge(HS256, claimsFor(userId, sessionId), `${TEST_SECRET}x`));
    });
    it('signature stripped', async () => {
      const [h, p] = valid.split('.');
      await expectRejected(`${h}.${p}.`);
    });
    it('payload changed without re-signing', async () => {
      const [h, , s] = valid.split('.');
      const payload = { ...decodePayload(valid), sub: '00000000-0000-4000-8000-000000000000' };
      await expectRejected(`${h}.${b64(JSON.stringify(payload))}.${s}`);
    });
  });

  describe('SEC-04 key material is never taken from the token', () => {
    it('embedded jwk signed with the attacker key, jku/x5u pointing at a listener, odd kid', async () => {
      const attackerKey = 'attacker-key-attacker-key-attacker-key';
      const jwk = { kty: 'oct', k: b64(attackerKey) };
      await expectRejected(forge({ ...HS256, jwk }, claimsFor(userId, sessionId), attackerKey));
      await expectRejected(forge({ ...HS256, jku: listenerUrl }, claimsFor(userId, sessionId), attackerKey));
      await expectRejected(forge({ ...HS256, x5u: listenerUrl }, claimsFor(userId, sessionId), attackerKey));
      await expectRejected(forge({ ...HS256, kid: '../../../dev/null' }, claimsFor(userId, sessionId), ''));
      await expectRejected(forge({ ...HS256, kid: "' OR '1'='1" }, claimsFor(userId, sessionId), attackerKey));
      await expectRejected(forge({ ...HS256, crit: ['exp'] }, claimsFor(userId, sessionId), TEST_SECRET));
      expect(listenerHits).toBe(0);
    });
  });

  describe('SEC-05/06 time claims', () => {
    const now = () => Math.floor(Date.now() / 1000);
    it.each([
      ['expired 61 s ago', { exp: now() - 61 }],
      ['no exp', { exp: undefined }],
      ['exp as a string', { exp: '9999999999' }],
      ['nbf 300 s ahead', { nbf: now() + 300 }],
      ['iat an hour ahead', { iat: now() + 3600 }],
      ['no iat', { iat: undefined }],
    ])('%s', async (_, overrides) => {
      await expectRejected(forge(HS256, claimsFor(userId, sessionId, overrides), TEST_SECRET));
    });

    it('a token valid now is refused once its lifetime and the skew have passed', async () => {
      const fresh = await t.login(...(await freshUser()));
      expect((await me(fresh.access_token)).status).toBe(200);
      t.clock.advance(900 + 61);
      try {
        await expectRejected(fresh.access_token);
      } finally {
        t.clock.reset();
      }
    });
  });

  describe('SEC-07 issuer and audience', () => {
    it.each([
      ['iss https://evil', { iss: 'https://evil' }],
      ['aud other-api', { aud: 'other-api' }],
      ['aud missing', { aud: undefined }],
      ['aud ["other-api"]', { aud: ['other-api'] }],
      ['iss missing', { iss: undefined }],
    ])('%s', async (_, overrides) => {
      await expectRejected(forge(HS256, claimsFor(userId, sessionId, overrides), TEST_SECRET));
    });
  });

  describe('SEC-08 missing or odd claims fail closed', () => {
    it.each([
      ['no sub', { sub: undefined }],
      ['sub of no user', { sub: '00000000-0000-4000-8000-000000000000' }],
      ['sub as an operator object', { sub: { $ne: null } }],
      ['sub as a number', { sub: 123 }],
      ['no sid', { sid: undefined }],
      ['sid of no session', { sid: '00000000-0000-4000-8000-000000000000' }],
      ['no jti', { jti: undefined }],
    ])('%s', async (_, overrides) => {
      await expectRejected(forge(HS256, claimsFor(userId, sessionId, overrides), TEST_SECRET));
    });

    it('malformed shapes', async () => {
      const [h, p, s] = valid.split('.');
      const bigHeader = b64(JSON.stringify({ ...HS256, pad: 'x'.repeat(6000) }));
      for (const token of [
        `${h}.${p}`,
        `${h}.${p}.${s}.${s}`,
        `${h}.${p}.${s}!`,
        `${bigHeader}.${p}.${s}`,
        'not-a-jwt',
        JSON.stringify({ payload: p, signatures: [{ protected: h, signature: s }] }).replace(/\s/g, ''),
      ]) {
        const res = await t.http.get(`${API}/auth/me`).set('authorization', `Bearer ${token}`);
        expect(res.status).toBe(401);
      }
    });

    it('a non-Bearer Authorization header does not fall through to the cookie', async () => {
      const res = await t.http.get(`${API}/auth/me`).set('authorization', 'Basic YWRtaW46YWRtaW4=').set('cookie', `access_token=${valid}`);
      expect(res.status).toBe(401);
    });

    it('an invalid Bearer token does not fall through to a valid cookie', async () => {
      const res = await t.http.get(`${API}/auth/me`).set('authorization', 'Bearer nope').set('cookie', `access_token=${valid}`);
      expect(res.status).toBe(401);
    });
  });

  describe('SEC-09 token types are exclusive', () => {
    it('a refresh token as Bearer and a token of another typ are refused', async () => {
      const tokens = await t.login(...(await freshUser()));
      await expectRejected(tokens.refresh_token);
      await expectRejected(forge(HS256, claimsFor(userId, sessionId, { typ: 'refresh' }), TEST_SECRET));
      await expectRejected(forge(HS256, claimsFor(userId, sessionId, { typ: undefined }), TEST_SECRET));
    });
  });

  it('no credential at all: 401 with a plain Bearer challenge', async () => {
    const res = await t.http.get(`${API}/auth/me`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  async function freshUser(): Promise<[string, string]> {
    const { user, password } = await t.createUser();
    return [user.username, password];
  }
});
