import { UserEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, DATABASE_KINDS, databaseOf, startTestApp, type TestApp } from '../support/test-app.js';

/** A write that lost its race to a delete or a change ends as a 4xx that changed nothing it should not have (SEC-110, issue 19). */
describe.each(DATABASE_KINDS)('writes racing deletes and changes on %s', (kind) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const p = (n: number) => (databaseOf(kind) === 'postgres' ? `$${n}` : '?');
  let seq = 0;
  const fresh = (prefix: string) => `${prefix}${++seq}x${process.pid}`;

  it('SEC-110: 20 parallel assignments of a role while it is deleted: 200/404/409, never 500, no assignment left to it', async () => {
    for (let trial = 0; trial < 5; trial++) {
      const name = fresh('doomed');
      const role = await t.http
        .post(`${API}/roles`)
        .auth(admin, { type: 'bearer' })
        .send({ name, permissions: ['reports:read'] });
      expect(role.status).toBe(201);
      // Accounts without a password: the race is about roles, and 100 bcrypt hashes would only slow it down.
      const users = await Promise.all(
        Array.from({ length: 20 }, () => fresh('holder')).map(async (username) => ({ user: await t.users.create({ username, email: `${username}@example.test` }) })),
      );
      const assign = (username: string) =>
        t.http
          .patch(`${API}/users/${username}`)
          .auth(admin, { type: 'bearer' })
          .send({ roles: [name] });
      // Half the assignments start before the delete and half after, so some are between their check and their write.
      const early = users.slice(0, 10).map(({ user }) => assign(user.username));
      const removal = t.http.delete(`${API}/roles/${name}`).auth(admin, { type: 'bearer' });
      const late = users.slice(10).map(({ user }) => assign(user.username));
      const [removed, ...answers] = await Promise.all([removal, ...early, ...late]);
      expect(removed.status).toBe(204);
      const statuses = answers.map((a) => a.status);
      // 404: the role was gone when the request was checked; 409: it went between the check and the write.
      for (const status of statuses) expect([200, 404, 409], JSON.stringify(statuses)).toContain(status);
      const left = await t.dataSource.query(`SELECT count(*) AS n FROM role_assignments ra LEFT JOIN roles r ON r.id = ra.role_id WHERE r.id IS NULL OR r.name = ${p(1)}`, [name]);
      expect(Number(left[0].n)).toBe(0);
      for (const { user } of users) {
        expect((await t.http.get(`${API}/users/${user.username}`).auth(admin, { type: 'bearer' })).body.roles).not.toContain(name);
      }
    }
  }, 120_000);

  it('SEC-110: replacing roles while one of the current ones is deleted is not a 500', async () => {
    for (let trial = 0; trial < 5; trial++) {
      const name = fresh('held');
      expect((await t.http.post(`${API}/roles`).auth(admin, { type: 'bearer' }).send({ name, permissions: [] })).status).toBe(201);
      const { user } = await t.createUser({ roles: [name] });
      const answers = await Promise.all([
        ...Array.from({ length: 5 }, () =>
          t.http
            .patch(`${API}/users/${user.username}`)
            .auth(admin, { type: 'bearer' })
            .send({ roles: ['viewer'] }),
        ),
        t.http.delete(`${API}/roles/${name}`).auth(admin, { type: 'bearer' }),
      ]);
      for (const answer of answers) expect([200, 204, 409]).toContain(answer.status);
      expect((await t.http.get(`${API}/users/${user.username}`).auth(admin, { type: 'bearer' })).body.roles).toEqual(['viewer']);
    }
  });

  it('an email change racing the confirmation of the old address never leaves the new address verified', async () => {
    for (let trial = 0; trial < 10; trial++) {
      const { user, password } = await t.createUser();
      const token = (await t.login(user.username, password)).access_token;
      const mailed = t.nextNotification(user.id, 'email_verification');
      expect((await t.http.post(`${API}/users/${user.username}/email/verify`).auth(token, { type: 'bearer' })).status).toBe(202);
      const link = (await mailed).token;
      const newEmail = `${fresh('moved')}@example.test`;
      const [changed, confirmed] = await Promise.all([
        t.http.patch(`${API}/users/${user.username}`).auth(admin, { type: 'bearer' }).send({ email: newEmail }),
        t.http.post(`${API}/auth/email/verify`).send({ token: link }),
      ]);
      expect(changed.status).toBe(200);
      expect([204, 400]).toContain(confirmed.status);
      const stored = await t.dataSource.getRepository(UserEntity).findOneByOrFail({ id: user.id });
      expect(stored.email).toBe(newEmail);
      expect(stored.emailVerified).toBe(false);
    }
  });

  it('a verification requested while the email changes is never a live link to the old address', async () => {
    for (let trial = 0; trial < 10; trial++) {
      const { user, password } = await t.createUser();
      const token = (await t.login(user.username, password)).access_token;
      const newEmail = `${fresh('moving')}@example.test`;
      const before = t.notifications.length;
      const [asked, changed] = await Promise.all([
        t.http.post(`${API}/users/${user.username}/email/verify`).auth(token, { type: 'bearer' }),
        t.http.patch(`${API}/users/${user.username}`).auth(admin, { type: 'bearer' }).send({ email: newEmail }),
      ]);
      expect(changed.status).toBe(200);
      expect([202, 409]).toContain(asked.status);
      // Links leave after their commit: let any in flight arrive, then try each.
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const sent of t.notifications.slice(before).filter((n) => n.user.id === user.id && n.purpose === 'email_verification')) {
        const confirmed = await t.http.post(`${API}/auth/email/verify`).send({ token: sent.token });
        if (sent.user.email !== newEmail) expect(confirmed.status).toBe(400);
      }
      const stored = await t.dataSource.getRepository(UserEntity).findOneByOrFail({ id: user.id });
      expect(stored.email).toBe(newEmail);
      if (stored.emailVerified) {
        expect(t.notifications.slice(before).some((n) => n.user.id === user.id && n.user.email === newEmail)).toBe(true);
      }
    }
  });
});
