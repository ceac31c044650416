import type { EntityManager } from 'typeorm';

/** A change to an account's state that voids what was started under the old one. */
export interface CredentialChange {
  userId: string;
  kind: 'password_changed' | 'deactivated';
  at: Date;
}

/**
 * Runs inside the transaction of a password change or a deactivation (`UsersService`), with
 * that transaction's manager, so that what a feature keeps about flows in progress dies with
 * the change or not at all (the MFA feature voids pending `mfa_token`s, passkey challenges and
 * an unconfirmed TOTP enrolment, SEC-111). A hook that throws rolls the change back.
 *
 * A dedicated hook rather than a listener on the event port: this is a security invariant
 * the change must not commit without, not a notification, and the callers of `setPasswordHash`
 * and `deactivate` do not all write the same audit event.
 */
export interface CredentialChangeHook {
  credentialsChanged(manager: EntityManager, change: CredentialChange): Promise<void>;
}

/** The registered hooks; none by default. */
export type CredentialChangeHooks = readonly CredentialChangeHook[];
export const CredentialChangeHooks = Symbol('CredentialChangeHooks');
