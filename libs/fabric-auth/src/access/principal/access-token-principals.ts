import { Injectable } from '@nestjs/common';
import { ApiKeysService } from '../api-keys/api-keys.service.js';
import { FabricAuthError } from '../../core/fabric-auth.error.js';
import type { AccessClaims } from '../tokens/token.service.js';
import type { AuthMethod, Principal } from '../../core/principal.js';
import { PrincipalService } from './principal.service.js';

/**
 * Who a verified access token speaks for: a user's session, or (client credentials) a
 * service account through the API key it was minted with. Every path that accepts an
 * access token (Bearer, cookie, introspection) resolves it here.
 */
@Injectable()
export class AccessTokenPrincipals {
  constructor(
    private readonly sessions: PrincipalService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  /** `now`: the request's clock reading (`FabricClock`), when the caller has one. */
  forClaims(claims: AccessClaims, method: AuthMethod, now?: number): Principal | Promise<Principal> {
    if (claims.gty === undefined) return this.sessions.forAccessClaims(claims, method, now);
    // A service account's token is a Bearer credential; it never rides in a browser cookie.
    if (method !== 'jwt') throw new FabricAuthError('wrong_type', 'client-credentials token outside Authorization');
    return this.apiKeys.forClientToken(claims.sid, claims.sub, claims.scope ?? '', claims.org, now);
  }
}
