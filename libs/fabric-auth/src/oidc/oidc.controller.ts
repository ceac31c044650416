import { Controller, Get, HttpStatus, Param, Query, Redirect, Req, Res, UseInterceptors } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiFoundResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { Public } from '../authz/public.decorator.js';
import { type HttpRequestLike, setResponseHeader } from '../common/request-info.js';
import { DEFAULT_OIDC_PROVIDER } from '../fabric-auth.options.js';
import { OidcLoginService } from './oidc-login.service.js';
import { StorageErrorsInterceptor } from '../common/storage-errors.interceptor.js';

interface RedirectAnswer {
  url: string;
  statusCode: number;
}

const PROVIDER_PARAM = { name: 'provider', description: 'Name of a provider configured under `auth.providers`' } as const;
const RETURN_TO_QUERY = {
  name: 'return_to',
  required: false,
  description: 'Path on this site to land on after the login; anything else (another origin, `//host`, …) lands on `/`',
} as const;

/**
 * Browser routes of OIDC single sign-on. `/auth/oidc/login` serves the default provider
 * (`auth.providers.oidc`), `/auth/oidc/{provider}/login` any named one; an unconfigured
 * provider is a 404. Errors answer in Nest's JSON shape, never with the provider's text.
 */
@ApiTags('auth')
@Controller('auth/oidc')
@UseInterceptors(StorageErrorsInterceptor)
@Public()
export class OidcController {
  constructor(private readonly logins: OidcLoginService) {}

  @Get('login')
  @Redirect()
  @ApiOperation({ summary: 'Start single sign-on with the default OpenID Provider (redirects to it)' })
  @ApiQuery(RETURN_TO_QUERY)
  @ApiFoundResponse({ description: 'Redirect to the provider; sets the short-lived login-state cookie' })
  @ApiNotFoundResponse({ description: 'No default provider is configured' })
  @ApiBadGatewayResponse({ description: 'The provider could not be reached or its discovery document is invalid' })
  login(@Query('return_to') returnTo: unknown, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown) {
    return this.start(DEFAULT_OIDC_PROVIDER, returnTo, request, response);
  }

  @Get('callback')
  @Redirect()
  @ApiOperation({ summary: "The default provider's redirect_uri: completes the login and sets the session cookies" })
  @ApiFoundResponse({ description: 'Signed in (access_token, refresh_token and csrf_token cookies); redirect to return_to' })
  @ApiBadRequestResponse({ description: 'Bad, expired or replayed login state; code or ID token refused' })
  @ApiForbiddenResponse({ description: 'No account for this identity, or the account is deactivated' })
  @ApiNotFoundResponse({ description: 'No default provider is configured' })
  @ApiBadGatewayResponse({ description: 'The provider could not be reached' })
  callback(@Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown) {
    return this.finish(DEFAULT_OIDC_PROVIDER, request, response);
  }

  @Get(':provider/login')
  @Redirect()
  @ApiOperation({ summary: 'Start single sign-on with a named OpenID Provider (redirects to it)' })
  @ApiParam(PROVIDER_PARAM)
  @ApiQuery(RETURN_TO_QUERY)
  @ApiFoundResponse({ description: 'Redirect to the provider; sets the short-lived login-state cookie' })
  @ApiNotFoundResponse({ description: 'No provider of that name is configured' })
  @ApiBadGatewayResponse({ description: 'The provider could not be reached or its discovery document is invalid' })
  namedLogin(
    @Param('provider') provider: string,
    @Query('return_to') returnTo: unknown,
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: unknown,
  ) {
    return this.start(provider, returnTo, request, response);
  }

  @Get(':provider/callback')
  @Redirect()
  @ApiOperation({ summary: "A named provider's redirect_uri: completes the login and sets the session cookies" })
  @ApiParam(PROVIDER_PARAM)
  @ApiFoundResponse({ description: 'Signed in (access_token, refresh_token and csrf_token cookies); redirect to return_to' })
  @ApiBadRequestResponse({ description: 'Bad, expired or replayed login state, login started with another provider; code or ID token refused' })
  @ApiForbiddenResponse({ description: 'No account for this identity, or the account is deactivated' })
  @ApiNotFoundResponse({ description: 'No provider of that name is configured' })
  @ApiBadGatewayResponse({ description: 'The provider could not be reached' })
  namedCallback(@Param('provider') provider: string, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown) {
    return this.finish(provider, request, response);
  }

  private async start(provider: string, returnTo: unknown, request: HttpRequestLike, response: unknown): Promise<RedirectAnswer> {
    setResponseHeader(response, 'Cache-Control', 'no-store');
    const url = await this.logins.begin(provider, returnTo, request, response);
    return { url: url.href, statusCode: HttpStatus.FOUND };
  }

  private async finish(provider: string, request: HttpRequestLike, response: unknown): Promise<RedirectAnswer> {
    setResponseHeader(response, 'Cache-Control', 'no-store');
    const { returnTo, mfa } = await this.logins.complete(provider, request, response);
    // A local second factor is due: the page completes the login at the token endpoint. In
    // the fragment, the token never reaches a server log or a Referer.
    if (mfa) {
      const fragment = new URLSearchParams({ mfa_token: mfa.mfaToken, factors: mfa.factors.join(',') });
      return { url: `${returnTo.split('#')[0]}#${fragment}`, statusCode: HttpStatus.FOUND };
    }
    return { url: returnTo, statusCode: HttpStatus.FOUND };
  }
}
