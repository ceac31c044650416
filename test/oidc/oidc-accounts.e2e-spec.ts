import { RolesService } from 'nestjs-fabric-auth';
import { UserEntity, UserIdentityEntity } from 'nestjs-fabric-auth/entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Hop, jsonClient } from '../support/oidc/fetch-browser.js';
import { startAppWithOp } from '../support/oidc/fixtures.js';
import { counts, expectRefused } from '../support/oidc/refusals.js';
import { signIn } from '../support/oidc/sign-in.js';
import type { OpAccount, TestOp } from '../support/oidc/test-op.js';
import { API, DATABASES, type TestApp } from '../support/test-app.js';

interface Me {
  id: string;
  username: string;
  email: string | null;
  roles: string[];
  is_system_admin: boolean;
}

let subjects = 0;

describe.each(DATABASES)('OIDC accounts: identities, JIT provisioning, linking, sync and role mapping on %s (SEC-68, SEC-69)', (kind) => {
  let t: TestApp;
  let op: TestOp;
  let elsewhere: TestOp;
  beforeAll(async () => {
    let ops: Record<string, TestOp>;
    ({ t, op, ops } = await startAppWithOp(
      kind,
      {
        oidc: {
          jitProvisioning: true,
          defaultRoles: ['viewer'],
          scopes: ['openid', 'email', 'profile', 'groups'],
          roleClaim: 'groups',
          roleMapping: { auditors: ['auditor'], 'user-admins': ['user_admin'] },
        },
        nojit: {},
        linking: { linkVerifiedEmail: true },
        elsewhere: { jitProvisioning: true },
      },
      ['elsewhere'],
    ));
    elsewhere = ops.elsewhere!;
  });
  afterAll(async () => {
    await t?.close();
    await op?.close();
    await elsewhere?.close();
  });

  /** A new subject at `at` with these claims. */
  function account(claims: OpAccount, at: TestOp = op): string {
    const subject = `subject-${++subjects}-${process.pid}`;
    at.accounts.set(subject, claims);
    return subject;
  }

  async function login(subject: string, provider?: string): Promise<{ callback: Hop; me?: Me }> {
    const browser = jsonClient();
    const callback = await signIn(browser, t.url, subject, { provider });
    if (callback.status !== 302) return { callback };
    const me = await t.http.get(`${API}/auth/me`).set('cookie', `access_token=${browser.cookie('127.0.0.1', 'access_token')}`);
    expect(me.status).toBe(200);
    return { callback, me: me.body as Me };
  }

  async function localUser(username: string, email: string, verified: boolean): Promise<UserEntity> {
    const user = await t.users.create({ username, email, password: 'Corr3ct-horse-battery' });
    if (verified) await t.users.markEmailVerified(user.id);
    return user;
  }

  describe('JIT provisioning', () => {
    it('creates the user with the default roles only: unmapped group claims grant nothing', async () => {
      const subject = account({ preferred_username: 'grace.h', email: 'grace.h@example.test', email_verified: true, name: 'Grace H', groups: ['admin', 'root'] });
      const { me } = await login(subject);
      expect(me).toMatchObject({ username: 'grace.h', email: 'grace.h@example.test', roles: ['viewer'], is_system_admin: false });
      const identity = await t.dataSource.getRepository(UserIdentityEntity).findOneBy({ subject });
      expect(identity).toMatchObject({ userId: me!.id, provider: 'oidc', issuer: op.issuer, email: 'grace.h@example.test' });
    });

    it.each([
      [{ preferred_username: 'Élodie Martin' }, 'elodie-martin'],
      [{ preferred_username: 'bob@contoso.example' }, 'bob'],
      [{ email: 'Zoë.Q@example.test', email_verified: true }, 'zoe.q'],
      [{ name: 'Émile Zola' }, 'emile-zola'],
      [{ preferred_username: '../..', name: '李' }, 'user'],
    ] as Array<[OpAccount, string]>)('derives the username from %j', async (claims, expected) => {
      const { me } = await login(account(claims));
      expect(me!.username).toMatch(new RegExp(`^${expected.replace(/\./g, '\\.')}(-\\d+)?$`));
      expect(me!.username).toMatch(/^[a-z0-9][a-z0-9_.-]{1,149}$/);
    });

    it('suffixes a username that is taken, and never takes the system admin name', async () => {
      const first = await login(account({ preferred_username: 'dup.name' }));
      const second = await login(account({ preferred_username: 'Dup.Name' }));
      expect(first.me!.username).toBe('dup.name');
      expect(second.me!.username).toBe('dup.name-2');
      const admin = await login(account({ preferred_username: 'admin', groups: ['admin'] }));
      expect(admin.me).toMatchObject({ username: 'admin-2', is_system_admin: false, roles: ['viewer'] });
    });

    it('stores the email only when verified', async () => {
      const unverified = await login(account({ preferred_username: 'unverified', email: 'unverified@example.test', email_verified: false }));
      expect(unverified.me!.email).toBeNull();
    });

    it('refuses an unknown identity when JIT provisioning is off: 403, no user', async () => {
      const before = await counts(t);
      const { callback } = await login(account({ email: 'stranger@example.test', email_verified: true }), 'nojit');
      await expectRefused(t, before, callback, 403, 'no_linked_account');
    });
  });

  describe('later logins', () => {
    it('are the same user, keyed by (issuer, subject), with name and verified email synced', async () => {
      const subject = account({ preferred_username: 'henry', email: 'henry@example.test', email_verified: true, name: 'Henry' });
      const first = (await login(subject)).me!;
      op.accounts.set(subject, { preferred_username: 'henry-renamed', email: 'henry.new@example.test', email_verified: true, name: 'Henry the Second' });
      const second = (await login(subject)).me!;
      expect(second).toMatchObject({ id: first.id, username: 'henry', email: 'henry.new@example.test' });
      const row = await t.dataSource.getRepository(UserEntity).findOneByOrFail({ id: first.id });
      expect(row).toMatchObject({ fullName: 'Henry the Second', emailVerified: true });
      expect(await t.dataSource.getRepository(UserIdentityEntity).countBy({ subject })).toBe(1);
    });

    it('keep the email when the new one is unverified or belongs to another account', async () => {
      await localUser('someone-else', 'someone.else@example.test', false);
      const subject = account({ preferred_username: 'irene', email: 'irene@example.test', email_verified: true });
      const id = (await login(subject)).me!.id;
      op.accounts.set(subject, { email: 'irene.unverified@example.test', email_verified: false });
      expect((await login(subject)).me).toMatchObject({ id, email: 'irene@example.test' });
      op.accounts.set(subject, { email: 'someone.else@example.test', email_verified: true });
      expect((await login(subject)).me).toMatchObject({ id, email: 'irene@example.test' });
    });

    it('the same subject at another issuer is another identity and another user', async () => {
      const subject = account({ preferred_username: 'twin', email: 'twin@example.test', email_verified: true });
      elsewhere.accounts.set(subject, { preferred_username: 'twin', email: 'twin@elsewhere.test', email_verified: true });
      const here = (await login(subject)).me!;
      const there = (await login(subject, 'elsewhere')).me!;
      expect(there.id).not.toBe(here.id);
      expect(there.username).toBe('twin-2');
    });

    it('a deactivated user is refused: 403, no session, audited with the user as actor', async () => {
      const subject = account({ preferred_username: 'carol-sso' });
      const { me } = await login(subject);
      await t.users.deactivate(me!.id);
      const before = await counts(t);
      const { callback } = await login(subject);
      await expectRefused(t, before, callback, 403, 'account_inactive');
      expect(JSON.parse(callback.body).message).toBe('This account is deactivated');
    });
  });

  describe('linking to an existing local account by email', () => {
    it('links when the provider allows it and both sides verified the email', async () => {
      const local = await localUser('linda', 'linda@example.test', true);
      const subject = account({ preferred_username: 'linda-idp', email: 'Linda@Example.test', email_verified: true });
      const { me } = await login(subject, 'linking');
      expect(me).toMatchObject({ id: local.id, username: 'linda' });
      const identity = await t.dataSource.getRepository(UserIdentityEntity).findOneByOrFail({ subject });
      expect(identity).toMatchObject({ userId: local.id, provider: 'linking' });
    });

    it.each([
      ['the provider did not verify the email', { email_verified: false }, true, 'linking', 403, 'no_linked_account'],
      // The provider vouches for the address, so the person learns that an account holds it.
      ['the local email is not verified', { email_verified: true }, false, 'linking', 409, 'account_exists'],
      ['the provider does not allow linking', { email_verified: true }, true, 'nojit', 409, 'account_exists'],
    ] as Array<[string, OpAccount, boolean, string, number, string]>)('does not link when %s', async (_, claims, localVerified, provider, status, reason) => {
      const name = `victim${++subjects}`;
      const victim = await localUser(name, `${name}@example.test`, localVerified);
      const before = await counts(t);
      const { callback } = await login(account({ email: `${name}@example.test`, ...claims }), provider);
      await expectRefused(t, before, callback, status, reason);
      expect(await t.dataSource.getRepository(UserIdentityEntity).countBy({ userId: victim.id })).toBe(0);
    });

    it('never links the system admin', async () => {
      await t.dataSource.getRepository(UserEntity).update({ username: 'admin' }, { email: 'root@example.test', emailVerified: true });
      const before = await counts(t);
      const { callback } = await login(account({ email: 'root@example.test', email_verified: true }), 'linking');
      await expectRefused(t, before, callback, 409, 'account_exists');
      const admin = await t.dataSource.getRepository(UserEntity).findOneByOrFail({ username: 'admin' });
      expect(await t.dataSource.getRepository(UserIdentityEntity).countBy({ userId: admin.id })).toBe(0);
    });
  });

  describe('no second account for a known email (JIT on)', () => {
    it("a verified IdP email equal to a local account's unverified one answers account_exists and creates nothing", async () => {
      const erin = await localUser(`erin${++subjects}`, `erin${subjects}@example.test`, false);
      const before = await counts(t);
      const { callback } = await login(account({ preferred_username: erin.username, email: erin.email!, email_verified: true }));
      await expectRefused(t, before, callback, 409, 'account_exists');
      expect(await t.dataSource.getRepository(UserEntity).countBy({ username: `${erin.username}-2` })).toBe(0);
    });

    it('the same email unverified at the provider is no claim on the account: a new user without that email', async () => {
      const frank = await localUser(`frank${++subjects}`, `frank${subjects}@example.test`, false);
      const { me } = await login(account({ preferred_username: `sso-${frank.username}`, email: frank.email!, email_verified: false }));
      expect(me).toMatchObject({ username: `sso-${frank.username}`, email: null });
      expect(me!.id).not.toBe(frank.id);
    });
  });

  describe('role mapping', () => {
    it('grants mapped roles, and re-evaluates them at every login; other roles stay', async () => {
      const subject = account({ preferred_username: 'mapped', groups: ['auditors', 'unmapped'] });
      const first = (await login(subject)).me!;
      expect(first.roles).toEqual(['auditor', 'viewer']);
      await t.app.get(RolesService).assignToUser(first.id, ['auditor', 'viewer', 'role_admin', 'user_admin']);
      op.accounts.set(subject, { preferred_username: 'mapped', groups: [] });
      // A role named in role_mapping belongs to the mapping, even when an admin granted it.
      expect((await login(subject)).me!.roles).toEqual(['role_admin', 'viewer']);
      op.accounts.set(subject, { preferred_username: 'mapped', groups: ['user-admins'] });
      expect((await login(subject)).me!.roles).toEqual(['role_admin', 'user_admin', 'viewer']);
    });
  });
});
