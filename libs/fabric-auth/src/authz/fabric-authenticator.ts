import { Inject, Injectable } from '@nestjs/common';
import { cookieValue, type HttpRequestLike } from '../common/request-info.js';
import { ACCESS_TOKEN_COOKIE, API_KEY_HEADER, FABRIC_API_KEY_AUTHENTICATOR } from '../fabric-auth.constants.js';
import { LimitsService } from '../limits/limits.service.js';
import type { Principal } from '../principal/principal.js';
import type { FabricApiKeyAuthenticator } from '../strategies/api-key-authenticator.js';
import { FabricCookieStrategy } from '../strategies/cookie.strategy.js';
import { FabricJwtStrategy } from '../strategies/jwt.strategy.js';
import { FabricAuthError } from '../tokens/fabric-auth.error.js';
import { TrustedIssuersService } from '../trusted-issuers/trusted-issuers.service.js';

const BEARER = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i;

/**
 * Picks the one strategy whose credential is present (Bearer — ours, or a trusted
 * issuer's by its `iss` — then X-API-Key, then the access cookie) and lets it decide: a present but invalid credential never falls
 * through to the next kind, unlike Passport's multi-strategy chain.
 */
@Injectable()
export class FabricAuthenticator {
  constructor(
    private readonly jwt: FabricJwtStrategy,
    private readonly cookie: FabricCookieStrategy,
    @Inject(FABRIC_API_KEY_AUTHENTICATOR) private readonly apiKeys: FabricApiKeyAuthenticator,
    private readonly limits: LimitsService,
    private readonly trustedIssuers: TrustedIssuersService,
  ) {}

  authenticate(request: HttpRequestLike): Principal | Promise<Principal> {
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const match = typeof authorization === 'string' ? BEARER.exec(authorization) : null;
      if (!match) throw new FabricAuthError('malformed', 'Authorization is not a Bearer token');
      const trusted = this.trustedIssuers.issuerFor(match[1]!);
      return trusted ? this.trustedIssuers.authenticate(match[1]!, trusted) : this.jwt.authenticateBearer(match[1]!);
    }
    const apiKey = request.headers[API_KEY_HEADER];
    if (apiKey !== undefined) return this.authenticateApiKey(apiKey, request);
    const token = cookieValue(request, ACCESS_TOKEN_COOKIE);
    if (token !== undefined) return this.cookie.authenticateCookie(request, token);
    throw new FabricAuthError('missing');
  }

  /** Refused keys are counted per client address; past the limit the answer becomes 429. */
  private authenticateApiKey(apiKey: string | string[], request: HttpRequestLike): Principal | Promise<Principal> {
    const refused = async (error: unknown): Promise<never> => {
      if (!(error instanceof FabricAuthError)) throw error;
      const retryAfter = await this.limits.registerApiKeyFailure(request);
      throw retryAfter > 0 ? new FabricAuthError('throttled', 'API key failures from this address', retryAfter) : error;
    };
    try {
      if (typeof apiKey !== 'string') throw new FabricAuthError('malformed', 'several X-API-Key headers');
      const result = this.apiKeys.authenticate(apiKey, request);
      return result instanceof Promise ? result.catch(refused) : result;
    } catch (error) {
      return refused(error);
    }
  }
}
