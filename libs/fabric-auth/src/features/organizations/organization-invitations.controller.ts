import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query, Req, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '../../core/open-api.js';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import type { Principal } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { ListQueryDto } from '../../data/pagination/list-query.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import { NoStore } from '../../http/no-store.decorator.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';
import { fabricValidationPipe } from '../../http/validation.js';
import { AcceptedInvitationDto, AcceptInvitationDto, CreatedInvitationDto, CreateInvitationDto, InvitationDto, InvitationListDto } from './dto/invitation.dto.js';
import { OrganizationStandings } from './organization-standings.js';
import { OrganizationInvitationsService } from './organization-invitations.service.js';
import { OrganizationsService } from './organizations.service.js';

@ApiTags('organizations')
@ApiFabricAuth()
@Controller('orgs')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class OrganizationInvitationsController {
  constructor(
    private readonly invitations: OrganizationInvitationsService,
    private readonly organizations: OrganizationsService,
    private readonly standings: OrganizationStandings,
  ) {}

  @Post('invitations/accept')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Accept an invitation (the signed-in user whose verified email it names)',
    description: 'Single use; 400 for a wrong, used or expired token; 403 for another or an unverified email.',
  })
  @ApiOkResponse({ type: AcceptedInvitationDto })
  async accept(@Body() dto: AcceptInvitationDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<AcceptedInvitationDto> {
    const { organization, roles } = await this.invitations.accept(actor, dto.token, request);
    return { organization: await this.organizations.view(organization), roles };
  }

  @Post(':org/invitations')
  @NoStore()
  @ApiOperation({
    summary: 'Invite someone by email (org:members:manage); the raw token is in this answer only',
    description: 'Also sent through the notifier. Roles within what you hold here; a new invitation replaces the pending one for the same address.',
  })
  @ApiCreatedResponse({ type: CreatedInvitationDto })
  async create(@Param('org') org: string, @Body() dto: CreateInvitationDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<CreatedInvitationDto> {
    return this.invitations.create(await this.standings.standingWithRow(actor, org, 'org:members:manage'), dto, request);
  }

  @Get(':org/invitations')
  @ApiOperation({ summary: "List an organization's invitations (org:members:manage)", description: 'Cursor-paged; never a token.' })
  @ApiOkResponse({ type: InvitationListDto })
  async list(@Param('org') org: string, @Query() query: ListQueryDto, @CurrentPrincipal() actor: Principal): Promise<InvitationListDto> {
    return this.invitations.list(await this.standings.standing(actor, org, 'org:members:manage'), query);
  }

  @Get(':org/invitations/:id')
  @ApiOperation({ summary: 'Read an invitation (org:members:manage)', description: 'Its address, roles and status; never its token.' })
  @ApiOkResponse({ type: InvitationDto })
  async get(@Param('org') org: string, @Param('id') id: string, @CurrentPrincipal() actor: Principal): Promise<InvitationDto> {
    return this.invitations.get(await this.standings.standing(actor, org, 'org:members:manage'), id);
  }

  @Delete(':org/invitations/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Withdraw an invitation (org:members:manage)', description: 'Its token stops working at once.' })
  @ApiNoContentResponse()
  async revoke(@Param('org') org: string, @Param('id') id: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    await this.invitations.revoke(await this.standings.standing(actor, org, 'org:members:manage'), id, request);
  }
}
