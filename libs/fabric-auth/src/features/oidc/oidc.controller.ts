import { Body, Controller, Get, Header, HttpCode, HttpStatus, Inject, Param, Post, Query, Redirect, Req, Res, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiFoundResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '../../core/open-api.js';
import { OAuthErrorDto, OAuthErrorFilter } from '../../http/oauth-error.js';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { Public } from '../../access/guard/public.decorator.js';
import { type HttpRequestLike, isCrossSiteRequest, setResponseHeader } from '../../core/request-info.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import { DEFAULT_OIDC_PROVIDER, type ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import type { Principal } from '../../core/principal.js';
import { OidcLoginFailure } from './oidc-login.error.js';
import { OidcLoginService } from './oidc-login.service.js';
import { type BackChannelEndpoint, OidcLogoutService } from './oidc-logout.service.js';
import { type RedirectAnswer, ssoErrorPage, ssoRedirect } from '../../http/sso-error-page.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';

const ORG_CONNECTION_PARAM = { name: 'id', description: "Id of an organization's OIDC connection (`/orgs/{org}/connections`)" } as const;
const PROVIDER_PARAM = { name: 'provider', description: 'Name of a provider configured under `auth.providers`' } as const;
const RETURN_TO_QUERY = {
  name: 'return_to',
  required: false,
  description: 'Path on this site to land on after the login; anything else (another origin, `//host`, …) lands on `/`',
} as const;
const PROMPT_QUERY = {
  name: 'prompt',
  required: false,
  description: 'Passed to the provider: `login`, `consent`, `select_account` (space-separated), or `none` alone',
} as const;
const LOGIN_HINT_QUERY = { name: 'login_hint', required: false, description: 'Passed to the provider: the login it should suggest' } as const;
const FAILURE_REDIRECT =
  'A browser is sent to `auth.sso.error_url` (default `…/auth/oidc/error`) with `?error=<code>`; a request with `Accept: application/json` gets the JSON error instead';

/**
 * Browser routes of OIDC single sign-on. `/auth/oidc/login` serves the default provider
 * (`auth.providers.oidc`), `/auth/oidc/{provider}/login` any named one; an unconfigured
 * provider is a 404. A refused login sends the browser to the error page with a stable
 * code (never the provider's text); API clients asking for JSON get Nest's JSON errors.
 */
@ApiTags('auth')
@Controller('auth/oidc')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
export class OidcController {
  constructor(
    private readonly logins: OidcLoginService,
    private readonly logouts: OidcLogoutService,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
  ) {}

  @Get('login')
  @Public()
  @Redirect()
  @ApiOperation({
    summary: 'Start single sign-on with the default OpenID Provider (redirects to it)',
    description:
      "Browser route. Sets a signed, HttpOnly login-state cookie for this attempt (state, nonce, PKCE verifier, 10 minutes) and answers 302 to the provider's authorization endpoint. `return_to` is kept only when it is a path on this site; `prompt` and `login_hint` are passed to the provider.",
  })
  @ApiQuery(RETURN_TO_QUERY)
  @ApiQuery(PROMPT_QUERY)
  @ApiQuery(LOGIN_HINT_QUERY)
  @ApiFoundResponse({ description: `Redirect to the provider; sets the short-lived login-state cookie. ${FAILURE_REDIRECT}` })
  @ApiBadRequestResponse({ description: 'Invalid prompt or login_hint' })
  @ApiNotFoundResponse({ description: 'No default provider is configured' })
  @ApiBadGatewayResponse({ description: 'The provider could not be reached or its discovery document is invalid' })
  login(
    @Query('return_to') returnTo: unknown,
    @Query('prompt') prompt: unknown,
    @Query('login_hint') loginHint: unknown,
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: unknown,
  ) {
    return this.start(DEFAULT_OIDC_PROVIDER, { returnTo, prompt, loginHint }, request, response);
  }

  @Get('callback')
  @Public()
  @Redirect()
  @ApiOperation({
    summary: "The default provider's redirect_uri: completes the login and sets the session cookies",
    description:
      'Checks the login-state cookie and `state`, exchanges the code (PKCE), validates the ID token, finds or provisions the user, then sets the same session cookies as `POST /auth/token` with `set_cookies=true` and redirects to `return_to`. The state is single use. A refused login redirects to `auth.sso.error_url` with a stable code, or answers JSON to `Accept: application/json`.',
  })
  @ApiFoundResponse({ description: `Signed in (access_token, refresh_token and csrf_token cookies); redirect to return_to. ${FAILURE_REDIRECT}` })
  @ApiBadRequestResponse({ description: 'Bad, expired or replayed login state; code or ID token refused' })
  @ApiForbiddenResponse({ description: 'No account for this identity, or the account is deactivated' })
  @ApiConflictResponse({ description: 'A local account holds the verified email (account_exists), or the identity is linked elsewhere' })
  @ApiNotFoundResponse({ description: 'No default provider is configured' })
  @ApiBadGatewayResponse({ description: 'The provider could not be reached' })
  callback(@Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown) {
    return this.finish(DEFAULT_OIDC_PROVIDER, request, response);
  }

  @Get('link')
  @Redirect()
  @ApiFabricAuth({ apiKey: false })
  @ApiOperation({
    summary: 'Link an identity at the default provider to the signed-in user (fresh login at the provider)',
    description:
      'Browser route for a signed-in user (cookie session): redirects to the provider for a fresh login; its callback adds that identity to this user, unless another account holds it.',
  })
  @ApiQuery(RETURN_TO_QUERY)
  @ApiFoundResponse({ description: `Redirect to the provider; its callback links the identity. ${FAILURE_REDIRECT}` })
  @ApiUnauthorizedResponse({ description: 'Not signed in' })
  @ApiForbiddenResponse({ description: 'Not a browser session of a user, or a cross-site request' })
  link(@Query('return_to') returnTo: unknown, @CurrentPrincipal() principal: Principal, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown) {
    return this.startLink(DEFAULT_OIDC_PROVIDER, returnTo, principal, request, response);
  }

  @Get('error')
  @Public()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'The default page a failed SSO login lands on (`?error=<code>`)',
    description:
      "A small HTML page naming what went wrong in words for people (access_denied, no_account, account_disabled, invalid_state, provider_unavailable, …); never the provider's own text.",
  })
  @ApiQuery({ name: 'error', required: false, description: 'The stable error code' })
  @ApiOkResponse({ description: 'An HTML page explaining the error' })
  errorPage(@Query('error') code: unknown): string {
    return ssoErrorPage(code);
  }

  @Get('logout')
  @Public()
  @Redirect()
  @ApiOperation({
    summary: "After POST /auth/logout of a session from a provider: end the provider's session too (RP-Initiated Logout)",
    description:
      "Browser route, the second step of an SSO logout: sends the browser to the provider's end_session_endpoint with the session's ID token as id_token_hint and post_logout_redirect_uri, once; without a provider session to end, back to return_to.",
  })
  @ApiQuery({ name: 'return_to', required: false, description: 'Path on this site to land on when there is no provider session to end' })
  @ApiFoundResponse({
    description: "To the provider's end_session_endpoint (id_token_hint, post_logout_redirect_uri), or to return_to (default /)",
  })
  async logout(@Query('return_to') returnTo: unknown, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown) {
    setResponseHeader(response, 'Cache-Control', 'no-store');
    return { url: await this.logouts.endSessionUrl(request, response, returnTo), statusCode: HttpStatus.FOUND };
  }

  @Post('backchannel-logout')
  @Public()
  @HttpCode(HttpStatus.OK)
  @UseFilters(OAuthErrorFilter)
  @ApiOperation({
    summary: "The default provider's back-channel logout endpoint (OIDC Back-Channel Logout 1.0): logout_token, form-encoded",
    description:
      "Called by the provider, not by browsers. The logout_token is validated like an ID token (signature from the provider's JWKS, iss, aud, iat, the back-channel event, sid or sub, no nonce) and its jti is single use; our sessions of that sid or subject end on every instance. 200, or 400 invalid_request; 503 temporarily_unavailable when the provider's discovery or JWKS cannot be read (keys already held keep verifying), so that it retries.",
  })
  @ApiOkResponse({ description: 'The sessions the token names have ended' })
  @ApiBadRequestResponse({ type: OAuthErrorDto, description: 'Invalid, expired or replayed logout token (invalid_request)' })
  @ApiServiceUnavailableResponse({ type: OAuthErrorDto, description: "The provider's discovery or JWKS could not be read; no session ended (temporarily_unavailable)" })
  @ApiNotFoundResponse({ description: 'No default provider is configured' })
  backChannelLogout(@Body() body: Record<string, unknown>, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown) {
    return this.endSessions({ provider: DEFAULT_OIDC_PROVIDER }, body, request, response);
  }

  @Post(':provider/backchannel-logout')
  @Public()
  @HttpCode(HttpStatus.OK)
  @UseFilters(OAuthErrorFilter)
  @ApiOperation({
    summary: "A named provider's back-channel logout endpoint (OIDC Back-Channel Logout 1.0): logout_token, form-encoded",
    description: 'As `/auth/oidc/backchannel-logout`, for the provider configured under `auth.providers.<provider>`.',
  })
  @ApiParam(PROVIDER_PARAM)
  @ApiOkResponse({ description: 'The sessions the token names have ended' })
  @ApiBadRequestResponse({ type: OAuthErrorDto, description: 'Invalid, expired or replayed logout token (invalid_request)' })
  @ApiServiceUnavailableResponse({ type: OAuthErrorDto, description: "The provider's discovery or JWKS could not be read; no session ended (temporarily_unavailable)" })
  @ApiNotFoundResponse({ description: 'No provider of that name is configured' })
  namedBackChannelLogout(
    @Param('provider') provider: string,
    @Body() body: Record<string, unknown>,
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: unknown,
  ) {
    return this.endSessions({ provider }, body, request, response);
  }

  @Get(':provider/login')
  @Public()
  @Redirect()
  @ApiOperation({
    summary: 'Start single sign-on with a named OpenID Provider (redirects to it)',
    description: 'As `/auth/oidc/login`, for the provider configured under `auth.providers.<provider>`.',
  })
  @ApiParam(PROVIDER_PARAM)
  @ApiQuery(RETURN_TO_QUERY)
  @ApiQuery(PROMPT_QUERY)
  @ApiQuery(LOGIN_HINT_QUERY)
  @ApiFoundResponse({ description: `Redirect to the provider; sets the short-lived login-state cookie. ${FAILURE_REDIRECT}` })
  @ApiBadRequestResponse({ description: 'Invalid prompt or login_hint' })
  @ApiNotFoundResponse({ description: 'No provider of that name is configured' })
  @ApiBadGatewayResponse({ description: 'The provider could not be reached or its discovery document is invalid' })
  namedLogin(
    @Param('provider') provider: string,
    @Query('return_to') returnTo: unknown,
    @Query('prompt') prompt: unknown,
    @Query('login_hint') loginHint: unknown,
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: unknown,
  ) {
    return this.start(provider, { returnTo, prompt, loginHint }, request, response);
  }

  @Get(':provider/callback')
  @Public()
  @Redirect()
  @ApiOperation({
    summary: "A named provider's redirect_uri: completes the login and sets the session cookies",
    description: 'As `/auth/oidc/callback`, for the provider configured under `auth.providers.<provider>`; a login started with another provider is refused.',
  })
  @ApiParam(PROVIDER_PARAM)
  @ApiFoundResponse({ description: `Signed in (access_token, refresh_token and csrf_token cookies); redirect to return_to. ${FAILURE_REDIRECT}` })
  @ApiBadRequestResponse({ description: 'Bad, expired or replayed login state, login started with another provider; code or ID token refused' })
  @ApiForbiddenResponse({ description: 'No account for this identity, or the account is deactivated' })
  @ApiConflictResponse({ description: 'A local account holds the verified email (account_exists), or the identity is linked elsewhere' })
  @ApiNotFoundResponse({ description: 'No provider of that name is configured' })
  @ApiBadGatewayResponse({ description: 'The provider could not be reached' })
  namedCallback(@Param('provider') provider: string, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown) {
    return this.finish(provider, request, response);
  }

  @Get(':provider/link')
  @Redirect()
  @ApiFabricAuth({ apiKey: false })
  @ApiOperation({
    summary: 'Link an identity at a named provider to the signed-in user (fresh login at the provider)',
    description: 'As `/auth/oidc/link`, for the provider configured under `auth.providers.<provider>`.',
  })
  @ApiParam(PROVIDER_PARAM)
  @ApiQuery(RETURN_TO_QUERY)
  @ApiFoundResponse({ description: `Redirect to the provider; its callback links the identity. ${FAILURE_REDIRECT}` })
  @ApiUnauthorizedResponse({ description: 'Not signed in' })
  @ApiForbiddenResponse({ description: 'Not a browser session of a user, or a cross-site request' })
  @ApiNotFoundResponse({ description: 'No provider of that name is configured' })
  namedLink(
    @Param('provider') provider: string,
    @Query('return_to') returnTo: unknown,
    @CurrentPrincipal() principal: Principal,
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: unknown,
  ) {
    return this.startLink(provider, returnTo, principal, request, response);
  }

  @Get('org/:id/login')
  @Public()
  @Redirect()
  @ApiOperation({
    summary: "Start single sign-on with an organization's OIDC connection (the login_url of home-realm discovery)",
    description:
      'As `/auth/oidc/{provider}/login`, through the same flow and checks. Whoever signs in through it joins the organization with the org roles its `role_mapping` gives (never global roles).',
  })
  @ApiParam(ORG_CONNECTION_PARAM)
  @ApiQuery(RETURN_TO_QUERY)
  @ApiQuery(PROMPT_QUERY)
  @ApiQuery(LOGIN_HINT_QUERY)
  @ApiFoundResponse({ description: `Redirect to the provider; sets the short-lived login-state cookie. ${FAILURE_REDIRECT}` })
  @ApiBadRequestResponse({ description: 'Invalid prompt or login_hint' })
  @ApiNotFoundResponse({ description: 'No enabled OIDC connection of an organization has that id' })
  @ApiBadGatewayResponse({ description: 'The provider could not be reached or its discovery document is invalid' })
  organizationLogin(
    @Param('id') id: string,
    @Query('return_to') returnTo: unknown,
    @Query('prompt') prompt: unknown,
    @Query('login_hint') loginHint: unknown,
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: unknown,
  ) {
    return this.start(`org/${id}`, { returnTo, prompt, loginHint }, request, response);
  }

  @Get('org/:id/callback')
  @Public()
  @Redirect()
  @ApiOperation({
    summary: "An organization's OIDC connection's redirect_uri: completes the login and sets the session cookies",
    description:
      "As `/auth/oidc/{provider}/callback`; the person then joins the organization (if not yet a member) with the mapped org roles, in the sign-in's transaction. A connection disabled or deleted meanwhile: 404, no session.",
  })
  @ApiParam(ORG_CONNECTION_PARAM)
  @ApiFoundResponse({ description: `Signed in (access_token, refresh_token and csrf_token cookies); redirect to return_to. ${FAILURE_REDIRECT}` })
  @ApiBadRequestResponse({ description: 'Bad, expired or replayed login state, login started with another provider; code or ID token refused' })
  @ApiForbiddenResponse({ description: 'No account for this identity, or the account is deactivated' })
  @ApiConflictResponse({ description: 'A local account holds the verified email (account_exists), or the identity is linked elsewhere' })
  @ApiNotFoundResponse({ description: 'No enabled OIDC connection of an organization has that id' })
  @ApiBadGatewayResponse({ description: 'The provider could not be reached' })
  organizationCallback(@Param('id') id: string, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown) {
    return this.finish(`org/${id}`, request, response);
  }

  @Post('org/:id/backchannel-logout')
  @Public()
  @HttpCode(HttpStatus.OK)
  @UseFilters(OAuthErrorFilter)
  @ApiOperation({
    summary: "An organization's OIDC connection's back-channel logout endpoint (OIDC Back-Channel Logout 1.0): logout_token, form-encoded",
    description:
      "As `/auth/oidc/backchannel-logout`, for the sessions opened through this connection: the token is checked against the connection's issuer, client id and keys (read by the same tenant rules as its logins), its jti single use. The organization's admin gives the provider this URL.",
  })
  @ApiParam(ORG_CONNECTION_PARAM)
  @ApiOkResponse({ description: 'The sessions the token names have ended' })
  @ApiBadRequestResponse({ type: OAuthErrorDto, description: 'Invalid, expired or replayed logout token (invalid_request)' })
  @ApiServiceUnavailableResponse({ type: OAuthErrorDto, description: "The provider's discovery or JWKS could not be read; no session ended (temporarily_unavailable)" })
  @ApiNotFoundResponse({ description: 'No enabled OIDC connection of an organization has that id' })
  organizationBackChannelLogout(@Param('id') id: string, @Body() body: Record<string, unknown>, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown) {
    return this.endSessions({ organizationConnection: id }, body, request, response);
  }

  private async endSessions(endpoint: BackChannelEndpoint, body: Record<string, unknown>, request: HttpRequestLike, response: unknown): Promise<void> {
    setResponseHeader(response, 'Cache-Control', 'no-store');
    await this.logouts.backChannelLogout(endpoint, typeof body === 'object' && body !== null ? body.logout_token : undefined, request);
  }

  private start(provider: string, login: Parameters<OidcLoginService['begin']>[1], request: HttpRequestLike, response: unknown) {
    return this.answer(request, response, async () => (await this.logins.begin(provider, login, request, response)).href);
  }

  private startLink(provider: string, returnTo: unknown, principal: Principal, request: HttpRequestLike, response: unknown) {
    return this.answer(request, response, async () => {
      // Only a person's browser session links, and only from this site: a link started by
      // another site's page would attach whatever identity that browser signs in with.
      if (principal.kind !== 'user' || principal.authMethod !== 'cookie' || !principal.sessionId || isCrossSiteRequest(request)) {
        throw new OidcLoginFailure('link_session_ended').toHttpException();
      }
      const user = { userId: principal.id, sessionId: principal.sessionId };
      return (await this.logins.beginLink(provider, returnTo, user, request, response)).href;
    });
  }

  private finish(provider: string, request: HttpRequestLike, response: unknown) {
    return this.answer(request, response, async () => {
      const { returnTo, mfa } = await this.logins.complete(provider, request, response);
      if (!mfa) return returnTo;
      // A local second factor is due: the page completes the login at the token endpoint. In
      // the fragment, the token never reaches a server log or a Referer.
      const fragment = new URLSearchParams({ mfa_token: mfa.mfaToken, factors: mfa.factors.join(',') });
      return `${returnTo.split('#')[0]}#${fragment.toString()}`;
    });
  }

  private answer(request: HttpRequestLike, response: unknown, redirectTo: () => Promise<string>): Promise<RedirectAnswer> {
    return ssoRedirect(request, response, this.options.sso.errorUrl, redirectTo);
  }
}
