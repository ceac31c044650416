import { Inject, Injectable } from '@nestjs/common';
import { cookieValue, type HttpRequestLike } from '../../core/request-info.js';
import { ACCESS_TOKEN_COOKIE, API_KEY_HEADER, FABRIC_API_KEY_AUTHENTICATOR } from '../../core/fabric-auth.constants.js';
import { LimitsService } from '../limits/limits.service.js';
import type { Principal } from '../../core/principal.js';
import type { FabricApiKeyAuthenticator } from '../../core/ports/api-key-authenticator.js';
import { AccessTokenVerifier } from '../principal/access-token-verifier.js';
import { FabricAuthError } from '../../core/fabric-auth.error.js';
import { TrustedIssuersService } from '../trusted-issuers/trusted-issuers.service.js';
import { FabricClock } from '../../core/clock.js';
import { API_KEY_PREFIX } from '../api-keys/api-key-format.js';

const BEARER = 'bearer';
const SPACE = 32;
/** Sets the bit that turns an ASCII capital into its small letter (and leaves small letters be). */
const ASCII_CASE_BIT = 0x20;

/**
 * The token of `Authorization: Bearer <token>` (scheme in any case, spaces around the token),
 * or undefined. Its characters are the verifier's business: a regular expression over the
 * whole ~400-character header cost more per request than the verified-token cache hit, and
 * so did the match array of one over the scheme.
 */
export function bearerToken(authorization: string): string | undefined {
  for (let i = 0; i < BEARER.length; i++) {
    // Only A-Z and a-z can land on a small letter: other characters keep or gain a bit outside a-z.
    if ((authorization.charCodeAt(i) | ASCII_CASE_BIT) !== BEARER.charCodeAt(i)) return undefined;
  }
  let start = BEARER.length;
  while (authorization.charCodeAt(start) === SPACE) start++;
  if (start === BEARER.length) return undefined;
  let end = authorization.length;
  while (end > 0 && authorization.charCodeAt(end - 1) === SPACE) end--;
  if (end <= start) return undefined;
  const token = authorization.slice(start, end);
  return token.includes(' ') ? undefined : token;
}

/**
 * Picks the one strategy whose credential is present (Bearer — ours, or a trusted
 * issuer's by its `iss` — then X-API-Key, then the access cookie) and lets it decide: a present but invalid credential never falls
 * through to the next kind, unlike Passport's multi-strategy chain.
 */
@Injectable()
export class FabricAuthenticator {
  constructor(
    private readonly accessTokens: AccessTokenVerifier,
    @Inject(FABRIC_API_KEY_AUTHENTICATOR) private readonly apiKeys: FabricApiKeyAuthenticator,
    private readonly limits: LimitsService,
    private readonly trustedIssuers: TrustedIssuersService,
    private readonly clock: FabricClock,
  ) {}

  authenticate(request: HttpRequestLike): Principal | Promise<Principal> {
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const token = typeof authorization === 'string' ? bearerToken(authorization) : undefined;
      if (token === undefined) throw new FabricAuthError('malformed', 'Authorization is not a Bearer token');
      // A SCIM token travels as a Bearer (Entra sends no other header); an ordinary key sent so is refused.
      if (token.startsWith(API_KEY_PREFIX)) return this.scimBearer(token, request);
      const trusted = this.trustedIssuers.issuerFor(token);
      // One clock reading for the token's times and the principal cache's expiry.
      return trusted ? this.trustedIssuers.authenticate(token, trusted) : this.accessTokens.bearer(token, this.clock.now());
    }
    const apiKey = request.headers[API_KEY_HEADER];
    if (apiKey !== undefined) return this.authenticateApiKey(apiKey, request);
    const token = cookieValue(request, ACCESS_TOKEN_COOKIE);
    if (token !== undefined) return this.accessTokens.cookie(request, token, this.clock.now());
    throw new FabricAuthError('missing');
  }

  private scimBearer(token: string, request: HttpRequestLike): Principal | Promise<Principal> {
    const onlyScim = (principal: Principal): Principal => {
      if (principal.kind !== 'scim_token') throw new FabricAuthError('malformed', 'an API key sent as a Bearer token (X-API-Key carries it)');
      return principal;
    };
    const result = this.authenticateApiKey(token, request);
    return result instanceof Promise ? result.then(onlyScim) : onlyScim(result);
  }

  /**
   * Refused keys are counted per client address; past the limit the answer becomes 429. A
   * cached key returns its principal without a closure or promise made for the refusal path.
   */
  private authenticateApiKey(apiKey: string | string[], request: HttpRequestLike): Principal | Promise<Principal> {
    try {
      if (typeof apiKey !== 'string') throw new FabricAuthError('malformed', 'several X-API-Key headers');
      const result = this.apiKeys.authenticate(apiKey, request);
      return result instanceof Promise ? result.catch((error: unknown) => this.refusedApiKey(error, request)) : result;
    } catch (error) {
      return this.refusedApiKey(error, request);
    }
  }

  private async refusedApiKey(error: unknown, request: HttpRequestLike): Promise<never> {
    if (!(error instanceof FabricAuthError)) throw error;
    const retryAfter = await this.limits.registerApiKeyFailure(request);
    throw retryAfter > 0 ? new FabricAuthError('throttled', 'API key failures from this address', retryAfter) : error;
  }
}
