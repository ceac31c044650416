import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query, Req, Res, UseGuards, UsePipes, UseInterceptors } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '../../core/open-api.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { RequirePermission } from '../../access/guard/require-permission.decorator.js';
import { ListQueryDto } from '../../data/pagination/list-query.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { fabricValidationPipe } from '../../http/validation.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import type { Principal } from '../../core/principal.js';
import { ChangePasswordDto, CreateUserDto, ListUsersQueryDto, SessionListDto, UpdateUserDto, UserDto, UserListDto } from './dto/user.dto.js';
import { LimitsService } from '../../access/limits/limits.service.js';
import { normalizeUsername } from '../../core/identity-normalization.js';
import { UserManagementService } from './user-management.service.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';

@ApiTags('users')
@ApiFabricAuth()
@Controller('users')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class UsersController {
  constructor(
    private readonly users: UserManagementService,
    private readonly limits: LimitsService,
  ) {}

  @Get()
  @RequirePermission('users:list')
  @ApiOperation({
    summary: 'List users (users:list)',
    description: 'One page of users, filterable by a username/email prefix (`q`) and `is_active`, sorted by an allowlisted field. Never returns password hashes.',
  })
  @ApiOkResponse({ type: UserListDto })
  list(@Query() query: ListUsersQueryDto): Promise<UserListDto> {
    return this.users.list(query);
  }

  @Post()
  @RequirePermission('users:create')
  @ApiOperation({
    summary: 'Create a user (users:create); without a password the user gets an activation link',
    description:
      'Roles are checked against the grant ceiling: you can only give roles whose permissions you hold. The username and email are normalised (NFKC, lower case) and must be unused (409 otherwise).',
  })
  @ApiCreatedResponse({ type: UserDto })
  @ApiConflictResponse({ description: 'Username or email taken' })
  @ApiForbiddenResponse({ description: 'A role grants a permission you do not hold' })
  create(@Body() dto: CreateUserDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<UserDto> {
    return this.users.create(actor, dto, request);
  }

  @Get(':username')
  @ApiOperation({ summary: 'Read a user (self, or users:read)', description: 'Any principal may read its own account; reading another one needs `users:read`.' })
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse()
  get(@Param('username') username: string, @CurrentPrincipal() actor: Principal): Promise<UserDto> {
    return this.users.get(actor, username);
  }

  @Patch(':username')
  @RequirePermission('users:modify')
  @ApiOperation({
    summary: 'Update a user (users:modify)',
    description: "Changes email, full name or roles. Acting on another account needs every permission that account holds; role changes take effect on that user's next request.",
  })
  @ApiOkResponse({ type: UserDto })
  update(@Param('username') username: string, @Body() dto: UpdateUserDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<UserDto> {
    return this.users.update(actor, username, dto, request);
  }

  @Post(':username/deactivate')
  @HttpCode(HttpStatus.OK)
  @RequirePermission('users:deactivate')
  @ApiOperation({
    summary: 'Deactivate a user and revoke their sessions (users:deactivate)',
    description: "The user's tokens, cookies and API keys are refused from the next request. The last active system admin cannot be deactivated (409).",
  })
  @ApiOkResponse({ type: UserDto })
  deactivate(@Param('username') username: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<UserDto> {
    return this.users.setActive(actor, username, false, request);
  }

  @Post(':username/reactivate')
  @HttpCode(HttpStatus.OK)
  @RequirePermission('users:deactivate')
  @ApiOperation({ summary: 'Reactivate a user (users:deactivate)', description: 'The user may log in again; revoked sessions stay revoked.' })
  @ApiOkResponse({ type: UserDto })
  reactivate(@Param('username') username: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<UserDto> {
    return this.users.setActive(actor, username, true, request);
  }

  @Post(':username/email/verify')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Send an email-verification link through the notifier (self, or users:modify)',
    description:
      'The link proves the owner reads the address; confirming it (`POST /auth/email/verify`) sets `email_verified`. Earlier links die. Rate limited per account; the account ceiling applies.',
  })
  @ApiAcceptedResponse({ description: 'The link was handed to the notifier' })
  @ApiConflictResponse({ description: 'No email, already verified, or the account is deactivated' })
  async requestEmailVerification(
    @Param('username') username: string,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<{ detail: string }> {
    await this.limits.throttle(request, response, 'email_verify', normalizeUsername(username));
    await this.users.requestEmailVerification(actor, username, request);
    return { detail: 'A verification link has been sent' };
  }

  @Post(':username/unlock')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequirePermission('users:modify')
  @ApiOperation({
    summary: 'Clear a password-login lock (users:modify)',
    description: "Ends the lockouts counted for this account after repeated wrong passwords or second-factor codes, and its passkeys' locks from every address; audited.",
  })
  @ApiNoContentResponse()
  async unlock(@Param('username') username: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    await this.users.unlock(actor, username, request);
  }

  @Post(':username/activation')
  @HttpCode(HttpStatus.ACCEPTED)
  @RequirePermission('users:modify')
  @ApiOperation({
    summary: 'Send a new activation link to an account that has no password yet (users:modify)',
    description:
      'Ends any earlier activation link and sends a new one through the notifier. 409 when the account already has a password or is deactivated; the account ceiling applies.',
  })
  @ApiAcceptedResponse()
  @ApiConflictResponse({ description: 'Already activated, or deactivated' })
  async resendActivation(@Param('username') username: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    await this.users.resendActivation(actor, username, request);
  }

  @Post(':username/password')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Change a password (self with current_password, or users:modify); revokes the other sessions',
    description:
      'The new password must satisfy the password policy (length, at most 72 bytes, not a common or context password). The calling session is kept, every other one is revoked.',
  })
  @ApiNoContentResponse()
  async changePassword(@Param('username') username: string, @Body() dto: ChangePasswordDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    await this.users.changePassword(actor, username, dto, request);
  }

  @Get(':username/sessions')
  @ApiOperation({
    summary: 'List live sessions (self, or users:read)',
    description: 'Sessions neither revoked nor expired, with how each was opened (password or OIDC) and which one the calling credential uses.',
  })
  @ApiOkResponse({ type: SessionListDto })
  sessions(@Param('username') username: string, @Query() query: ListQueryDto, @CurrentPrincipal() actor: Principal): Promise<SessionListDto> {
    return this.users.listSessions(actor, username, query);
  }

  @Post(':username/sessions/revoke')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Revoke every session of the user (self, or users:modify)',
    description: 'Every access and refresh token of the user stops working on its next request.',
  })
  async revokeAll(@Param('username') username: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<{ revoked: number }> {
    return { revoked: await this.users.revokeAllSessions(actor, username, request) };
  }

  @Delete(':username/sessions/:sessionId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke one session (self, or users:modify)', description: "That session's access and refresh tokens stop working on their next request." })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async revokeOne(
    @Param('username') username: string,
    @Param('sessionId') sessionId: string,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<void> {
    await this.users.revokeSession(actor, username, sessionId, request);
  }
}
