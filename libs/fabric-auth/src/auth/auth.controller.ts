import { Body, Controller, Get, HttpCode, HttpStatus, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCookieAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiSecurity,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { cookieValue, type HttpRequestLike, isCrossSiteRequest, setResponseHeader } from '../common/request-info.js';
import { REFRESH_TOKEN_COOKIE } from '../fabric-auth.constants.js';
import { FabricGuard } from '../authz/fabric.guard.js';
import { PermissionRegistry } from '../authz/permission-registry.js';
import { Public } from '../authz/public.decorator.js';
import { CurrentPrincipal } from '../principal/current-principal.decorator.js';
import type { Principal } from '../principal/principal.js';
import { LocalAuthService, type TokenPair } from './local-auth.service.js';
import { OAuthError, OAuthErrorFilter } from './oauth-error.js';
import { SessionCookies } from './session-cookies.js';
import { parseTokenRequest, TokenRequestDto } from './token-request.js';

export class TokenResponseDto {
  @ApiProperty() access_token!: string;
  @ApiProperty({ example: 'bearer' }) token_type!: 'bearer';
  @ApiProperty({ description: 'Seconds until the access token expires' }) expires_in!: number;
  @ApiProperty() refresh_token!: string;
}

export class OAuthErrorDto {
  @ApiProperty({ enum: ['invalid_request', 'invalid_grant', 'unsupported_grant_type'] }) error!: string;
  @ApiProperty() error_description!: string;
}

export class PrincipalDto {
  @ApiProperty({ enum: ['user', 'service_account'] }) kind!: string;
  @ApiProperty() id!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ nullable: true, type: String }) email!: string | null;
  @ApiProperty({ type: [String] }) roles!: string[];
  @ApiProperty({ type: [String] }) permissions!: string[];
  @ApiProperty() is_system_admin!: boolean;
  @ApiProperty({ enum: ['jwt', 'api_key', 'cookie'] }) auth_method!: string;
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

@ApiTags('auth')
@Controller('auth')
@UseGuards(FabricGuard)
export class AuthController {
  constructor(
    private readonly auth: LocalAuthService,
    private readonly cookies: SessionCookies,
    private readonly registry: PermissionRegistry,
  ) {}

  @Post('token')
  @Public()
  @HttpCode(HttpStatus.OK)
  @UseFilters(OAuthErrorFilter)
  @ApiOperation({ summary: 'Log in (grant_type=password) or refresh (grant_type=refresh_token)' })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: TokenRequestDto })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiBadRequestResponse({ type: OAuthErrorDto, description: 'RFC 6749 §5.2 error' })
  async token(
    @Body() body: Record<string, unknown>,
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<TokenResponseDto> {
    setResponseHeader(response, 'Cache-Control', 'no-store');
    setResponseHeader(response, 'Pragma', 'no-cache');
    const grant = parseTokenRequest(body);
    let pair: TokenPair;
    let setCookies = grant.setCookies;
    if (grant.grantType === 'password') {
      // Login CSRF: a cookie login must not be triggered from another site.
      if (setCookies && isCrossSiteRequest(request)) throw new OAuthError('invalid_request', 'cross-site login refused', 403);
      pair = await this.auth.passwordGrant(grant.username, grant.password, request);
    } else {
      let refreshToken = grant.refreshToken;
      if (refreshToken === undefined) {
        refreshToken = cookieValue(request, REFRESH_TOKEN_COOKIE);
        if (refreshToken === undefined) throw new OAuthError('invalid_request', 'refresh_token is required');
        if (isCrossSiteRequest(request)) throw new OAuthError('invalid_request', 'cross-site refresh refused', 403);
        setCookies = true;
      }
      pair = await this.auth.refreshGrant(refreshToken, request);
    }
    if (setCookies) this.cookies.set(response, pair);
    return {
      access_token: pair.accessToken,
      token_type: 'bearer',
      expires_in: pair.expiresIn,
      refresh_token: pair.refreshToken,
    };
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke the current session and clear the session cookies' })
  @ApiBearerAuth()
  @ApiCookieAuth()
  @ApiNoContentResponse()
  @ApiUnauthorizedResponse()
  async logout(
    @CurrentPrincipal() principal: Principal,
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<void> {
    await this.auth.logout(principal, request);
    this.cookies.clear(response);
  }

  @Get('me')
  @ApiOperation({ summary: 'The calling principal' })
  @ApiBearerAuth()
  @ApiSecurity('api_key')
  @ApiCookieAuth()
  @ApiOkResponse({ type: PrincipalDto })
  @ApiUnauthorizedResponse()
  me(@CurrentPrincipal() principal: Principal): PrincipalDto {
    return principalToDto(principal, this.registry);
  }
}
