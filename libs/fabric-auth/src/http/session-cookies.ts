import { Inject, Injectable } from '@nestjs/common';
import { appendSetCookie, serializeCookie } from '../core/request-info.js';
import { ACCESS_TOKEN_COOKIE, CSRF_TOKEN_COOKIE, REFRESH_TOKEN_COOKIE } from '../core/fabric-auth.constants.js';
import { FABRIC_RESOLVED_OPTIONS } from '../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../options/fabric-auth.options.js';
import { TokenService } from '../access/tokens/token.service.js';
import type { TokenPair } from '../core/token-pair.js';

/** The browser session's three cookies (SPEC §5): two HttpOnly tokens and the readable CSRF token. */
@Injectable()
export class SessionCookies {
  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    private readonly tokens: TokenService,
  ) {}

  set(response: unknown, pair: TokenPair): void {
    const secure = this.options.secureCookies;
    appendSetCookie(response, [
      serializeCookie(ACCESS_TOKEN_COOKIE, pair.accessToken, { maxAgeSeconds: pair.expiresIn, httpOnly: true, secure }),
      serializeCookie(REFRESH_TOKEN_COOKIE, pair.refreshToken, {
        maxAgeSeconds: pair.refreshExpiresIn,
        httpOnly: true,
        secure,
      }),
      serializeCookie(CSRF_TOKEN_COOKIE, this.tokens.csrfTokenFor(pair.sessionId), {
        maxAgeSeconds: pair.refreshExpiresIn,
        httpOnly: false,
        secure,
      }),
    ]);
  }

  /** A new access token for the same session (`grant_type=organization`): the refresh and CSRF cookies stay as they are. */
  setAccess(response: unknown, accessToken: string, expiresIn: number): void {
    appendSetCookie(response, [serializeCookie(ACCESS_TOKEN_COOKIE, accessToken, { maxAgeSeconds: expiresIn, httpOnly: true, secure: this.options.secureCookies })]);
  }

  clear(response: unknown): void {
    const secure = this.options.secureCookies;
    appendSetCookie(
      response,
      [ACCESS_TOKEN_COOKIE, REFRESH_TOKEN_COOKIE, CSRF_TOKEN_COOKIE].map((name) => serializeCookie(name, '', { maxAgeSeconds: 0, httpOnly: name !== CSRF_TOKEN_COOKIE, secure })),
    );
  }
}
