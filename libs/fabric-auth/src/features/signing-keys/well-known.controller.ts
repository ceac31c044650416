import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '../../core/open-api.js';
import { Public } from '../../access/guard/public.decorator.js';
import { type IssuerMetadata, IssuerMetadataService } from '../../access/signing/issuer-metadata.js';
import type { PublicJwk } from '../../core/jws.js';
import { SigningKeysService } from '../../access/signing/signing-keys.service.js';

/** Served at the host's root (`/.well-known/…`, RFC 8615), whatever the route prefix. */
@ApiTags('issuer')
@Controller('.well-known')
@Public()
export class WellKnownController {
  constructor(
    private readonly signingKeys: SigningKeysService,
    private readonly issuer: IssuerMetadataService,
  ) {}

  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=60')
  @ApiOperation({
    summary: 'Public keys that verify our access tokens (empty with HS256)',
    description:
      'A JWK Set (RFC 7517) with the public part of every key that signs or still verifies access tokens, each with its `kid`; other services verify our tokens with it. Never a private part.',
  })
  @ApiOkResponse({ description: 'RFC 7517 JWK Set' })
  jwks(): { keys: PublicJwk[] } {
    return this.signingKeys.jwks();
  }

  @Get('openid-configuration')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    summary: 'Issuer metadata (same document as oauth-authorization-server)',
    description: 'OpenID-style discovery document: issuer, jwks_uri, token_endpoint, grant_types_supported, revocation_endpoint and introspection_endpoint.',
  })
  openidConfiguration(): IssuerMetadata {
    return this.issuer.metadata();
  }

  @Get('oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'RFC 8414 authorization server metadata', description: 'The issuer description under its RFC 8414 name; same content as openid-configuration.' })
  authorizationServer(): IssuerMetadata {
    return this.issuer.metadata();
  }
}
