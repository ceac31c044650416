import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Req, Res, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '../../core/open-api.js';
import { AccountCeiling, isSelf } from '../../access/accounts/account-ceiling.service.js';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { AllowDuringMfaEnrolment } from '../../access/guard/require-mfa.decorator.js';
import { type HttpRequestLike, setResponseHeader } from '../../core/request-info.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';
import { fabricValidationPipe } from '../../http/validation.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import { type Principal, principalHasPermission } from '../../core/principal.js';
import type { UserEntity } from '../../schema/entities/user.entity.js';
import { UserLookup } from '../../access/accounts/user-lookup.js';
import { FactorProofDto, PasskeyRegisterDto, PasskeyRenameDto, RecoveryCodesDto, TotpConfirmDto, TotpEnrolmentDto } from './dto/mfa.dto.js';
import { type MfaStateDto, MfaService } from './mfa.service.js';
import { PasskeysService } from './passkeys.service.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import { FabricError, fabricError } from '../../core/fabric-error.js';

/**
 * A user's second factors. Enrolment is the account owner's alone (never an API key: it is
 * never "self"); reading is self or `users:read`; an admin resets every factor of a user
 * under the account ceiling. Answers that carry a secret are `no-store`.
 */
@ApiTags('mfa')
@ApiFabricAuth({ apiKey: false })
@Controller('users')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class MfaController {
  constructor(
    private readonly users: UserLookup,
    private readonly mfa: MfaService,
    private readonly passkeys: PasskeysService,
    private readonly ceiling: AccountCeiling,
  ) {}

  /** The user in the path, which must be the caller's own account (through a session). */
  private async own(actor: Principal, username: string): Promise<UserEntity> {
    const user = await this.users.target(username, actor, 'users:modify');
    if (!isSelf(actor, { kind: 'user', id: user.id })) throw fabricError('permission_denied', 'Only the account owner may change their own factors');
    return user;
  }

  @Get(':username/mfa')
  @AllowDuringMfaEnrolment()
  @ApiOperation({
    summary: 'Second factors of a user (self, or users:read): what is enrolled, never a secret',
    description: 'TOTP (confirmed or pending), passkeys (name, created, last used) and the number of unused recovery codes.',
  })
  @ApiOkResponse({ description: '{factors, totp, passkeys, recovery_codes: {remaining}, required}' })
  async state(@Param('username') username: string, @CurrentPrincipal() actor: Principal): Promise<MfaStateDto> {
    return this.mfa.state(await this.readable(actor, username));
  }

  /** Self, or users:read; a session limited to enrolment sees its own account only. */
  private async readable(actor: Principal, username: string): Promise<UserEntity> {
    if (!actor.restriction) return this.users.target(username, actor, 'users:read');
    // A limited session holds no permission, so any other account is refused the same way
    // (missing or not): the answer tells the client what to do and tells it nothing else.
    const user = await this.users.target(username, actor, 'users:read').catch((error: unknown) => {
      if (error instanceof FabricError && (error.getStatus() === 403 || error.getStatus() === 404)) return null;
      throw error;
    });
    if (!user || !isSelf(actor, { kind: 'user', id: user.id })) {
      throw fabricError('mfa_enrollment_required', 'Enrol a second factor before using this session for anything else');
    }
    return user;
  }

  @Post(':username/mfa/totp')
  @AllowDuringMfaEnrolment()
  @ApiOperation({
    summary: 'Start a TOTP enrolment (self): a secret, its otpauth:// URI and a QR code, shown once',
    description:
      'The secret is stored sealed (AES-256-GCM) and shown only in this answer; the enrolment is pending until confirmed with a code. An account that already has a factor must prove one (otp, recovery_code, or a recent second-factor session): a stolen password-only session cannot add its own.',
  })
  @ApiCreatedResponse({ type: TotpEnrolmentDto })
  @ApiConflictResponse({ description: 'TOTP already enabled' })
  async startTotp(
    @Param('username') username: string,
    @Body() dto: FactorProofDto,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<TotpEnrolmentDto> {
    setResponseHeader(response, 'Cache-Control', 'no-store');
    const user = await this.own(actor, username);
    if ((await this.mfa.loginFactors(user.id)).includes('totp')) throw fabricError('factor_already_enrolled', 'TOTP is already enabled; remove it before enrolling a new secret');
    await this.mfa.requireCurrentFactor(actor, user, dto, request);
    return this.mfa.startTotp(actor, user, request);
  }

  @Post(':username/mfa/totp/confirm')
  @HttpCode(HttpStatus.OK)
  @AllowDuringMfaEnrolment()
  @ApiOperation({
    summary: 'Activate the TOTP enrolment with a code (self); the first factor also answers ten recovery codes, once',
    description: 'The code must be the current one (±1 step of 30 s) and is then spent. Wrong codes count like wrong passwords.',
  })
  @ApiOkResponse({ description: '{enabled: true, recovery_codes?: string[]}' })
  @ApiBadRequestResponse({ description: 'Wrong code (counted like a wrong password), or no enrolment in progress' })
  async confirmTotp(
    @Param('username') username: string,
    @Body() dto: TotpConfirmDto,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<{ enabled: true; recovery_codes?: string[] }> {
    setResponseHeader(response, 'Cache-Control', 'no-store');
    return this.mfa.confirmTotp(actor, await this.own(actor, username), dto.code, request);
  }

  @Delete(':username/mfa/totp')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Remove TOTP (self, with a current factor: otp, recovery_code, or a session that used a second factor in the last `auth.mfa.step_up_seconds`, 15 minutes by default)',
    description: 'Audited; with no factor left, password logins no longer ask for a second step.',
  })
  @ApiNoContentResponse()
  @ApiForbiddenResponse({ description: '`mfa_required`: no current factor given' })
  async removeTotp(@Param('username') username: string, @Body() dto: FactorProofDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    await this.mfa.removeTotp(actor, await this.own(actor, username), dto, request);
  }

  @Post(':username/mfa/recovery-codes')
  @ApiOperation({ summary: 'Ten new recovery codes, the old ones dead (self, with a current factor)', description: 'Shown once, stored as hashes; each code works once.' })
  @ApiCreatedResponse({ type: RecoveryCodesDto })
  async regenerate(
    @Param('username') username: string,
    @Body() dto: FactorProofDto,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<RecoveryCodesDto> {
    setResponseHeader(response, 'Cache-Control', 'no-store');
    return this.mfa.regenerateRecoveryCodes(actor, await this.own(actor, username), dto, request);
  }

  @Post(':username/mfa/passkeys/options')
  @HttpCode(HttpStatus.OK)
  @AllowDuringMfaEnrolment()
  @ApiOperation({
    summary: 'Options for `navigator.credentials.create()` (self); the challenge is single-use and lives 300 s',
    description:
      "Relying party from `auth.webauthn` (rp_id, rp_name; unset, derived from `auth.public_base_url`, else localhost and the port the server listens on); the user's existing passkeys are excluded. An account that already has a factor must prove one first (otp, recovery_code, or a recent second-factor session).",
  })
  @ApiOkResponse({ description: 'PublicKeyCredentialCreationOptionsJSON' })
  @ApiNotFoundResponse({
    description: 'Passkeys are off on this server: the default derived from `auth.public_base_url` is not an origin browsers run WebAuthn on (the startup warning names the fix)',
  })
  async passkeyOptions(
    @Param('username') username: string,
    @Body() dto: FactorProofDto,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<unknown> {
    setResponseHeader(response, 'Cache-Control', 'no-store');
    const user = await this.own(actor, username);
    await this.mfa.requireCurrentFactor(actor, user, dto, request);
    return this.passkeys.registrationOptions(user);
  }

  @Post(':username/mfa/passkeys')
  @AllowDuringMfaEnrolment()
  @ApiOperation({
    summary: 'Register a passkey (self) with the result of `navigator.credentials.create()`; the first factor also answers recovery codes, once',
    description: 'Checks the challenge, origin and RP ID; stores the public key and signature counter. Audited.',
  })
  @ApiCreatedResponse({ description: '{id, name, recovery_codes?}' })
  @ApiBadRequestResponse({ description: 'Refused: wrong origin or RP ID, unknown or used challenge, bad attestation' })
  async registerPasskey(
    @Param('username') username: string,
    @Body() dto: PasskeyRegisterDto,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<{ id: string; name: string; recovery_codes?: string[] }> {
    setResponseHeader(response, 'Cache-Control', 'no-store');
    return this.passkeys.register(actor, await this.own(actor, username), dto.name, dto.credential, request);
  }

  @Get(':username/mfa/passkeys')
  @ApiOperation({ summary: 'A user’s passkeys (self, or users:read)', description: 'Name, creation and last use of each passkey; never key material.' })
  async listPasskeys(@Param('username') username: string, @CurrentPrincipal() actor: Principal): Promise<{ items: MfaStateDto['passkeys'] }> {
    return { items: (await this.mfa.state(await this.readable(actor, username))).passkeys };
  }

  @Patch(':username/mfa/passkeys/:passkeyId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Rename a passkey (self)', description: 'Only the label changes.' })
  @ApiNoContentResponse()
  async renamePasskey(
    @Param('username') username: string,
    @Param('passkeyId') passkeyId: string,
    @Body() dto: PasskeyRenameDto,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<void> {
    await this.passkeys.rename(actor, await this.own(actor, username), passkeyId, dto.name, request);
  }

  @Delete(':username/mfa/passkeys/:passkeyId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Remove a passkey (self, with a current factor)', description: 'It signs nobody in from then on. Audited.' })
  @ApiNoContentResponse()
  async removePasskey(
    @Param('username') username: string,
    @Param('passkeyId') passkeyId: string,
    @Body() dto: FactorProofDto,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<void> {
    await this.passkeys.remove(actor, await this.own(actor, username), passkeyId, dto, request);
  }

  @Delete(':username/mfa')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      'Reset every factor of a user: an admin (users:modify, under the account ceiling, from a session that used their own second factor in the last `auth.mfa.step_up_seconds`) for a user who lost them, or the user with a current factor',
    description:
      'Removes TOTP, passkeys and recovery codes; the user signs in with the password alone and may enrol again. Never with an API key (403); a session that has not used a second factor recently gets 403 `mfa_required`. Audited.',
  })
  @ApiOkResponse({ description: '{removed: N}' })
  @ApiForbiddenResponse({ description: 'An API key; or `mfa_required`: no recent second factor of the caller' })
  async reset(
    @Param('username') username: string,
    @Body() dto: FactorProofDto,
    @CurrentPrincipal() actor: Principal,
    @Req() request: HttpRequestLike,
  ): Promise<{ removed: number }> {
    // Permission before lookup: without it, an unknown and an existing name answer alike.
    const user = await this.users.target(username, actor, 'users:modify');
    if (isSelf(actor, { kind: 'user', id: user.id })) {
      await this.mfa.requireCurrentFactor(actor, user, dto, request);
      return this.mfa.reset(actor, user, 'self', request);
    }
    if (!principalHasPermission(actor, 'users:modify')) throw fabricError('permission_denied', 'Missing permission: users:modify');
    await this.ceiling.assertMayActOn(actor, { kind: 'user', id: user.id, isSystemAdmin: user.isSystemAdmin });
    // An API key — the admin's, or the user's own, which is never "self" — strips nobody's factors.
    await this.mfa.requireSteppedUp(actor);
    return this.mfa.reset(actor, user, 'admin', request);
  }
}
