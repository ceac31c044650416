import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ApiKeysService } from '../../access/api-keys/api-keys.service.js';
import { AuditService } from '../../data/audit.service.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import type { Principal } from '../../core/principal.js';
import { ServiceAccountEntity } from '../../schema/entities/service-account.entity.js';
import { FabricAuthError } from '../../core/fabric-auth.error.js';
import { TokenService } from '../../access/tokens/token.service.js';
import { OAuthError } from '../../http/oauth-error.js';
import { isUuid } from '../../core/ids.js';

const INVALID_CLIENT = 'Invalid client credentials';

export interface ClientCredentialsGrant {
  accessToken: string;
  expiresIn: number;
  scope: string[];
}

/**
 * RFC 6749 §4.4 for service accounts: the client is the account (id or name), its secret
 * one of the account's API keys. The token carries what the key grants now, narrowed to
 * the requested scope, and stays bound to the key (see `TokenService.issueClientAccessToken`).
 */
@Injectable()
export class ClientCredentialsService {
  constructor(
    @InjectRepository(ServiceAccountEntity) private readonly accounts: Repository<ServiceAccountEntity>,
    private readonly apiKeys: ApiKeysService,
    private readonly tokens: TokenService,
    private readonly audit: AuditService,
  ) {}

  async grant(clientId: string, clientSecret: string, scope: string[] | undefined, request: HttpRequestLike): Promise<ClientCredentialsGrant> {
    const principal = await this.authenticate(clientId, clientSecret, request);
    const held = [...principal.permissions].sort();
    let granted = held;
    if (scope !== undefined) {
      const beyond = scope.filter((p) => !principal.permissions.has(p));
      if (beyond.length > 0) {
        await this.recordFailure(principal, request, 'scope beyond the account');
        throw new OAuthError('invalid_scope', `not granted to this client: ${beyond.slice(0, 5).join(' ').slice(0, 200)}`);
      }
      granted = [...new Set(scope)].sort();
    }
    // An organization's account: the token acts in its organization, as the key does.
    const issued = this.tokens.issueClientAccessToken(principal.id, principal.apiKeyId!, granted, principal.org?.id);
    await this.audit.record({
      action: 'token.client_credentials',
      outcome: 'success',
      actor: principal,
      target: { type: 'api_key', id: principal.apiKeyId! },
      request,
      details: { scope: granted.join(' ') },
    });
    return { accessToken: issued.token, expiresIn: issued.expiresIn, scope: granted };
  }

  /** One answer (401 `invalid_client`) for an unknown account, a wrong or foreign key, a revoked key or an inactive account. */
  private async authenticate(clientId: string, clientSecret: string, request: HttpRequestLike): Promise<Principal> {
    let principal: Principal;
    try {
      principal = await this.apiKeys.authenticate(clientSecret);
    } catch (error) {
      if (!(error instanceof FabricAuthError)) throw error;
      await this.recordFailure(null, request, error.failure);
      throw new OAuthError('invalid_client', INVALID_CLIENT, 401);
    }
    const account = principal.kind === 'service_account' ? await this.accounts.findOneBy(isUuid(clientId) ? { id: clientId } : { name: clientId }) : null;
    if (!account || account.id !== principal.id || !account.isActive) {
      await this.recordFailure(null, request, 'key does not belong to the client');
      throw new OAuthError('invalid_client', INVALID_CLIENT, 401);
    }
    return principal;
  }

  private recordFailure(actor: Principal | null, request: HttpRequestLike, reason: string): Promise<void> {
    return this.audit.record({ action: 'token.client_credentials', outcome: 'failure', actor, request, details: { reason } });
  }
}
