import { Inject, Injectable } from '@nestjs/common';
import { FabricClock } from '../../core/clock.js';
import { constantTimeEqual, deriveKey, hmacSha256, sha256 } from '../../core/crypto.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import { appendSetCookie, headerValue, type HttpRequestLike, parseCookies, serializeCookie } from '../../core/request-info.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';

/** A login this browser started: the AuthnRequest's ID the response must answer (`InResponseTo`). */
export interface SamlLoginState {
  connection: string;
  requestId: string;
  returnTo: string;
  /** Milliseconds, on FabricClock. */
  expiresAt: number;
}

/** Each attempt has its own cookie, `fabric_saml_state_<digest of its request ID>`, so tabs do not overwrite each other. */
export const SAML_STATE_COOKIE_PREFIX = 'fabric_saml_state_';
/** Seconds from the redirect to the IdP until its response must have arrived. */
export const SAML_STATE_LIFETIME = 600;
const MAX_LOGIN_ATTEMPTS = 4;
const VERSION = 'v1';
const MAX_COOKIE_LENGTH = 2048;

export type SamlStateRead = { outcome: 'valid'; state: SamlLoginState } | { outcome: 'missing' | 'mismatch' | 'expired' };

function isLoginState(value: unknown): value is SamlLoginState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return ['connection', 'requestId', 'returnTo'].every((k) => typeof v[k] === 'string' && v[k].length > 0) && typeof v.expiresAt === 'number';
}

/**
 * The AuthnRequest's ID in a short-lived, HMAC-signed, HttpOnly cookie: a response is accepted
 * only by the browser that started its login (`InResponseTo` names the cookie), once. The ACS
 * is reached by the IdP's cross-site POST, which carries only `SameSite=None` cookies, so the
 * cookie is `SameSite=None; Secure` (Lax without `server.secure_cookies`: browsers drop `None`
 * without `Secure`, and a development IdP on localhost is same-site anyway).
 */
@Injectable()
export class SamlLoginStates {
  private readonly key: Buffer;
  private readonly used = new Map<string, number>();

  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly clock: FabricClock,
  ) {
    this.key = deriveKey(options.secretKey, 'fabric-auth saml state cookie');
  }

  issue(request: HttpRequestLike, response: unknown, login: Omit<SamlLoginState, 'expiresAt'>): void {
    const now = this.clock.now();
    const state: SamlLoginState = { ...login, expiresAt: now + SAML_STATE_LIFETIME * 1000 };
    const body = `${VERSION}.${Buffer.from(JSON.stringify(state)).toString('base64url')}`;
    const live: Array<{ name: string; expiresAt: number }> = [];
    const dropped: string[] = [];
    for (const [name, value] of this.attemptCookies(request)) {
      const opened = this.open(value);
      if (opened && opened.expiresAt > now) live.push({ name, expiresAt: opened.expiresAt });
      else dropped.push(name);
    }
    live.sort((a, b) => a.expiresAt - b.expiresAt);
    dropped.push(...live.slice(0, Math.max(0, live.length - (MAX_LOGIN_ATTEMPTS - 1))).map((c) => c.name));
    appendSetCookie(response, [...dropped.map((name) => this.expired(name)), this.cookie(this.cookieName(state.requestId), `${body}.${this.mac(body)}`, SAML_STATE_LIFETIME)]);
  }

  /** The login the response's `InResponseTo` names, read from its own cookie in this browser. */
  read(request: HttpRequestLike, inResponseTo: string): SamlStateRead {
    const attempts = this.attemptCookies(request);
    if (attempts.size === 0) return { outcome: 'missing' };
    const raw = attempts.get(this.cookieName(inResponseTo));
    const state = raw === undefined ? null : this.open(raw);
    // This browser has logins in flight, but not the one this response answers (another browser's, a stale tab).
    if (!state || !constantTimeEqual(state.requestId, inResponseTo)) return { outcome: 'mismatch' };
    if (state.expiresAt <= this.clock.now()) return { outcome: 'expired' };
    return { outcome: 'valid', state };
  }

  /** Ends the attempt the response names, whatever its outcome. */
  clear(response: unknown, inResponseTo: string): void {
    appendSetCookie(response, [this.expired(this.cookieName(inResponseTo))]);
  }

  /** True the first time a (valid, unexpired) login is answered, false on every replay (in this process; the assertion ID is single use everywhere). */
  consume(state: SamlLoginState): boolean {
    const now = this.clock.now();
    for (const [id, expiresAt] of this.used) {
      if (expiresAt > now) break;
      this.used.delete(id);
    }
    if (this.used.has(state.requestId)) return false;
    this.used.set(state.requestId, state.expiresAt);
    return true;
  }

  cookieName(requestId: string): string {
    return `${SAML_STATE_COOKIE_PREFIX}${sha256(requestId, 'base64url').slice(0, 16)}`;
  }

  private attemptCookies(request: HttpRequestLike): Map<string, string> {
    const attempts = new Map<string, string>();
    for (const [name, value] of parseCookies(headerValue(request, 'cookie'))) {
      if (name.startsWith(SAML_STATE_COOKIE_PREFIX) && attempts.size < 2 * MAX_LOGIN_ATTEMPTS) attempts.set(name, value);
    }
    return attempts;
  }

  private open(raw: string): SamlLoginState | null {
    const parts = raw.length <= MAX_COOKIE_LENGTH ? raw.split('.') : [];
    if (parts.length !== 3 || parts[0] !== VERSION) return null;
    const body = `${parts[0]}.${parts[1]}`;
    if (!constantTimeEqual(this.mac(body), parts[2])) return null;
    try {
      const state: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
      return isLoginState(state) ? state : null;
    } catch {
      return null;
    }
  }

  private cookie(name: string, value: string, maxAgeSeconds: number): string {
    return serializeCookie(name, value, { maxAgeSeconds, httpOnly: true, secure: this.options.secureCookies, sameSite: 'None' });
  }

  private expired(name: string): string {
    return this.cookie(name, '', 0);
  }

  private mac(body: string): string {
    return hmacSha256(this.key, body, 'base64url');
  }
}
