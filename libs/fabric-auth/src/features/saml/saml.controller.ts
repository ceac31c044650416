import { Body, Controller, Get, Header, HttpCode, HttpStatus, Inject, Param, Post, Query, Redirect, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { Public } from '../../access/guard/public.decorator.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
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
  ApiPayloadTooLargeResponse,
  ApiQuery,
  ApiTags,
} from '../../core/open-api.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { type RedirectAnswer, ssoErrorPage, ssoRedirect } from '../../http/sso-error-page.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { SamlLoginService } from './saml-login.service.js';
import { SamlLogoutService } from './saml-logout.service.js';
import { safeReturnPath } from '../../http/return-to.js';
import { setResponseHeader } from '../../core/request-info.js';

const CONNECTION_PARAM = { name: 'connection', description: 'Name of a SAML connection configured under `auth.providers` (`type: saml`)' } as const;
const ORG_CONNECTION_PARAM = { name: 'id', description: "Id of an organization's SAML connection (`/orgs/{org}/connections`)" } as const;
const FAILURE_REDIRECT =
  'A browser is sent to `auth.sso.error_url` (default `…/auth/saml/error`) with `?error=<code>`; a request with `Accept: application/json` gets the JSON error instead';

/**
 * Browser routes of SAML 2.0 single sign-on, one set per connection: the SP metadata to give
 * the IdP, the login start (HTTP-Redirect binding) and the ACS (HTTP-POST binding). An
 * unconfigured connection is a 404. A refused login sends the browser to the error page with
 * the same stable codes as OIDC's; API clients asking for JSON get Nest's JSON errors.
 */
@ApiTags('auth')
@Controller('auth/saml')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
export class SamlController {
  constructor(
    private readonly logins: SamlLoginService,
    private readonly logouts: SamlLogoutService,
    @Inject(FABRIC_RESOLVED_OPTIONS) private readonly options: ResolvedFabricAuthOptions,
  ) {}

  @Get('error')
  @Public()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'The default page a failed SAML login lands on (`?error=<code>`)', description: 'The same page and codes as `/auth/oidc/error`.' })
  @ApiQuery({ name: 'error', required: false, description: 'The stable error code' })
  @ApiOkResponse({ description: 'An HTML page explaining the error' })
  errorPage(@Query('error') code: unknown): string {
    return ssoErrorPage(code);
  }

  @Get('logout')
  @Public()
  @Redirect()
  @ApiOperation({
    summary: "After POST /auth/logout of a session from a SAML connection: end the IdP's session too (SP-initiated single logout)",
    description:
      "Browser route, the second step of a SAML logout (the local session already ended at POST /auth/logout, on every instance): sends the browser to the IdP's SingleLogoutService (HTTP-Redirect) with a LogoutRequest for that session's NameID and SessionIndex, once; without one, back to return_to.",
  })
  @ApiQuery({ name: 'return_to', required: false, description: 'Path on this site to land on afterwards (default /)' })
  @ApiFoundResponse({ description: "To the IdP's SingleLogoutService, or to return_to" })
  async logout(@Query('return_to') returnTo: unknown, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown): Promise<RedirectAnswer> {
    setResponseHeader(response, 'Cache-Control', 'no-store');
    return { url: await this.logouts.logoutUrl(request, response, returnTo), statusCode: HttpStatus.FOUND };
  }

  @Get(':connection/slo')
  @Public()
  @Redirect()
  @ApiOperation({
    summary: "A connection's SingleLogoutService: where the IdP's LogoutResponse brings the browser back",
    description: 'Sends the browser on to the RelayState the logout started with, when it is a path on this site (else `/`). Nothing here signs anyone in or out.',
  })
  @ApiParam(CONNECTION_PARAM)
  @ApiFoundResponse({ description: 'To the RelayState path, or /' })
  loggedOut(@Query('RelayState') relayState: unknown, @Res({ passthrough: true }) response: unknown): RedirectAnswer {
    setResponseHeader(response, 'Cache-Control', 'no-store');
    return { url: safeReturnPath(relayState), statusCode: HttpStatus.FOUND };
  }

  @Get(':connection/metadata')
  @Public()
  @Header('Content-Type', 'application/samlmetadata+xml; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    summary: "This service provider's SAML metadata for a connection (give it to the IdP)",
    description: 'Entity id (`sp_entity_id`, default this URL), the ACS (HTTP-POST) and, with a `decryption_key` holding its certificate, the encryption key.',
  })
  @ApiParam(CONNECTION_PARAM)
  @ApiOkResponse({ description: 'An EntityDescriptor with an SPSSODescriptor' })
  @ApiNotFoundResponse({ description: 'No SAML connection of that name is configured' })
  metadata(@Param('connection') connection: string): Promise<string> {
    return this.logins.metadata(connection);
  }

  @Get(':connection/login')
  @Public()
  @Redirect()
  @ApiOperation({
    summary: "Start SAML single sign-on with a connection (redirects to the IdP's SSO URL)",
    description:
      'Browser route. Sets a signed, HttpOnly login-state cookie for this attempt (the AuthnRequest ID, 10 minutes) and answers 302 to the IdP with an AuthnRequest (HTTP-Redirect binding). `return_to` is kept only when it is a path on this site.',
  })
  @ApiParam(CONNECTION_PARAM)
  @ApiQuery({ name: 'return_to', required: false, description: 'Path on this site to land on after the login; anything else lands on `/`' })
  @ApiFoundResponse({ description: `Redirect to the IdP; sets the short-lived login-state cookie. ${FAILURE_REDIRECT}` })
  @ApiNotFoundResponse({ description: 'No SAML connection of that name is configured' })
  @ApiBadGatewayResponse({ description: "The IdP's metadata could not be loaded" })
  login(
    @Param('connection') connection: string,
    @Query('return_to') returnTo: unknown,
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<RedirectAnswer> {
    return this.answer(request, response, () => this.logins.begin(connection, returnTo, request, response));
  }

  @Post(':connection/acs')
  @Public()
  @HttpCode(HttpStatus.FOUND)
  @Redirect()
  @ApiOperation({
    summary: "A connection's Assertion Consumer Service: completes the login (HTTP-POST binding, form-encoded SAMLResponse)",
    description:
      'Checks the response (signatures, no XML signature wrapping, no DOCTYPE or comments, algorithms, Destination, issuers, audience, recipient, times, InResponseTo bound to this browser, the assertion single use on every instance), finds or provisions the user, sets the session cookies and redirects to `return_to`. A refused login redirects to `auth.sso.error_url` with a stable code, or answers JSON to `Accept: application/json`.',
  })
  @ApiParam(CONNECTION_PARAM)
  @ApiFoundResponse({ description: `Signed in (access_token, refresh_token and csrf_token cookies); redirect to return_to. ${FAILURE_REDIRECT}` })
  @ApiBadRequestResponse({ description: 'A malformed, unsigned, wrongly signed, expired, misdirected or replayed response; a login not started in this browser' })
  @ApiForbiddenResponse({ description: 'No account for this identity, or the account is deactivated' })
  @ApiConflictResponse({ description: 'A local account holds the email (account_exists), or the identity is linked elsewhere' })
  @ApiNotFoundResponse({ description: 'No SAML connection of that name is configured' })
  @ApiPayloadTooLargeResponse({ description: 'The SAMLResponse is larger than 256 KiB (or the body than the body limit)' })
  @ApiBadGatewayResponse({ description: "The IdP's metadata could not be loaded" })
  acs(@Param('connection') connection: string, @Body() body: unknown, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown): Promise<RedirectAnswer> {
    return this.answer(request, response, async () => {
      const { returnTo, mfa } = await this.logins.complete(connection, body, request, response);
      if (!mfa) return returnTo;
      // As OIDC's callback: the page completes the login at the token endpoint; in the fragment, the token reaches no log.
      const fragment = new URLSearchParams({ mfa_token: mfa.mfaToken, factors: mfa.factors.join(',') });
      return `${returnTo.split('#')[0]}#${fragment.toString()}`;
    });
  }

  @Get('org/:id/metadata')
  @Public()
  @Header('Content-Type', 'application/samlmetadata+xml; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    summary: "This service provider's SAML metadata for an organization's connection (give it to the IdP)",
    description: 'As `/auth/saml/{connection}/metadata`: the entity id is this URL, the ACS `…/org/{id}/acs`.',
  })
  @ApiParam(ORG_CONNECTION_PARAM)
  @ApiOkResponse({ description: 'An EntityDescriptor with an SPSSODescriptor' })
  @ApiNotFoundResponse({ description: 'No enabled SAML connection of an organization has that id' })
  organizationMetadata(@Param('id') id: string): Promise<string> {
    return this.logins.metadata(`org/${id}`);
  }

  @Get('org/:id/login')
  @Public()
  @Redirect()
  @ApiOperation({
    summary: "Start SAML single sign-on with an organization's connection (the login_url of home-realm discovery)",
    description:
      'As `/auth/saml/{connection}/login`, through the same checks. Whoever signs in through it joins the organization with the org roles its `role_mapping` gives (never global roles).',
  })
  @ApiParam(ORG_CONNECTION_PARAM)
  @ApiQuery({ name: 'return_to', required: false, description: 'Path on this site to land on after the login; anything else lands on `/`' })
  @ApiFoundResponse({ description: `Redirect to the IdP; sets the short-lived login-state cookie. ${FAILURE_REDIRECT}` })
  @ApiNotFoundResponse({ description: 'No enabled SAML connection of an organization has that id' })
  @ApiBadGatewayResponse({ description: "The IdP's metadata could not be loaded" })
  organizationLogin(
    @Param('id') id: string,
    @Query('return_to') returnTo: unknown,
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<RedirectAnswer> {
    return this.login(`org/${id}`, returnTo, request, response);
  }

  @Post('org/:id/acs')
  @Public()
  @HttpCode(HttpStatus.FOUND)
  @Redirect()
  @ApiOperation({
    summary: "An organization's connection's Assertion Consumer Service (HTTP-POST binding, form-encoded SAMLResponse)",
    description:
      "As `/auth/saml/{connection}/acs`, with every check of it; the person then joins the organization (if not yet a member) with the mapped org roles, in the sign-in's transaction. A connection disabled or deleted meanwhile: 404, no session.",
  })
  @ApiParam(ORG_CONNECTION_PARAM)
  @ApiFoundResponse({ description: `Signed in (access_token, refresh_token and csrf_token cookies); redirect to return_to. ${FAILURE_REDIRECT}` })
  @ApiBadRequestResponse({ description: 'A malformed, unsigned, wrongly signed, expired, misdirected or replayed response; a login not started in this browser' })
  @ApiForbiddenResponse({ description: 'No account for this identity, or the account is deactivated' })
  @ApiConflictResponse({ description: 'A local account holds the email (account_exists), or the identity is linked elsewhere' })
  @ApiNotFoundResponse({ description: 'No enabled SAML connection of an organization has that id' })
  @ApiPayloadTooLargeResponse({ description: 'The SAMLResponse is larger than 256 KiB (or the body than the body limit)' })
  @ApiBadGatewayResponse({ description: "The IdP's metadata could not be loaded" })
  organizationAcs(@Param('id') id: string, @Body() body: unknown, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown): Promise<RedirectAnswer> {
    return this.acs(`org/${id}`, body, request, response);
  }

  @Get('org/:id/slo')
  @Public()
  @Redirect()
  @ApiOperation({
    summary: "An organization's connection's SingleLogoutService: where the IdP's LogoutResponse brings the browser back",
    description: 'As `/auth/saml/{connection}/slo`.',
  })
  @ApiParam(ORG_CONNECTION_PARAM)
  @ApiFoundResponse({ description: 'To the RelayState path, or /' })
  organizationLoggedOut(@Query('RelayState') relayState: unknown, @Res({ passthrough: true }) response: unknown): RedirectAnswer {
    return this.loggedOut(relayState, response);
  }

  private answer(request: HttpRequestLike, response: unknown, redirectTo: () => Promise<string>): Promise<RedirectAnswer> {
    return ssoRedirect(request, response, this.options.sso.errorUrl, redirectTo);
  }
}
