import crypto from 'node:crypto';
import { request as httpRequest } from 'node:http';
import argon2 from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { AuditEventEntity, SessionEntity, UserEntity } from 'nestjs-fabric-auth/entities';
import { HashWorkerPool } from '../../libs/fabric-auth/src/access/passwords/hash-worker-pool.js';
import { PasswordHasher } from '../../libs/fabric-auth/src/access/passwords/password-hasher.js';
import { In } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { API, DATABASES, startTestApp, type TestApp } from '../support/test-app.js';

const PASSWORD = 'Corr3ct-horse-battery';
const DEPTH = 12;

/**
 * SEC-102 and the hash upgrade (README "Passwords"): one hashing slot and a queue of 12. Past
 * the queue a login is answered 503 with `Retry-After` at once; a login whose client has gone
 * creates no session; bcrypt and scrypt hashes still verify and become argon2id at the next login.
 */
describe.each(DATABASES)('password checks under load on %s (SEC-102)', (target) => {
  let t: TestApp;
  let adminToken: string;
  beforeAll(async () => {
    t = await startTestApp(target, { options: { passwordHashConcurrency: 1, passwordQueueDepth: DEPTH } });
    adminToken = await t.adminToken();
  });
  afterAll(() => t?.close());

  /** `count` active users sharing one password hash (made once: each would cost a hash). */
  async function users(count: number): Promise<UserEntity[]> {
    const { user: first } = await t.createUser({ password: PASSWORD });
    const repo = t.dataSource.getRepository(UserEntity);
    const { passwordHash } = await repo.findOneOrFail({ where: { id: first.id }, select: { id: true, passwordHash: true } });
    const made = [first];
    for (let i = 1; i < count; i++) made.push(await t.users.create({ username: `${first.username}-${i}`, email: `${first.username}-${i}@example.test` }));
    await repo.update({ id: In(made.map((u) => u.id)) }, { passwordHash });
    return made;
  }

  const login = (username: string, password = PASSWORD) =>
    fetch(`${t.url}${API}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'password', username, password }) });

  it('a burst beyond the queue is answered 503 with Retry-After at once, the rest log in, /auth/me keeps answering', async () => {
    const crowd = await users(2 * DEPTH);
    const me = fetch(`${t.url}${API}/auth/me`, { headers: { authorization: `Bearer ${adminToken}` } });
    const answers = await Promise.all(crowd.map((u) => login(u.username)));
    const statuses = answers.map((a) => a.status);
    expect(
      statuses.every((s) => s === 200 || s === 503),
      statuses.join(','),
    ).toBe(true);
    const shed = answers.filter((a) => a.status === 503);
    // One running and DEPTH waiting (plus those that started as others finished); the rest are refused, not queued.
    expect(shed.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    for (const answer of shed) {
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // A client retrying a shed login at once reconnects first, which slows a tight retry loop.
      expect(answer.headers.get('connection')).toBe('close');
      expect(await answer.json()).toMatchObject({ error: 'temporarily_unavailable' });
    }
    expect((await me).status).toBe(200);
    // Shed, not locked: the same users log in once the burst is over.
    expect((await login(crowd[0].username)).status).toBe(200);
  });

  it('checks refused as busy leave no hold on the account: the same user logs in at once after them', async () => {
    const [target] = await users(1);
    const hasher = t.app.get(PasswordHasher);
    // Five checks of one account refused after their lockout slots were reserved (the pool
    // filled up meanwhile): with the slots kept, the next check of this account would wait up
    // to 15 s for slots of checks that never ran.
    const spy = vi.spyOn(hasher, 'verify').mockImplementation(() => Promise.reject(hasher.busy()));
    try {
      const refused = await Promise.all(Array.from({ length: 5 }, () => login(target.username)));
      expect(refused.map((a) => a.status)).toEqual([503, 503, 503, 503, 503]);
    } finally {
      spy.mockRestore();
    }
    const started = performance.now();
    expect((await login(target.username)).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('a queued check whose client has gone creates no session, holds no place in the queue, and a fresh login is served', async () => {
    // One hashing and DEPTH waiting: the queue is full of checks whose clients then leave.
    const [fresh, ...gone] = await users(DEPTH + 2);
    // They share one hash, so the argon2id runs with its salt are their checks (and the fresh login's).
    const { passwordHash } = await t.dataSource.getRepository(UserEntity).findOneOrFail({ where: { id: fresh.id }, select: { id: true, passwordHash: true } });
    const salt = Buffer.from(passwordHash!.split('$')[4], 'base64');
    // The argon2id runs go through the hashing threads' pool (HashWorkerPool), on the main thread's side.
    const argon2Key = HashWorkerPool.prototype.argon2Key;
    let hashed = 0;
    // Hashes finish only after the clients have gone: on a quiet machine a check could otherwise
    // complete, rightly, for a client still connected during the wait below.
    let holding = true;
    const held: Array<() => void> = [];
    const spy = vi.spyOn(HashWorkerPool.prototype, 'argon2Key').mockImplementation(async function (this: HashWorkerPool, password, used, params) {
      if (used.equals(salt)) hashed++;
      const key = await argon2Key.call(this, password, used, params);
      if (holding) await new Promise<void>((resolve) => held.push(resolve));
      return key;
    });
    const server = t.app.getHttpServer() as import('node:http').Server;
    let received = 0;
    const count = (req: import('node:http').IncomingMessage) => {
      if (req.url?.endsWith('/auth/token')) received++;
    };
    server.on('request', count);
    const requests = gone.map((u) => {
      const req = httpRequest(`${t.url}${API}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      req.on('error', () => undefined);
      req.end(JSON.stringify({ grant_type: 'password', username: u.username, password: PASSWORD }));
      return req;
    });
    try {
      while (received < gone.length) await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      server.off('request', count);
    }
    // Long enough for the bodies to be read and the checks queued, far shorter than DEPTH hashes.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const req of requests) req.destroy();
    // The server sees the closes; a fresh login arrives while the check of a gone client still
    // hashes, in front of a queue that holds only gone clients: it is queued, not refused.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    const answering = login(fresh.username);
    await new Promise((resolve) => setTimeout(resolve, 200));
    holding = false;
    for (const release of held.splice(0)) release();
    const answer = await answering;
    const waited = performance.now() - started;
    expect(answer.status).toBe(200);
    // DEPTH queued hashes would take several seconds; dropped, they cost nothing.
    expect(waited).toBeLessThan(2000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    spy.mockRestore();
    // The check that was running when the clients left, perhaps one more, and the fresh login: the rest were dropped unrun.
    expect(hashed).toBeGreaterThanOrEqual(1);
    expect(hashed).toBeLessThanOrEqual(3);
    const ids = gone.map((u) => u.id);
    expect(await t.dataSource.getRepository(SessionEntity).countBy({ userId: In(ids) })).toBe(0);
    expect(await t.dataSource.getRepository(AuditEventEntity).countBy({ action: 'login.success', actorId: In(ids) })).toBe(0);
  });

  it('a bcrypt hash still verifies, and becomes argon2id at the current setting at that login', async () => {
    const { user } = await t.createUser({ password: PASSWORD });
    const repo = t.dataSource.getRepository(UserEntity);
    const stored = () => repo.findOneOrFail({ where: { id: user.id }, select: { id: true, passwordHash: true } }).then((u) => u.passwordHash!);
    const legacy = await bcrypt.hash(PASSWORD, 10);
    await repo.update({ id: user.id }, { passwordHash: legacy });
    // A wrong password, and one that matches only on bcrypt's first 72 bytes, change nothing (SEC-31).
    expect((await login(user.username, 'Wrong-password-1')).status).toBe(400);
    const long = `${'Ab1-'.repeat(18)}`;
    await repo.update({ id: user.id }, { passwordHash: await bcrypt.hash(long, 10) });
    expect((await login(user.username, `${long}x`)).status).toBe(400);
    await repo.update({ id: user.id }, { passwordHash: legacy });
    expect(await stored()).toBe(legacy);
    expect((await login(user.username)).status).toBe(200);
    const upgraded = await stored();
    expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await login(user.username)).status).toBe(200);
    expect((await login(user.username, 'Wrong-password-1')).status).toBe(400);
    expect(await stored()).toBe(upgraded);
  });

  it('a scrypt hash of the previous default still verifies, and becomes argon2id at that login', async () => {
    const { user } = await t.createUser({ password: PASSWORD });
    const repo = t.dataSource.getRepository(UserEntity);
    const stored = () => repo.findOneOrFail({ where: { id: user.id }, select: { id: true, passwordHash: true } }).then((u) => u.passwordHash!);
    const salt = crypto.randomBytes(16);
    const key = crypto.scryptSync(PASSWORD, salt, 32, { N: 2 ** 13, r: 8, p: 10 });
    const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');
    const legacy = `$scrypt$ln=13,r=8,p=10$${b64(salt)}$${b64(key)}`;
    await repo.update({ id: user.id }, { passwordHash: legacy });
    expect((await login(user.username, 'Wrong-password-1')).status).toBe(400);
    expect(await stored()).toBe(legacy);
    expect((await login(user.username)).status).toBe(200);
    const upgraded = await stored();
    expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    // The stored string is standard PHC: the reference implementation verifies it.
    expect(await argon2.verify(upgraded, PASSWORD)).toBe(true);
    expect((await login(user.username)).status).toBe(200);
  });

  it('the upgrade replaces only the hash it verified: a password changed meanwhile stays', async () => {
    const { user } = await t.createUser({ password: PASSWORD });
    const repo = t.dataSource.getRepository(UserEntity);
    const legacy = await bcrypt.hash(PASSWORD, 10);
    const changed = await bcrypt.hash('Changed-meanwhile-1', 10);
    await repo.update({ id: user.id }, { passwordHash: changed });
    await t.users.replacePasswordHash(user.id, legacy, '$scrypt$ln=13,r=8,p=10$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    const { passwordHash } = await repo.findOneOrFail({ where: { id: user.id }, select: { id: true, passwordHash: true } });
    expect(passwordHash).toBe(changed);
  });
});
