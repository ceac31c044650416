import type { FabricEvent } from './ports/fabric-events.js';

/**
 * Audit action → the public event name (SPEC §18): what apps subscribe to and webhooks carry. The
 * audit log keeps its own names (`login.success`, `user.create`); the public ones say what happened,
 * in the past tense, and one name covers one fact whichever route caused it (an OIDC, SAML or
 * password login failure is `login.failed`; `details` says which). Names are never renamed or reused.
 */
const PUBLIC_NAMES = {
  'login.success': 'login.succeeded',
  'login.failure': 'login.failed',
  'oidc.login.failure': 'login.failed',
  'saml.login.failure': 'login.failed',
  'login.mfa_required': 'login.mfa_required',
  'login.mfa_failure': 'login.mfa_failed',
  logout: 'session.signed_out',
  'session.revoke': 'session.revoked',
  'session.revoke_all': 'session.revoked_all',
  'session.organization_switched': 'session.organization_switched',
  'oidc.backchannel_logout': 'session.backchannel_logout',
  'token.refresh': 'token.refreshed',
  'token.refresh_reuse': 'token.refresh_reuse_detected',
  'token.revoke': 'token.revoked',
  'token.client_credentials': 'token.client_credentials_issued',
  'user.create': 'user.created',
  'user.modify': 'user.updated',
  'user.deactivate': 'user.deactivated',
  'user.reactivate': 'user.reactivated',
  'user.delete': 'user.deleted',
  'user.activate': 'user.activated',
  'user.activation_resend': 'user.activation_resent',
  'user.lock': 'user.locked',
  'user.unlock': 'user.unlocked',
  'user.password_change': 'user.password_changed',
  'user.password_reset': 'user.password_reset',
  'password_reset.request': 'user.password_reset_requested',
  'user.email_verified': 'user.email_verified',
  'user.email_verification.request': 'user.email_verification_requested',
  'oidc.identity.link': 'identity.linked',
  'saml.identity.link': 'identity.linked',
  'oidc.identity.unlink': 'identity.unlinked',
  'mfa.enrol': 'mfa.enrolled',
  'mfa.totp_enrol_start': 'mfa.enrolment_started',
  'mfa.remove': 'mfa.removed',
  'mfa.reset': 'mfa.reset',
  'mfa.failure': 'mfa.failed',
  'mfa.recovery_codes_regenerate': 'mfa.recovery_codes_regenerated',
  'mfa.passkey_rename': 'mfa.passkey_renamed',
  'api_key.create': 'api_key.created',
  'api_key.revoke': 'api_key.revoked',
  'api_key.reroll': 'api_key.rerolled',
  'service_account.create': 'service_account.created',
  'service_account.modify': 'service_account.updated',
  'service_account.deactivate': 'service_account.deactivated',
  'service_account.reactivate': 'service_account.reactivated',
  'role.create': 'role.created',
  'role.modify': 'role.changed',
  'role.delete': 'role.deleted',
  'signing_key.rotate': 'signing_key.rotated',
  'scim_token.create': 'scim_token.created',
  'scim_token.revoke': 'scim_token.revoked',
  'scim.user.create': 'scim.user.created',
  'scim.user.update': 'scim.user.updated',
  'scim.user.delete': 'scim.user.deleted',
  'scim.group.create': 'scim.group.created',
  'scim.group.update': 'scim.group.updated',
  'scim.group.delete': 'scim.group.deleted',
  'organization.create': 'org.created',
  'organization.modify': 'org.updated',
  'organization.delete': 'org.deleted',
  'organization.member.add': 'org.member.added',
  'organization.member.domain_join': 'org.member.added',
  'organization.member.connection_join': 'org.member.added',
  'organization.invitation.accept': 'org.member.added',
  'organization.member.remove': 'org.member.removed',
  'organization.member.leave': 'org.member.removed',
  'organization.member.roles': 'org.member.roles_changed',
  'organization.invitation.create': 'org.invitation.created',
  'organization.invitation.revoke': 'org.invitation.revoked',
  'organization.invitation.prune': 'org.invitation.pruned',
  'organization.role.create': 'org.role.created',
  'organization.role.modify': 'org.role.changed',
  'organization.role.delete': 'org.role.deleted',
  'organization.service_account.create': 'org.service_account.created',
  'organization.service_account.delete': 'org.service_account.deleted',
  'organization.api_key.create': 'org.api_key.created',
  'organization.api_key.revoke': 'org.api_key.revoked',
  'authz.system_admin_bypass': 'authz.system_admin_bypassed',
  'maintenance.prune': 'maintenance.pruned',
  'webhook.create': 'webhook.created',
  'webhook.modify': 'webhook.updated',
  'webhook.delete': 'webhook.deleted',
  'webhook.disable': 'webhook.disabled',
  'webhook.redeliver': 'webhook.redelivered',
  'webhook.prune': 'webhook.pruned',
} as const;

/** @publicApi Every public event name (SPEC §18). */
export type FabricEventType = (typeof PUBLIC_NAMES)[keyof typeof PUBLIC_NAMES];

/** Every public event name, sorted, once each. */
export const FABRIC_EVENT_TYPES: readonly FabricEventType[] = Object.freeze([...new Set(Object.values(PUBLIC_NAMES))].sort());

/** The public name of an audit action; an action without one (added later, not yet named) is published under its audit name. */
export function publicEventType(action: string): string {
  return (PUBLIC_NAMES as Record<string, string>)[action] ?? action;
}

/** Who did it: a user, a service account, an API key, a SCIM token; null for an anonymous request. */
export interface FabricEventActor {
  kind: string;
  id: string;
  username: string | null;
}

/** What every event's `data` holds: never a secret (no password, token or key). */
export interface FabricEventData {
  /** `failure` for the refusals (`login.failed`, `mfa.failed`, …), `success` otherwise. */
  outcome: 'success' | 'failure';
  actor: FabricEventActor | null;
  /** What the action was about: `{ type: 'user', id }`, `{ type: 'session', id }`, `{ type: 'api_key', id }`, … */
  target: { type: string; id: string } | null;
  /** The organization it happened in (SPEC §15), if any. */
  organization_id: string | null;
  ip: string | null;
  user_agent: string | null;
  /** The audit row's flat, non-secret facts (`{ method: 'password' }`, `{ reason: 'bad_password' }`, `{ roles: 'admin,editor' }`). */
  details: Readonly<Record<string, unknown>>;
}

/**
 * @publicApi One event as apps and webhook receivers see it: `{type, timestamp, data}` (SPEC §18),
 * with the id that stays the same wherever it travels (a webhook's `webhook-id`). A union over
 * every type, so `switch (event.type)` narrows it.
 */
export type FabricEventPayload<T extends FabricEventType = FabricEventType> = {
  [K in T]: { id: string; type: K; timestamp: string; data: FabricEventData };
}[T];

/** An event's public form, with what routing needs beside it (the subject whose order is kept, the organization). */
export interface PublishedEvent {
  payload: FabricEventPayload;
  /** `<type>:<id>` of the target (else the actor): events of one subject reach an endpoint in order. */
  subject: string | null;
  organizationId: string | null;
}

export function publish(event: FabricEvent): PublishedEvent {
  const { payload: p } = event;
  const subjectOf = p.target ?? (p.actor ? { type: p.actor.kind, id: p.actor.id } : null);
  return {
    payload: {
      id: event.id,
      type: publicEventType(event.name) as FabricEventType,
      timestamp: event.occurredAt.toISOString(),
      data: {
        outcome: p.outcome,
        actor: p.actor,
        target: p.target,
        organization_id: p.organizationId,
        ip: p.ip,
        user_agent: p.userAgent,
        details: p.details ?? {},
      },
    } as FabricEventPayload,
    subject: subjectOf ? `${subjectOf.type}:${subjectOf.id}`.slice(0, 255) : null,
    organizationId: p.organizationId,
  };
}
