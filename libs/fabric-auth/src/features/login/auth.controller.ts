import { Body, Controller, Get, HttpCode, Inject, HttpStatus, Post, Req, Res, UseFilters, UseGuards, UsePipes, UseInterceptors } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '../../core/open-api.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import { cookieValue, type HttpRequestLike, isCrossSiteRequest, setResponseHeader } from '../../core/request-info.js';
import { REFRESH_TOKEN_COOKIE } from '../../core/fabric-auth.constants.js';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { PermissionRegistry } from '../../access/permissions/permission-registry.js';
import { Public } from '../../access/guard/public.decorator.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import type { Principal } from '../../core/principal.js';
import { fabricValidationPipe } from '../../http/validation.js';
import { DeviceTokens } from '../../access/limits/device-tokens.js';
import { LimitsService } from '../../access/limits/limits.service.js';
import { SignOutHooks } from '../../core/ports/sign-out-hook.js';
import { AccountRecoveryService } from './account-recovery.service.js';
import { AcceptedDto, ActivateDto, PasswordResetConfirmDto, PasswordResetRequestDto, VerifyEmailDto } from './dto/recovery.dto.js';
import { LocalAuthService, type TokenPair } from './local-auth.service.js';
import { OAuthError, OAuthErrorDto, OAuthErrorFilter } from '../../http/oauth-error.js';
import { SessionCookies } from '../../http/session-cookies.js';
import { basicCredentials, parseTokenRequest, type TokenRequest, TokenRequestDto } from './token-request.js';
import { OrganizationGrant } from './organization-grant.service.js';
import { ClientCredentialsService } from './client-credentials.service.js';
import { type IntrospectionAnswer, IssuedTokensService, parseTokenManagementRequest } from './issued-tokens.service.js';
import { FabricAuthenticator } from '../../access/guard/fabric-authenticator.js';
import { RequirePermission } from '../../access/guard/require-permission.decorator.js';
import { FabricAuthError } from '../../core/fabric-auth.error.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';
import { SecondFactor } from '../../core/ports/second-factor.js';
import { AllowDuringMfaEnrolment } from '../../access/guard/require-mfa.decorator.js';
import { FabricError, fabricError } from '../../core/fabric-error.js';

export class TokenResponseDto {
  @ApiProperty({ description: 'Signed JWT to send as Authorization: Bearer', example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzZjFjIn0.c2lnbmF0dXJl' })
  access_token!: string;
  @ApiPropertyOptional({ description: 'The policy (auth.mfa.required_for) demands a second factor: this session may only enrol one', example: true })
  mfa_enrollment_required?: boolean;
  @ApiProperty({ example: 'bearer', description: 'Always bearer' }) token_type!: 'bearer';
  @ApiProperty({ description: 'Seconds until the access token expires', example: 900 }) expires_in!: number;
  @ApiPropertyOptional({
    description: 'Single use: each refresh returns a new one, and reusing an old one revokes the session. Absent for client credentials',
    example: '7d4c2f0e-1b9a-4c3e-8f21-6a5d0b7e9c13.kQ3vN8xZ2mR5tW9yB1cF4hJ7lP0sD6gA.Xb2Yc4Zd',
  })
  refresh_token?: string;
  @ApiPropertyOptional({ description: 'Client credentials: the permissions granted, space-separated', example: 'reports:read' }) scope?: string;
  @ApiPropertyOptional({ description: 'grant_type=organization: the organization (slug) the session now acts in; the access token carries its id as `org`', example: 'acme' })
  organization?: string;
  @ApiPropertyOptional({
    description:
      'After a password login: send it back as `device_token` on later logins (browsers get the fabric_device cookie) to stay clear of locks set by attacks on the account',
    example: 'd1.3f1c2a9e.7b4d.1798000000.Xb2Yc4Zd',
  })
  device_token?: string;
}

export class TokenManagementRequestDto {
  @ApiProperty({ description: 'An access token or a refresh token', example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzZjFjIn0.c2lnbmF0dXJl' }) token!: string;
  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'], description: 'Where to look first', example: 'access_token' }) token_type_hint?: string;
}

export class PrincipalDto {
  @ApiProperty({ enum: ['user', 'service_account', 'external'], description: 'A person, a service account, or a principal of a trusted external issuer', example: 'user' })
  kind!: string;
  @ApiProperty({ description: 'User or service-account id (UUID)', example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' }) id!: string;
  @ApiProperty({ description: "Username, or the service account's name", example: 'alice' }) username!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Email address; null for a service account', example: 'alice@example.com' }) email!: string | null;
  @ApiProperty({ type: [String], description: 'Names of the roles held', example: ['viewer'] }) roles!: string[];
  @ApiProperty({
    type: [String],
    description: "Effective permissions, sorted (for an API key: its scopes within the owner's)",
    example: ['reports:read', 'users:list', 'users:read'],
  })
  permissions!: string[];
  @ApiProperty({ description: 'The system admin passes every permission check', example: false }) is_system_admin!: boolean;
  @ApiProperty({ enum: ['jwt', 'api_key', 'cookie'], description: 'The credential of this request', example: 'jwt' }) auth_method!: string;
}

/** The system admin passes every check, so it is shown holding every registered permission. */
export function principalToDto(principal: Principal, registry: PermissionRegistry): PrincipalDto {
  return {
    kind: principal.kind,
    id: principal.id,
    username: principal.username,
    email: principal.email,
    roles: [...principal.roles],
    permissions: principal.isSystemAdmin ? registry.all() : [...principal.permissions].sort(),
    is_system_admin: principal.isSystemAdmin,
    auth_method: principal.authMethod,
  };
}

/** A JSON body of known fields only. */
function passkeyBody(body: unknown, known: string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new OAuthError('invalid_request', 'expected a JSON body');
  for (const name of Object.keys(body)) {
    if (!known.includes(name)) throw new OAuthError('invalid_request', `unknown parameter: ${name.slice(0, 40)}`);
  }
  return body as Record<string, unknown>;
}

@ApiTags('auth')
@Controller('auth')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
export class AuthController {
  constructor(
    private readonly auth: LocalAuthService,
    private readonly cookies: SessionCookies,
    private readonly registry: PermissionRegistry,
    private readonly recovery: AccountRecoveryService,
    private readonly limits: LimitsService,
    private readonly issuedTokens: IssuedTokensService,
    private readonly authenticator: FabricAuthenticator,
    private readonly clientCredentials: ClientCredentialsService,
    private readonly devices: DeviceTokens,
    @Inject(SignOutHooks) private readonly signOutHooks: SignOutHooks,
    @Inject(SecondFactor) private readonly secondFactor: SecondFactor,
    private readonly organizationGrant: OrganizationGrant,
  ) {}

  @Post('token')
  @Public()
  @HttpCode(HttpStatus.OK)
  @UseFilters(OAuthErrorFilter)
  @ApiOperation({
    summary: 'Log in (grant_type=password), refresh (grant_type=refresh_token), or a service account token (grant_type=client_credentials)',
    description:
      'OAuth 2.0 token endpoint (RFC 6749), form-encoded or JSON. Answers an access token (JWT) and a rotating refresh token; with `set_cookies=true` also sets the HttpOnly session cookies and the CSRF cookie for browsers. A service account exchanges its client id and secret (client_credentials) for an access token. Errors use the RFC 6749 §5.2 shape; failed logins count towards the lockout and the per-address limit.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: TokenRequestDto })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiBadRequestResponse({ type: OAuthErrorDto, description: 'RFC 6749 §5.2 error' })
  @ApiTooManyRequestsResponse({ description: 'Rate limited; see Retry-After' })
  async token(@Body() body: Record<string, unknown> | undefined, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown): Promise<TokenResponseDto> {
    setResponseHeader(response, 'Cache-Control', 'no-store');
    setResponseHeader(response, 'Pragma', 'no-cache');
    await this.limits.throttle(request, response, 'token');
    const basic = body?.grant_type === 'client_credentials' ? basicCredentials(request.headers.authorization) : undefined;
    const grant = parseTokenRequest(body, basic);
    if (grant.grantType === 'client_credentials') return this.clientCredentialsGrant(grant, request, response);
    if (grant.grantType === 'organization') {
      if (grant.setCookies && isCrossSiteRequest(request)) throw new OAuthError('invalid_request', 'cross-site cookie session refused', 403);
      const switched = await this.organizationGrant.switchTo(grant.organization, request);
      if (grant.setCookies) this.cookies.setAccess(response, switched.accessToken, switched.expiresIn);
      return { access_token: switched.accessToken, token_type: 'bearer', expires_in: switched.expiresIn, organization: switched.organization.slug };
    }
    let setCookies = grant.setCookies;
    let refreshToken = grant.grantType === 'refresh_token' ? grant.refreshToken : undefined;
    if (grant.grantType === 'refresh_token' && refreshToken === undefined) {
      refreshToken = cookieValue(request, REFRESH_TOKEN_COOKIE);
      if (refreshToken === undefined) throw new OAuthError('invalid_request', 'refresh_token is required');
      setCookies = true;
    }
    // Login CSRF: nothing from another site may plant or renew a cookie session.
    if (setCookies && isCrossSiteRequest(request)) throw new OAuthError('invalid_request', 'cross-site cookie session refused', 403);
    let pair: TokenPair;
    switch (grant.grantType) {
      case 'password':
        // The password check counts failures per account, client address and device itself (PasswordAttempts).
        pair = await this.auth.passwordGrant(grant.username, grant.password, request, response, grant.deviceToken);
        break;
      case 'mfa_otp':
        pair = await this.countedAtAddress(request, response, () => this.secondFactor.completeWithCode('totp', grant.mfaToken, grant.otp, request));
        break;
      case 'mfa_recovery_code':
        pair = await this.countedAtAddress(request, response, () => this.secondFactor.completeWithCode('recovery_code', grant.mfaToken, grant.recoveryCode, request));
        break;
      default:
        pair = await this.auth.refreshGrant(refreshToken!, request);
    }
    return this.tokenResponse(pair, setCookies, response);
  }

  /** The answer of every grant that ends in a session (password, MFA step, refresh, passkey). */
  tokenResponse(pair: TokenPair, setCookies: boolean, response: unknown): TokenResponseDto {
    if (setCookies) this.cookies.set(response, pair);
    if (setCookies && pair.deviceToken) this.devices.setCookie(response, pair.deviceToken);
    return {
      access_token: pair.accessToken,
      token_type: 'bearer',
      expires_in: pair.expiresIn,
      refresh_token: pair.refreshToken,
      ...(pair.deviceToken ? { device_token: pair.deviceToken } : {}),
      ...(pair.mfaEnrollmentRequired && { mfa_enrollment_required: true }),
    };
  }

  /** A secret checked at the token endpoint: the address's failure limit applies before, and a refusal counts after. */
  async countedAtAddress(request: HttpRequestLike, response: unknown, grant: () => Promise<TokenPair>): Promise<TokenPair> {
    await this.limits.requireLoginAllowedFrom(request, response);
    try {
      return await grant();
    } catch (error) {
      if (error instanceof OAuthError && error.code === 'invalid_grant') await this.limits.registerLoginFailureFrom(request);
      throw error;
    }
  }

  /** A service account's key is a secret like a password: the same per-address failure limits apply. */
  private async clientCredentialsGrant(grant: Extract<TokenRequest, { grantType: 'client_credentials' }>, request: HttpRequestLike, response: unknown): Promise<TokenResponseDto> {
    await this.limits.requireLoginAllowedFrom(request, response);
    try {
      const issued = await this.clientCredentials.grant(grant.clientId, grant.clientSecret, grant.scope, request);
      return { access_token: issued.accessToken, token_type: 'bearer', expires_in: issued.expiresIn, scope: issued.scope.join(' ') };
    } catch (error) {
      if (error instanceof OAuthError && error.code === 'invalid_client') await this.limits.registerLoginFailureFrom(request);
      throw error;
    }
  }

  @Post('passkey/begin')
  @Public()
  @HttpCode(HttpStatus.OK)
  @UseFilters(OAuthErrorFilter)
  @ApiOperation({
    summary: 'Start a passkey sign-in: with mfa_token, the second step of a password login; without, a passwordless sign-in',
    description: 'Answers `{options}` (PublicKeyCredentialRequestOptionsJSON) for `navigator.credentials.get()`; the challenge is single-use and lives 300 s.',
  })
  @ApiBody({ schema: { type: 'object', properties: { mfa_token: { type: 'string' } } } })
  @ApiOkResponse({ description: '`{options}`' })
  @ApiBadRequestResponse({ type: OAuthErrorDto })
  @ApiNotFoundResponse({
    description: 'Passkeys are off on this server: the default derived from `auth.public_base_url` is not an origin browsers run WebAuthn on (the startup warning names the fix)',
  })
  async passkeyBegin(@Body() body: unknown, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown): Promise<{ options: unknown }> {
    setResponseHeader(response, 'Cache-Control', 'no-store');
    await this.limits.throttle(request, response, 'token');
    const params = passkeyBody(body, ['mfa_token']);
    if (params.mfa_token !== undefined && typeof params.mfa_token !== 'string') throw new OAuthError('invalid_request', 'mfa_token must be a string');
    return { options: await this.secondFactor.passkeyOptions(params.mfa_token) };
  }

  @Post('passkey/finish')
  @Public()
  @HttpCode(HttpStatus.OK)
  @UseFilters(OAuthErrorFilter)
  @ApiOperation({
    summary: 'Finish a passkey sign-in with the assertion (`navigator.credentials.get()` as JSON); answers like the token endpoint',
    description:
      'Verifies the assertion against the single-use challenge (origin, RP ID, user verification for passwordless, signature counter) and answers the token pair; `set_cookies=true` sets the session cookies. A refused assertion counts against that passkey from this client address only (never the account).',
  })
  @ApiBody({ schema: { type: 'object', required: ['credential'], properties: { credential: { type: 'object' }, set_cookies: { type: 'boolean' } } } })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiBadRequestResponse({ type: OAuthErrorDto })
  async passkeyFinish(@Body() body: unknown, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown): Promise<TokenResponseDto> {
    setResponseHeader(response, 'Cache-Control', 'no-store');
    setResponseHeader(response, 'Pragma', 'no-cache');
    await this.limits.throttle(request, response, 'token');
    const params = passkeyBody(body, ['credential', 'set_cookies']);
    if (params.credential === undefined) throw new OAuthError('invalid_request', 'credential is required');
    const setCookies = params.set_cookies === true || params.set_cookies === 'true';
    if (params.set_cookies !== undefined && !setCookies && params.set_cookies !== false && params.set_cookies !== 'false') {
      throw new OAuthError('invalid_request', 'set_cookies must be true or false');
    }
    if (setCookies && isCrossSiteRequest(request)) throw new OAuthError('invalid_request', 'cross-site cookie session refused', 403);
    let pair: TokenPair;
    try {
      pair = await this.countedAtAddress(request, response, () => this.secondFactor.passkeySignIn(params.credential, request));
    } catch (error) {
      // A malformed credential is the client's mistake, answered in the endpoint's own shape.
      if (error instanceof FabricError && !(error instanceof OAuthError) && error.getStatus() === 400) throw new OAuthError('invalid_request', error.message);
      throw error;
    }
    return this.tokenResponse(pair, setCookies, response);
  }

  @Post('revoke')
  @Public()
  @HttpCode(HttpStatus.OK)
  @UseFilters(OAuthErrorFilter)
  @ApiOperation({
    summary: 'RFC 7009: revoke an access or refresh token (its whole session)',
    description: 'Revokes only a token of the caller (the credential on the request), or, with no credential, of whoever holds the token. 200 whatever the token was.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: TokenManagementRequestDto })
  @ApiOkResponse({ description: 'Empty body' })
  @ApiBadRequestResponse({ type: OAuthErrorDto })
  async revoke(@Body() body: unknown, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown): Promise<Record<string, never>> {
    setResponseHeader(response, 'Cache-Control', 'no-store');
    await this.limits.throttle(request, response, 'token');
    const parsed = parseTokenManagementRequest(body);
    await this.issuedTokens.revoke(parsed, await this.callerOf(request), request);
    return {};
  }

  @Post('introspect')
  @HttpCode(HttpStatus.OK)
  @RequirePermission('tokens:introspect')
  @ApiOperation({
    summary: 'RFC 7662: is this token active, and whose is it (needs tokens:introspect)',
    description: 'For resource servers holding tokens:introspect. Answers `{active: false}` for a token that is revoked, expired, unknown or malformed, without saying which.',
  })
  @ApiFabricAuth()
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: TokenManagementRequestDto })
  @ApiOkResponse({ description: '`{active: false}` for anything revoked, expired or unknown; else active, sub, scope, exp, iat, token_type, …' })
  @ApiUnauthorizedResponse()
  async introspect(@Body() body: unknown, @Res({ passthrough: true }) response: unknown): Promise<IntrospectionAnswer> {
    setResponseHeader(response, 'Cache-Control', 'no-store');
    let parsed;
    try {
      parsed = parseTokenManagementRequest(body);
    } catch (error) {
      throw error instanceof OAuthError ? fabricError('invalid_request', error.description) : error;
    }
    return this.issuedTokens.introspect(parsed);
  }

  /** The principal of the request's own credential, if it carries one; an invalid one is a 401 `invalid_client`. */
  private async callerOf(request: HttpRequestLike): Promise<Principal | undefined> {
    try {
      return await this.authenticator.authenticate(request);
    } catch (error) {
      if (!(error instanceof FabricAuthError)) throw error;
      if (error.failure === 'missing') return undefined;
      if (error.failure === 'throttled') throw new OAuthError('temporarily_unavailable', 'too many failures', 429);
      throw new OAuthError('invalid_client', 'the credential on the request is not valid', 401);
    }
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @AllowDuringMfaEnrolment()
  @ApiOperation({
    summary: 'Revoke the current session and clear the session cookies',
    description: 'The access and refresh tokens of this session stop working on their next request. With the session cookie, the X-CSRF-Token header is required.',
  })
  @ApiFabricAuth({ apiKey: false })
  @ApiNoContentResponse()
  @ApiUnauthorizedResponse()
  async logout(@CurrentPrincipal() principal: Principal, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown): Promise<void> {
    await this.auth.logout(principal, request);
    this.cookies.clear(response);
    // Features with more to end than this session hook in (OIDC: the provider's session, for GET /auth/oidc/logout).
    if (principal.sessionId) for (const hook of this.signOutHooks) await hook.afterSignOut({ principal, sessionId: principal.sessionId, request, response });
  }

  @Post('activate')
  @Public()
  @HttpCode(HttpStatus.NO_CONTENT)
  @UsePipes(fabricValidationPipe())
  @ApiOperation({
    summary: 'Set the first password with the token from the activation link',
    description: 'The token is single use and expires; the password must satisfy the password policy.',
  })
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ description: 'Invalid, used or expired token, or a password the policy refuses' })
  async activate(@Body() dto: ActivateDto, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown): Promise<void> {
    await this.limits.throttle(request, response, 'activate');
    await this.recovery.activate(dto.token, dto.password, request);
  }

  @Post('email/verify')
  @Public()
  @HttpCode(HttpStatus.NO_CONTENT)
  @UsePipes(fabricValidationPipe())
  @ApiOperation({
    summary: 'Mark an email verified with the token from the verification link',
    description: 'The token is single use and lives `activation_expire`; it dies when the email changes. 204; 400 for an unknown, used or expired token.',
  })
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ description: 'Invalid, used or expired token (an email change voids it)' })
  async verifyEmail(@Body() dto: VerifyEmailDto, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown): Promise<void> {
    await this.limits.throttle(request, response, 'email_verify_confirm');
    await this.recovery.verifyEmail(dto.token, request);
  }

  @Post('password-reset')
  @Public()
  @HttpCode(HttpStatus.ACCEPTED)
  @UsePipes(fabricValidationPipe())
  @ApiOperation({
    summary: 'Request a reset link; the same answer whether or not the account exists',
    description:
      'Give a username or an email. The link goes through the configured notifier; the answer never tells whether an account was found. Rate limited per address and per target.',
  })
  @ApiAcceptedResponse({ type: AcceptedDto })
  async requestPasswordReset(@Body() dto: PasswordResetRequestDto, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown): Promise<AcceptedDto> {
    if ((dto.email === undefined) === (dto.username === undefined)) throw fabricError('invalid_request', 'give exactly one of email and username');
    const target = (dto.email ?? dto.username)!.normalize('NFKC').trim().toLowerCase();
    await this.limits.throttle(request, response, 'password_reset', target);
    await this.recovery.requestReset(dto, request);
    return { detail: 'If the account exists, a reset link has been sent' };
  }

  @Post('password-reset/confirm')
  @Public()
  @HttpCode(HttpStatus.NO_CONTENT)
  @UsePipes(fabricValidationPipe())
  @ApiOperation({
    summary: 'Set a new password with the token from the reset link; ends every session',
    description: 'The token is single use and expires; the password must satisfy the password policy. Every session of the user is revoked and any login lock cleared.',
  })
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ description: 'Invalid, used or expired token, or a password the policy refuses' })
  async confirmPasswordReset(@Body() dto: PasswordResetConfirmDto, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown): Promise<void> {
    await this.limits.throttle(request, response, 'password_reset_confirm');
    await this.recovery.confirmReset(dto.token, dto.new_password, request);
  }

  @Get('me')
  @AllowDuringMfaEnrolment()
  @ApiOperation({
    summary: 'The calling principal',
    description:
      "Who the credential belongs to: user or service account, roles, effective permissions (for an API key, its scopes intersected with the owner's permissions) and how it authenticated.",
  })
  @ApiFabricAuth()
  @ApiOkResponse({ type: PrincipalDto })
  @ApiUnauthorizedResponse()
  me(@CurrentPrincipal() principal: Principal): PrincipalDto {
    return principalToDto(principal, this.registry);
  }
}
