import { Controller, Get, HttpCode, HttpStatus, Post, Req, UseGuards } from '@nestjs/common';
import { ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '../../core/open-api.js';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { RequirePermission } from '../../access/guard/require-permission.decorator.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import type { Principal } from '../../core/principal.js';
import { type SigningKeyInfo, SigningKeysService } from '../../access/signing/signing-keys.service.js';

@ApiTags('signing-keys')
@ApiFabricAuth()
@Controller('signing-keys')
@UseGuards(FabricGuard)
export class SigningKeysController {
  constructor(private readonly signingKeys: SigningKeysService) {}

  @Get()
  @RequirePermission('signing_keys:manage')
  @ApiOperation({
    summary: 'Keys that sign or still verify access tokens (no private parts)',
    description: 'Each key with its kid, algorithm, whether it signs now, and when it retires. Needs signing_keys:manage.',
  })
  async list(): Promise<{ items: SigningKeyInfo[] }> {
    return { items: await this.signingKeys.list() };
  }

  @Post('rotate')
  @HttpCode(HttpStatus.OK)
  @RequirePermission('signing_keys:manage')
  @ApiOperation({
    summary: 'A new key signs from now on; the old ones verify until their tokens have expired',
    description:
      'Generates a key kept in the database (private part encrypted), makes it the signing key on every instance, and schedules the previous ones to retire once the tokens they signed have expired. Needs signing_keys:manage.',
  })
  @ApiOkResponse({ description: 'The new signing key' })
  @ApiConflictResponse({ description: 'HS256, or keys from configuration: nothing to rotate here' })
  rotate(@CurrentPrincipal() principal: Principal, @Req() request: HttpRequestLike): Promise<SigningKeyInfo> {
    return this.signingKeys.rotate(principal, request);
  }
}
