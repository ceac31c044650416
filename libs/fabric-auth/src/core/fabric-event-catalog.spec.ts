import { describe, expect, it } from 'vitest';
import { FABRIC_EVENT_TYPES, publicEventType, publish } from './fabric-event-catalog.js';

const base = {
  id: '0d9a3f5e-1111-4c2b-8c7e-123456789abc',
  occurredAt: new Date(Date.UTC(2026, 11, 6, 12, 0, 0)),
  payload: { outcome: 'success' as const, actor: null, target: null, ip: null, userAgent: null, details: null, organizationId: null },
};

describe('the public event names', () => {
  it('names the SPEC §18 events from their audit actions', () => {
    expect(publicEventType('user.create')).toBe('user.created');
    expect(publicEventType('login.success')).toBe('login.succeeded');
    expect(publicEventType('saml.login.failure')).toBe('login.failed');
    expect(publicEventType('organization.member.add')).toBe('org.member.added');
    for (const name of [
      'user.created',
      'user.updated',
      'user.deactivated',
      'login.succeeded',
      'login.failed',
      'session.revoked',
      'api_key.created',
      'api_key.revoked',
      'role.changed',
      'org.member.added',
      'org.member.removed',
    ])
      expect(FABRIC_EVENT_TYPES).toContain(name);
  });

  it('publishes an action without a public name under its audit name', () => {
    expect(publicEventType('something.new')).toBe('something.new');
  });

  it('publishes {id, type, timestamp, data}, with the target (else the actor) as the subject', () => {
    const withTarget = publish({
      ...base,
      name: 'user.create',
      payload: { ...base.payload, target: { type: 'user', id: 'u1' }, actor: { kind: 'user', id: 'a1', username: 'admin' } },
    });
    expect(withTarget.payload).toEqual({
      id: base.id,
      type: 'user.created',
      timestamp: '2026-12-06T12:00:00.000Z',
      data: {
        outcome: 'success',
        actor: { kind: 'user', id: 'a1', username: 'admin' },
        target: { type: 'user', id: 'u1' },
        organization_id: null,
        ip: null,
        user_agent: null,
        details: {},
      },
    });
    expect(withTarget.subject).toBe('user:u1');
    expect(publish({ ...base, name: 'logout', payload: { ...base.payload, actor: { kind: 'user', id: 'a1', username: 'x' } } }).subject).toBe('user:a1');
    expect(publish({ ...base, name: 'login.failure' }).subject).toBeNull();
  });
});
