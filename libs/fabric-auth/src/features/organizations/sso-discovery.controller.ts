import { Body, Controller, HttpCode, HttpStatus, Post, Req, Res, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { Public } from '../../access/guard/public.decorator.js';
import { LimitsService } from '../../access/limits/limits.service.js';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse } from '../../core/open-api.js';
import { type HttpRequestLike, setResponseHeader } from '../../core/request-info.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';
import { fabricValidationPipe } from '../../http/validation.js';
import { SsoDiscoverDto, SsoDiscoveryDto } from './dto/sso-discovery.dto.js';
import { OrganizationConnectionsService } from './organization-connections.service.js';

/** Home-realm discovery (SPEC §16): which sign-in an email's domain uses. Public, rate-limited per client address. */
@ApiTags('auth')
@Controller('auth/sso')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
export class SsoDiscoveryController {
  constructor(
    private readonly connections: OrganizationConnectionsService,
    private readonly limits: LimitsService,
  ) {}

  @Post('discover')
  @Public()
  @HttpCode(HttpStatus.OK)
  @UsePipes(fabricValidationPipe())
  @ApiOperation({
    summary: 'Where to sign in with this email: an organization’s SSO connection, or not',
    description:
      'By the email’s domain (lower case, IDNA, without a trailing dot): when an organization verified it and has an enabled connection, `{sso: true, protocol, login_url}` (with `return_to` passed on); otherwise `{sso: false}`, the same answer for every other case. 30 a minute per client address.',
  })
  @ApiOkResponse({ type: SsoDiscoveryDto })
  @ApiBadRequestResponse({ description: 'Not an email address (or invisible characters in it)' })
  @ApiTooManyRequestsResponse({ description: 'Too many lookups from this address; `Retry-After` says when to come back' })
  async discover(@Body() dto: SsoDiscoverDto, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown): Promise<SsoDiscoveryDto> {
    await this.limits.throttle(request, response, 'sso_discover');
    setResponseHeader(response, 'Cache-Control', 'no-store');
    return this.connections.discover(dto.email.slice(dto.email.lastIndexOf('@') + 1), dto.return_to);
  }
}
