import { Inject, Injectable } from '@nestjs/common';
import { FABRIC_RESOLVED_OPTIONS, FABRIC_ROUTE_PREFIX } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { PublicBaseUrl } from '../../options/public-base-url.js';
import { SigningKeysService } from './signing-keys.service.js';

/** RFC 8414 authorization server metadata (also served as `openid-configuration`). */
export interface IssuerMetadata {
  issuer: string;
  jwks_uri: string;
  token_endpoint: string;
  revocation_endpoint: string;
  introspection_endpoint: string;
  grant_types_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  response_types_supported: string[];
  token_signing_alg_values_supported: string[];
}

/**
 * What a resource server needs to verify our tokens. URLs are built from `auth.public_base_url`,
 * else from the port the server listens on (never from the request's Host header).
 */
@Injectable()
export class IssuerMetadataService {
  constructor(
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
    @Inject(FABRIC_ROUTE_PREFIX) private readonly routePrefix: string,
    private readonly signingKeys: SigningKeysService,
    private readonly publicBaseUrl: PublicBaseUrl,
  ) {}

  metadata(): IssuerMetadata {
    const base = this.publicBaseUrl.get();
    const prefix = this.routePrefix.replace(/^\/+|\/+$/g, '');
    const api = prefix ? `${base}/${prefix}` : base;
    return {
      issuer: this.options.issuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      token_endpoint: `${api}/auth/token`,
      revocation_endpoint: `${api}/auth/revoke`,
      introspection_endpoint: `${api}/auth/introspect`,
      grant_types_supported: ['password', 'refresh_token', 'client_credentials'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
      // No authorization endpoint: this issuer grants tokens at the token endpoint only.
      response_types_supported: [],
      token_signing_alg_values_supported: [this.signingKeys.algorithm ?? 'HS256'],
    };
  }
}
