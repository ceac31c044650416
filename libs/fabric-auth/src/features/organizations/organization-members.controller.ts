import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query, Req, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '../../core/open-api.js';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import type { Principal } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { ListQueryDto } from '../../data/pagination/list-query.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';
import { fabricValidationPipe } from '../../http/validation.js';
import { AddMemberDto, MemberDto, MemberListDto, UpdateMemberDto } from './dto/member.dto.js';
import { OrganizationStandings } from './organization-standings.js';
import { OrganizationMembersService } from './organization-members.service.js';

@ApiTags('organizations')
@ApiFabricAuth()
@Controller('orgs')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class OrganizationMembersController {
  constructor(
    private readonly members: OrganizationMembersService,
    private readonly standings: OrganizationStandings,
  ) {}

  @Get(':org/members')
  @ApiOperation({ summary: "List an organization's members (members)", description: 'Cursor-paged, in joining order; emails for holders of org:members:manage.' })
  @ApiOkResponse({ type: MemberListDto })
  async list(@Param('org') org: string, @Query() query: ListQueryDto, @CurrentPrincipal() actor: Principal): Promise<MemberListDto> {
    return this.members.list(await this.standings.standing(actor, org, 'member'), query);
  }

  @Get(':org/members/:username')
  @ApiOperation({ summary: 'Read a member (members)', description: 'Their org roles and when they joined.' })
  @ApiOkResponse({ type: MemberDto })
  async get(@Param('org') org: string, @Param('username') username: string, @CurrentPrincipal() actor: Principal): Promise<MemberDto> {
    return this.members.get(await this.standings.standing(actor, org, 'member'), username);
  }

  @Post(':org/members')
  @ApiOperation({
    summary: 'Add an existing user (org:members:manage)',
    description: 'With org roles each within what you hold in this organization (only an owner gives `owner`); default `member`.',
  })
  @ApiCreatedResponse({ type: MemberDto })
  async add(@Param('org') org: string, @Body() dto: AddMemberDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<MemberDto> {
    return this.members.add(await this.standings.standing(actor, org, 'org:members:manage'), dto, request);
  }

  @Patch(':org/members/:username')
  @ApiOperation({
    summary: "Replace a member's org roles (org:members:manage)",
    description: 'What you add or take away must be within what you hold here; the last owner keeps `owner` (409).',
  })
  @ApiOkResponse({ type: MemberDto })
  async update(
    @Param('org') org: string,
    @Param('username') username: string,
    @Body() dto: UpdateMemberDto,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<MemberDto> {
    return this.members.changeRoles(await this.standings.standing(actor, org, 'org:members:manage'), username, dto.roles, request);
  }

  @Delete(':org/members/:username')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Remove a member (org:members:manage), or leave (yourself)',
    description: 'Not a member holding more than you here; never the last owner (409).',
  })
  @ApiNoContentResponse()
  async remove(@Param('org') org: string, @Param('username') username: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    await this.members.remove(await this.standings.standing(actor, org, 'member'), username, request);
  }
}
