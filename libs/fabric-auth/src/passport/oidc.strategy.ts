import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import { type HttpRequestLike, sendRedirect } from '../core/request-info.js';
import { FABRIC_OIDC_STRATEGY } from '../core/fabric-auth.constants.js';
import { DEFAULT_OIDC_PROVIDER } from '../options/fabric-auth.options.js';
import { responseOf } from '../http/request-response.js';
import { type OidcLoginResult, OidcLoginService } from '../features/oidc/oidc-login.service.js';
import { attachPrincipal } from '../access/principal/current-principal.decorator.js';
import type { Principal } from '../core/principal.js';
import { PrincipalService } from '../access/principal/principal.service.js';
import { TokenService } from '../access/tokens/token.service.js';

type PassportRequest = HttpRequestLike & { url?: string; originalUrl?: string; params?: Record<string, string | string[]> };
type Verified = (error: unknown, user?: unknown) => void;

export interface OidcStrategyOptions {
  /** Provider name; default: the route's `:provider` parameter, else `oidc`. */
  provider?: string;
}

/**
 * One strategy for both legs of the flow, as Passport's OAuth strategies do: without a
 * `code` or `error` in the query it redirects to the provider, with one it completes the
 * login (session cookies set on the response) and hands the result to `validate`.
 */
class OidcPassportStrategy extends passport.Strategy {
  constructor(
    private readonly logins: OidcLoginService,
    /** The new session's principal; undefined after a link, which opens no session. */
    private readonly principalOf: (result: OidcLoginResult) => Promise<Principal | undefined>,
    private readonly verify: (result: OidcLoginResult, done: Verified) => void,
  ) {
    super();
  }

  override authenticate(request: PassportRequest, options?: OidcStrategyOptions): void {
    const named = request.params?.provider;
    const provider = options?.provider ?? (typeof named === 'string' ? named : DEFAULT_OIDC_PROVIDER);
    const url = new URL(request.originalUrl ?? request.url ?? '/', 'http://request.invalid');
    // Passport hands a strategy the request only; cookies and the redirect need the response.
    const response = responseOf(request);
    if (!response) {
      this.error(new Error('fabric-oidc: no response is linked to this request (not an Express or Fastify request?)'));
      return;
    }
    if (url.searchParams.has('code') || url.searchParams.has('error')) {
      this.logins
        .complete(provider, request, response)
        .then(async (result) => {
          // The new cookie session's principal, as FabricGuard would resolve it on the next request.
          const principal = await this.principalOf(result);
          if (principal) attachPrincipal(request, principal);
          return result;
        })
        .then(
          (result) => this.verify(result, (error, user) => (error ? this.error(error) : user ? this.success(user) : this.fail(401))),
          (error: unknown) => this.error(error as Error),
        );
    } else {
      this.logins
        .begin(provider, { returnTo: url.searchParams.get('return_to'), prompt: url.searchParams.get('prompt'), loginHint: url.searchParams.get('login_hint') }, request, response)
        .then(
          // Not Passport's redirect: it writes to the response as Express's, which a Fastify reply is not.
          (target) => sendRedirect(response, target.href),
          (error: unknown) => this.error(error as Error),
        );
    }
  }
}

/**
 * `AuthGuard('fabric-oidc')` on a host app's own login and callback routes. On the callback,
 * `request.user` is the `OidcLoginResult` and `@CurrentPrincipal()` the new session's principal.
 */
@Injectable()
export class FabricOidcStrategy extends PassportStrategy(OidcPassportStrategy, FABRIC_OIDC_STRATEGY) {
  constructor(logins: OidcLoginService, tokens: TokenService, principals: PrincipalService) {
    super(logins, async (result: OidcLoginResult) => (result.tokens ? principals.forAccessClaims(await tokens.verifyAccessToken(result.tokens.accessToken), 'cookie') : undefined));
  }

  /** Override to choose what `req.user` becomes; by default the login's result. */
  validate(result: OidcLoginResult): OidcLoginResult {
    return result;
  }
}
