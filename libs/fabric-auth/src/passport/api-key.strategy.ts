import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import { ApiKeysService } from '../access/api-keys/api-keys.service.js';
import type { HttpRequestLike } from '../core/request-info.js';
import { FABRIC_API_KEY_STRATEGY } from '../core/fabric-auth.constants.js';
import { issuedByStrategy } from '../access/principal/current-principal.decorator.js';
import type { Principal } from '../core/principal.js';
import { FabricAuthError } from '../core/fabric-auth.error.js';
import type { FabricApiKeyAuthenticator } from '../core/ports/api-key-authenticator.js';

/**
 * `X-API-Key: <key>` — the header only, never a query parameter or body field.
 * Registered with Passport as `fabric-api-key`; FabricGuard calls `authenticate`
 * `authenticateKey` directly (through the default `FABRIC_API_KEY_AUTHENTICATOR`).
 */
@Injectable()
export class FabricApiKeyStrategy extends PassportStrategy(passport.Strategy, FABRIC_API_KEY_STRATEGY) {
  constructor(private readonly apiKeys: ApiKeysService) {
    super();
  }

  /**
   * What passport-headerapikey's strategy did with our settings (it loaded all of lodash for
   * two calls): a missing key fails with its `BadRequestError` challenge and a null status, a
   * refused one fails without a challenge, an error of `validate` is an error.
   */
  override authenticate(request: HttpRequestLike): void {
    const rawKey = request.headers['x-api-key'];
    if (!rawKey) return this.fail({ name: 'BadRequestError', message: 'Missing API Key' }, null as unknown as number);
    this.validate(rawKey as string).then(
      (principal) => (principal ? this.success(principal) : this.fail(undefined, null as unknown as number)),
      (error: unknown) => this.error(error as Error),
    );
  }

  async validate(rawKey: string): Promise<Principal | false> {
    try {
      const principal = await this.apiKeys.authenticate(rawKey);
      // A SCIM token acts on FabricGuard's SCIM routes only; a route composed with Passport is never one.
      if (principal.kind === 'scim_token') return false;
      return issuedByStrategy(principal);
    } catch (error) {
      if (error instanceof FabricAuthError) return false;
      throw error;
    }
  }

  authenticateKey(rawKey: string): Principal | Promise<Principal> {
    return this.apiKeys.authenticate(rawKey);
  }
}

/** The default API-key slot of FabricGuard: this strategy, without Passport's per-request work. */
export function apiKeyAuthenticatorFrom(strategy: FabricApiKeyStrategy): FabricApiKeyAuthenticator {
  return { authenticate: (rawKey: string, _request: HttpRequestLike) => strategy.authenticateKey(rawKey) };
}
