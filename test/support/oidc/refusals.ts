import { AuditEventEntity, UserEntity } from 'nestjs-fabric-auth/entities';
import { expect } from 'vitest';
import type { TestApp } from '../test-app.js';
import { type Hop, parseSetCookies } from './fetch-browser.js';

export interface Counts {
  users: number;
  failures: Map<string, number>;
}

/** Users and `oidc.login.failure` events by reason, to compare before and after a refusal. */
export async function counts(t: TestApp): Promise<Counts> {
  const users = await t.dataSource.getRepository(UserEntity).count();
  const events = await t.dataSource.getRepository(AuditEventEntity).find({ where: { action: 'oidc.login.failure' } });
  const failures = new Map<string, number>();
  for (const event of events) {
    const reason = String(event.details?.reason);
    failures.set(reason, (failures.get(reason) ?? 0) + 1);
  }
  return { users, failures };
}

/**
 * A refused login: the status, Nest's error shape, no session cookie, no new user, and one
 * more `oidc.login.failure` event with that reason.
 */
export async function expectRefused(t: TestApp, before: Counts, hop: Hop, status: number, reason: string): Promise<void> {
  expect(hop.status, hop.body).toBe(status);
  const body = JSON.parse(hop.body) as Record<string, unknown>;
  expect(body).toEqual({ statusCode: status, message: expect.any(String), error: expect.any(String) });
  const cookies = parseSetCookies(hop.setCookie);
  for (const name of ['access_token', 'refresh_token', 'csrf_token']) expect(cookies.has(name), name).toBe(false);
  const after = await counts(t);
  expect(after.users).toBe(before.users);
  expect(after.failures.get(reason) ?? 0, `audit events with reason ${reason}`).toBe((before.failures.get(reason) ?? 0) + 1);
}
