import { Body, Controller, Delete, Get, Header, HttpCode, HttpStatus, Param, Patch, Post, Put, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { ScimRoute } from '../../access/guard/scim-route.decorator.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import { ApiTags } from '../../core/open-api.js';
import type { Principal } from '../../core/principal.js';
import { type HttpRequestLike, setResponseHeader } from '../../core/request-info.js';
import { SCIM_CONTENT_TYPE } from './scim-error.js';
import { ScimExceptionFilter } from './scim-exception.filter.js';
import type { ListParameters } from './scim-realm.js';
import { ScimUsersService } from './scim-users.service.js';

/** `<prefix>/scim/v2/Users` (RFC 7644 §3): a SCIM token's realm only. Bodies are read raw: SCIM attribute names are case-insensitive. */
@ApiTags('scim')
@Controller('scim/v2/Users')
@ScimRoute()
@UseGuards(FabricGuard)
@UseFilters(ScimExceptionFilter)
export class ScimUsersController {
  constructor(private readonly users: ScimUsersService) {}

  @Post()
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  async create(@Body() body: unknown, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown): Promise<object> {
    const created = await this.users.create(actor, body, request);
    setResponseHeader(response, 'Location', (created.meta as { location: string }).location);
    return created;
  }

  @Get()
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  list(@Query() query: ListParameters, @CurrentPrincipal() actor: Principal): Promise<object> {
    return this.users.list(actor, { filter: text(query.filter), startIndex: text(query.startIndex), count: text(query.count) });
  }

  @Get(':id')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  get(@Param('id') id: string, @CurrentPrincipal() actor: Principal): Promise<object> {
    return this.users.get(actor, id);
  }

  @Put(':id')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  replace(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<object> {
    return this.users.replace(actor, id, body, request);
  }

  @Patch(':id')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  patch(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<object> {
    return this.users.patch(actor, id, body, request);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@Param('id') id: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    await this.users.remove(actor, id, request);
  }
}

/** A query parameter given twice is an array: the first one counts. */
function text(value: unknown): string | undefined {
  if (Array.isArray(value)) return text(value[0]);
  return typeof value === 'string' ? value : undefined;
}
