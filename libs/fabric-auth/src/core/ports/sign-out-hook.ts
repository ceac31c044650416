import type { Principal } from '../principal.js';
import type { HttpRequestLike } from '../request-info.js';

/** A session that `POST /auth/logout` has just ended (revoked, cookies cleared). */
export interface SignedOut {
  principal: Principal;
  sessionId: string;
  request: HttpRequestLike;
  /** The HTTP response still being written: a hook may add a cookie or a header to it. */
  response: unknown;
}

/**
 * Runs after a logout, for a feature that has more to end than the local session (OIDC's
 * RP-initiated logout remembers the provider's session for `GET /auth/oidc/logout`). Login
 * calls every registered hook, in order, without knowing which features registered them.
 */
export interface SignOutHook {
  afterSignOut(signedOut: SignedOut): Promise<void>;
}

/** The registered hooks, in the order they run; none by default. */
export type SignOutHooks = readonly SignOutHook[];
export const SignOutHooks = Symbol('SignOutHooks');
