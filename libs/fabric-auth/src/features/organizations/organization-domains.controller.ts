import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Req, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '../../core/open-api.js';
import type { Principal } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';
import { fabricValidationPipe } from '../../http/validation.js';
import { ClaimDomainDto, OrganizationDomainClaimDto, OrganizationDomainListDto } from './dto/organization-domain.dto.js';
import { OrganizationDomainsService } from './organization-domains.service.js';
import { OrganizationStandings } from './organization-standings.js';

const DOMAIN_PARAM = { name: 'domain', description: 'A domain the organization claims (any case; Unicode or punycode)' } as const;

/**
 * An organization's email domains (SPEC §15, §16): what `auto_join_domains` and home-realm
 * discovery (`POST /auth/sso/discover`) route by, once verified. `org:manage` — the
 * organization's own settings — or a platform admin's `orgs:manage`.
 */
@ApiTags('organizations')
@ApiFabricAuth()
@Controller('orgs')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class OrganizationDomainsController {
  constructor(
    private readonly domains: OrganizationDomainsService,
    private readonly standings: OrganizationStandings,
  ) {}

  @Get(':org/domains')
  @ApiOperation({ summary: "List an organization's domain claims (org:manage)", description: 'Each with its state and, while unverified, the TXT record that proves it.' })
  @ApiOkResponse({ type: OrganizationDomainListDto })
  async list(@Param('org') org: string, @CurrentPrincipal() actor: Principal): Promise<OrganizationDomainListDto> {
    return this.domains.list(await this.standings.standing(actor, org, 'org:manage'));
  }

  @Post(':org/domains')
  @ApiOperation({
    summary: 'Claim an email domain (org:manage)',
    description:
      'Unverified until a TXT record at `_fabric-auth.<domain>` holds `fabric-auth-domain-verification=<token>` (then `POST …/verify`), or a platform admin confirms it. Other organizations may claim the same domain; only one verifies it.',
  })
  @ApiCreatedResponse({ type: OrganizationDomainClaimDto })
  @ApiConflictResponse({ description: 'The organization already claims it' })
  async claim(@Param('org') org: string, @Body() dto: ClaimDomainDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<OrganizationDomainClaimDto> {
    return this.domains.claim(await this.standings.standing(actor, org, 'org:manage'), dto.domain, request);
  }

  @Get(':org/domains/:domain')
  @ApiOperation({ summary: 'Read a domain claim (org:manage)' })
  @ApiParam(DOMAIN_PARAM)
  @ApiOkResponse({ type: OrganizationDomainClaimDto })
  @ApiNotFoundResponse({ description: 'The organization claims no such domain' })
  async get(@Param('org') org: string, @Param('domain') domain: string, @CurrentPrincipal() actor: Principal): Promise<OrganizationDomainClaimDto> {
    return this.domains.get(await this.standings.standing(actor, org, 'org:manage'), domain);
  }

  @Post(':org/domains/:domain/verify')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Verify a claim by its DNS TXT record (org:manage)',
    description: 'Reads the TXT records at `_fabric-auth.<domain>` now (at most 5 s); one must equal the claim’s `record_value`. Answers what is missing otherwise.',
  })
  @ApiParam(DOMAIN_PARAM)
  @ApiOkResponse({ type: OrganizationDomainClaimDto, description: 'Verified (or it already was)' })
  @ApiBadRequestResponse({ description: '`domain_not_verified`: no record there, or none holding the token (the message says which)' })
  @ApiConflictResponse({ description: '`domain_taken`: another organization verified the domain' })
  @ApiServiceUnavailableResponse({ description: 'The DNS lookup failed or timed out; retry' })
  async verify(
    @Param('org') org: string,
    @Param('domain') domain: string,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<OrganizationDomainClaimDto> {
    return this.domains.verify(await this.standings.standing(actor, org, 'org:manage'), domain, request);
  }

  @Post(':org/domains/:domain/confirm')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Confirm a claim without DNS (platform admins: orgs:manage)', description: 'An admin-confirmed claim, audited as the platform admin’s.' })
  @ApiParam(DOMAIN_PARAM)
  @ApiOkResponse({ type: OrganizationDomainClaimDto })
  @ApiConflictResponse({ description: '`domain_taken`: another organization verified the domain' })
  async confirm(
    @Param('org') org: string,
    @Param('domain') domain: string,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<OrganizationDomainClaimDto> {
    return this.domains.confirm(await this.standings.standing(actor, org, 'org:manage'), domain, request);
  }

  @Delete(':org/domains/:domain')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Give up a domain claim (org:manage)', description: 'Verified or not: joining by that domain and SSO discovery stop at once.' })
  @ApiParam(DOMAIN_PARAM)
  @ApiNoContentResponse()
  async remove(@Param('org') org: string, @Param('domain') domain: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    await this.domains.remove(await this.standings.standing(actor, org, 'org:manage'), domain, request);
  }
}
