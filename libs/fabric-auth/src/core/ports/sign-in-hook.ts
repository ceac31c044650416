import type { EntityManager } from 'typeorm';
import type { HttpRequestLike } from '../request-info.js';

/** The login's transaction as a hook sees it (the core's `FabricTransaction`, which core/ cannot name). */
export interface SignInTransaction {
  readonly manager: EntityManager;
  afterCommit(action: () => unknown): void;
}

/** A login that is opening its session: every factor it needs is proved. */
export interface SignedIn {
  user: { id: string; username: string };
  /** How the first factor was proved (`password`, `oidc`, `saml`, `passkey`). */
  method: string;
  request: HttpRequestLike;
}

/**
 * Runs inside the transaction that opens a session (`SessionOpener.open`), whichever feature
 * proved the identity, so that what a login changes commits with the session or not at all (the
 * organizations feature's `auto_join_domains` adds the membership a verified email domain
 * earns). A hook that throws fails the login.
 */
export interface SignInHook {
  afterSignIn(tx: SignInTransaction, signedIn: SignedIn): Promise<void>;
}

/** The registered hooks, in the order they run; none by default. */
export type SignInHooks = readonly SignInHook[];
export const SignInHooks = Symbol('SignInHooks');
