import type { Type } from '@nestjs/common';
import type { TestingModuleBuilder } from '@nestjs/testing';
import type { FabricAuthOptions } from 'nestjs-fabric-auth';
import { DEFAULT_FEATURE_NAMES } from '../../libs/fabric-auth/src/fabric-auth.features.js';
import { it } from 'vitest';
import { API, databaseOf, startTestApp, type TestApp, type TestTarget, TEST_OPTIONS } from '../support/test-app.js';

/** Roles of the global kind (platform) the organization suites use beside the test defaults. */
export const ORG_TEST_ROLES = {
  ...TEST_OPTIONS.roles,
  org_creator: ['orgs:create'],
  org_lister: ['orgs:list'],
  platform_admin: ['orgs:create', 'orgs:list', 'orgs:manage'],
};

/** A test app with organizations on (the test app registers with forRootAsync, so the feature is named too). */
export function startOrgApp(
  target: TestTarget,
  options: Partial<FabricAuthOptions> = {},
  controllers: Type[] = [],
  /** Replaces providers before the app compiles (a DNS resolver answering what the test publishes). */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder,
): Promise<TestApp> {
  return startTestApp(target, {
    options: { roles: ORG_TEST_ROLES, ...options, organizations: { enabled: true, ...options.organizations } },
    features: [...DEFAULT_FEATURE_NAMES, 'organizations'],
    controllers,
    override,
  });
}

export const auth = (token: string) => ({ authorization: `Bearer ${token}` });

let seq = 0;
/** A slug no other test of this process uses. */
export const slug = (prefix = 'org') => `${prefix}-${++seq}-${process.pid}`;

/** A new organization owned by a fresh user (made by a platform admin naming them owner). */
export async function orgWithOwner(t: TestApp, admin: string): Promise<{ slug: string; id: string; owner: Awaited<ReturnType<TestApp['actor']>> }> {
  const owner = await t.actor();
  const name = slug();
  const created = await t.http
    .post(`${API}/orgs`)
    .set(auth(admin))
    .send({ slug: name, name: `Org ${name}`, owner: owner.user.username });
  if (created.status !== 201) throw new Error(`organization not created: ${created.status} ${JSON.stringify(created.body)}`);
  return { slug: name, id: created.body.id as string, owner };
}

/**
 * Puts `users` in an organization with `actor` (made by the platform admin), so that `actor` may
 * add them to another one directly: a manager adds only accounts they share an organization
 * with, and invites everyone else.
 */
export async function acquaint(t: TestApp, admin: string, actor: string, ...users: string[]): Promise<void> {
  const name = slug('lobby');
  const created = await t.http.post(`${API}/orgs`).set(auth(admin)).send({ slug: name, name, owner: actor });
  if (created.status !== 201) throw new Error(`lobby not created: ${created.status} ${JSON.stringify(created.body)}`);
  for (const username of users) {
    const added = await t.http.post(`${API}/orgs/${name}/members`).set(auth(admin)).send({ username });
    if (added.status !== 201) throw new Error(`${username} not added to the lobby: ${added.status} ${JSON.stringify(added.body)}`);
  }
}

/**
 * A race test, registered on PostgreSQL cells only: SQLite runs one writer at a time, so the race
 * cannot happen there, and a skipped entry in the report would only look like a test.
 */
export function itOnPostgres(target: TestTarget, name: string, test: () => Promise<void>, timeout?: number): void {
  if (databaseOf(target) === 'postgres') it(name, test, timeout);
}
