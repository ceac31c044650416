import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { FabricClock } from '../common/clock.js';
import { appendSetCookie, cookieValue, type HttpRequestLike, serializeCookie } from '../common/request-info.js';
import { FABRIC_RESOLVED_OPTIONS } from '../fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../fabric-auth.options.js';

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
}

export const OIDC_STATE_COOKIE = 'fabric_oidc_state';
/** Seconds from the redirect to the provider until its callback must have arrived. */
export const OIDC_STATE_LIFETIME = 600;
const VERSION = 'v1';
const MAX_COOKIE_LENGTH = 2048;

export type StateReadResult = { outcome: 'valid'; state: OidcLoginState } | { outcome: 'missing' | 'invalid' | 'expired' };

function isLoginState(value: unknown): value is OidcLoginState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    ['provider', 'state', 'nonce', 'codeVerifier', 'returnTo'].every((k) => typeof v[k] === 'string' && (v[k] as string).length > 0) &&
    typeof v.expiresAt === 'number'
  );
}

/**
 * The login's state, nonce and PKCE verifier in a short-lived, HMAC-signed, HttpOnly cookie
 * instead of a server session: the callback is bound to the browser that started the
 * login. Each state is accepted once; the states already used are remembered (in this
 * process) until they expire, so a replayed callback fails even with a copy of the cookie.
 */
@Injectable()
export class OidcLoginStates {
  private readonly key: Buffer;
  private readonly used = new Map<string, number>();

  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly clock: FabricClock,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(options.secretKey, 'utf8'), Buffer.alloc(0), 'fabric-auth oidc state cookie', 32));
  }

  /** A new login's state, sealed into the cookie. */
  issue(response: unknown, login: Omit<OidcLoginState, 'expiresAt'>): void {
    const state: OidcLoginState = { ...login, expiresAt: this.clock.now() + OIDC_STATE_LIFETIME * 1000 };
    const body = `${VERSION}.${Buffer.from(JSON.stringify(state)).toString('base64url')}`;
    appendSetCookie(response, [
      serializeCookie(OIDC_STATE_COOKIE, `${body}.${this.mac(body)}`, {
        maxAgeSeconds: OIDC_STATE_LIFETIME,
        httpOnly: true,
        secure: this.options.secureCookies,
      }),
    ]);
  }

  read(request: HttpRequestLike): StateReadResult {
    const raw = cookieValue(request, OIDC_STATE_COOKIE);
    if (raw === undefined) return { outcome: 'missing' };
    const parts = raw.length <= MAX_COOKIE_LENGTH ? raw.split('.') : [];
    if (parts.length !== 3 || parts[0] !== VERSION) return { outcome: 'invalid' };
    const body = `${parts[0]}.${parts[1]}`;
    const expected = Buffer.from(this.mac(body));
    const presented = Buffer.from(parts[2]!);
    if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) return { outcome: 'invalid' };
    let state: unknown;
    try {
      state = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    } catch {
      return { outcome: 'invalid' };
    }
    if (!isLoginState(state)) return { outcome: 'invalid' };
    if (state.expiresAt <= this.clock.now()) return { outcome: 'expired' };
    return { outcome: 'valid', state };
  }

  clear(response: unknown): void {
    appendSetCookie(response, [serializeCookie(OIDC_STATE_COOKIE, '', { maxAgeSeconds: 0, httpOnly: true, secure: this.options.secureCookies })]);
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

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
