import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Query, Req, UseGuards, UsePipes } from '@nestjs/common';
import { ApiConflictResponse, ApiForbiddenResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '../../core/open-api.js';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { ListQueryDto } from '../../data/pagination/list-query.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { fabricValidationPipe } from '../../http/validation.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import type { Principal } from '../../core/principal.js';
import { IdentityListDto } from './dto/identity.dto.js';
import { UserIdentitiesService } from './user-identities.service.js';
import { ApiFabricAuth } from '../../http/api-docs.js';

/** A user's linked identities at OpenID Providers. Linking happens in the browser: `GET /auth/oidc/{provider}/link`. */
@ApiTags('users')
@ApiFabricAuth()
@Controller('users')
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class UserIdentitiesController {
  constructor(private readonly identities: UserIdentitiesService) {}

  @Get(':username/identities')
  @ApiOperation({
    summary: 'List the identities at OpenID Providers linked to a user (self, or users:read)',
    description: 'Each link: provider, issuer, subject, the email the provider gave, when it was linked and last used. Never a token.',
  })
  @ApiOkResponse({ type: IdentityListDto })
  @ApiNotFoundResponse()
  list(@Param('username') username: string, @Query() query: ListQueryDto, @CurrentPrincipal() actor: Principal): Promise<IdentityListDto> {
    return this.identities.list(actor, username, query);
  }

  @Delete(':username/identities/:identityId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Unlink an identity (self, or users:modify holding all the account holds)',
    description:
      'Removes one link; sessions already opened through it stay. Refused with 409 when it is the last way into the account (no password and no other identity at a configured provider). Audited.',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  @ApiForbiddenResponse({ description: 'The account holds more than you, or an API key without users:modify' })
  @ApiConflictResponse({ description: 'It is the last way into the account (no password, no other usable identity)' })
  async unlink(@Param('username') username: string, @Param('identityId') identityId: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    await this.identities.unlink(actor, username, identityId, request);
  }
}
