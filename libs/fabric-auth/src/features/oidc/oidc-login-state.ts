import { Inject, Injectable } from '@nestjs/common';
import { FabricClock } from '../../core/clock.js';
import { appendSetCookie, headerValue, type HttpRequestLike, parseCookies, serializeCookie } from '../../core/request-info.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { constantTimeEqual, deriveKey, hmacSha256, sha256 } from '../../core/crypto.js';

/** What the callback needs to finish the login it belongs to; never leaves the browser unsigned. */
export interface OidcLoginState {
  /** The provider the login was started with: a callback of another one is a mix-up (RFC 9700 §4.4). */
  provider: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  /** Milliseconds, on FabricClock. */
  expiresAt: number;
  /** Set when a signed-in user links another identity: the session that asked for it. */
  link?: { userId: string; sessionId: string; startedAt: number };
}

/** Each login attempt has its own cookie, `fabric_oidc_state_<key>`, so several tabs can sign in at once. */
export const OIDC_STATE_COOKIE_PREFIX = 'fabric_oidc_state_';
/** Seconds from the redirect to the provider until its callback must have arrived. */
export const OIDC_STATE_LIFETIME = 600;
/** Login attempts one browser may have in flight; starting one more drops the oldest. */
export const MAX_LOGIN_ATTEMPTS = 4;
const VERSION = 'v1';
const MAX_COOKIE_LENGTH = 2048;

export type StateReadResult = { outcome: 'valid'; state: OidcLoginState } | { outcome: 'missing' | 'mismatch' | 'invalid' | 'expired' };

function isLoginState(value: unknown): value is OidcLoginState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const link = v.link as Record<string, unknown> | undefined;
  return (
    ['provider', 'state', 'nonce', 'codeVerifier', 'returnTo'].every((k) => typeof v[k] === 'string' && v[k].length > 0) &&
    typeof v.expiresAt === 'number' &&
    (link === undefined ||
      (typeof link === 'object' && link !== null && typeof link.userId === 'string' && typeof link.sessionId === 'string' && typeof link.startedAt === 'number'))
  );
}

/**
 * The login's state, nonce and PKCE verifier in short-lived, HMAC-signed, HttpOnly cookies
 * instead of a server session: the callback is bound to the browser that started the
 * login. Each attempt has its own cookie, named after a digest of its `state`, so the
 * callback finds its own attempt and two tabs do not overwrite each other; a browser keeps
 * at most `MAX_LOGIN_ATTEMPTS`. Each state is accepted once; the states already used are
 * remembered (in this process) until they expire, so a replayed callback fails even with a
 * copy of the cookie.
 */
@Injectable()
export class OidcLoginStates {
  private readonly key: Buffer;
  private readonly used = new Map<string, number>();

  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly clock: FabricClock,
  ) {
    this.key = deriveKey(options.secretKey, 'fabric-auth oidc state cookie');
  }

  /** A new login's state, sealed into its own cookie; the oldest attempts beyond the bound are dropped. */
  issue(request: HttpRequestLike, response: unknown, login: Omit<OidcLoginState, 'expiresAt'>): void {
    const now = this.clock.now();
    const state: OidcLoginState = { ...login, expiresAt: now + OIDC_STATE_LIFETIME * 1000 };
    const body = `${VERSION}.${Buffer.from(JSON.stringify(state)).toString('base64url')}`;
    const live: Array<{ name: string; expiresAt: number }> = [];
    const dropped: string[] = [];
    for (const [name, value] of this.attemptCookies(request)) {
      const opened = this.open(value);
      if (opened.outcome === 'valid' && opened.state.expiresAt > now) live.push({ name, expiresAt: opened.state.expiresAt });
      else dropped.push(name);
    }
    live.sort((a, b) => a.expiresAt - b.expiresAt);
    dropped.push(...live.slice(0, Math.max(0, live.length - (MAX_LOGIN_ATTEMPTS - 1))).map((c) => c.name));
    appendSetCookie(response, [
      ...dropped.map((name) => this.expired(name)),
      serializeCookie(this.cookieName(state.state), `${body}.${this.mac(body)}`, {
        maxAgeSeconds: OIDC_STATE_LIFETIME,
        httpOnly: true,
        secure: this.options.secureCookies,
      }),
    ]);
  }

  /** The attempt the callback's `state` parameter names, read from its own cookie. */
  read(request: HttpRequestLike, stateParameter: string | null): StateReadResult {
    const attempts = this.attemptCookies(request);
    if (attempts.size === 0) return { outcome: 'missing' };
    const raw = stateParameter === null ? undefined : attempts.get(this.cookieName(stateParameter));
    // This browser has logins in flight, but not the one this callback belongs to (login CSRF, a stale tab).
    if (raw === undefined) return { outcome: 'mismatch' };
    const opened = this.open(raw);
    if (opened.outcome !== 'valid') return opened;
    if (opened.state.expiresAt <= this.clock.now()) return { outcome: 'expired' };
    return opened;
  }

  /** Ends the attempt named by the callback's `state`, whatever its outcome. */
  clear(response: unknown, stateParameter: string | null): void {
    if (stateParameter === null || stateParameter.length === 0 || stateParameter.length > 512) return;
    appendSetCookie(response, [this.expired(this.cookieName(stateParameter))]);
  }

  /** True the first time a (valid, unexpired) state is presented, false on every replay. */
  consume(state: OidcLoginState): boolean {
    const now = this.clock.now();
    // Every state lives as long, so insertion order is expiry order: drop the expired head.
    for (const [id, expiresAt] of this.used) {
      if (expiresAt > now) break;
      this.used.delete(id);
    }
    if (this.used.has(state.state)) return false;
    this.used.set(state.state, state.expiresAt);
    return true;
  }

  /** `fabric_oidc_state_` + 16 characters of the state's digest: the callback finds its cookie from `state`. */
  cookieName(state: string): string {
    return `${OIDC_STATE_COOKIE_PREFIX}${sha256(state, 'base64url').slice(0, 16)}`;
  }

  private attemptCookies(request: HttpRequestLike): Map<string, string> {
    const attempts = new Map<string, string>();
    for (const [name, value] of parseCookies(headerValue(request, 'cookie'))) {
      if (name.startsWith(OIDC_STATE_COOKIE_PREFIX) && attempts.size < 2 * MAX_LOGIN_ATTEMPTS) attempts.set(name, value);
    }
    return attempts;
  }

  private open(raw: string): StateReadResult {
    const parts = raw.length <= MAX_COOKIE_LENGTH ? raw.split('.') : [];
    if (parts.length !== 3 || parts[0] !== VERSION) return { outcome: 'invalid' };
    const body = `${parts[0]}.${parts[1]}`;
    if (!constantTimeEqual(this.mac(body), parts[2])) return { outcome: 'invalid' };
    let state: unknown;
    try {
      state = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      return { outcome: 'invalid' };
    }
    return isLoginState(state) ? { outcome: 'valid', state } : { outcome: 'invalid' };
  }

  private expired(name: string): string {
    return serializeCookie(name, '', { maxAgeSeconds: 0, httpOnly: true, secure: this.options.secureCookies });
  }

  private mac(body: string): string {
    return hmacSha256(this.key, body, 'base64url');
  }
}
