import { Body, Controller, Delete, Get, Header, HttpCode, HttpStatus, Param, Patch, Post, Put, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { ScimRoute } from '../../access/guard/scim-route.decorator.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import { ApiTags } from '../../core/open-api.js';
import type { Principal } from '../../core/principal.js';
import { type HttpRequestLike, setResponseHeader } from '../../core/request-info.js';
import { SCIM_CONTENT_TYPE } from './scim-error.js';
import { ScimExceptionFilter } from './scim-exception.filter.js';
import { ScimGroupsService } from './scim-groups.service.js';

/** `<prefix>/scim/v2/Groups` (RFC 7644 §3): a SCIM token's realm only. */
@ApiTags('scim')
@Controller('scim/v2/Groups')
@ScimRoute()
@UseGuards(FabricGuard)
@UseFilters(ScimExceptionFilter)
export class ScimGroupsController {
  constructor(private readonly groups: ScimGroupsService) {}

  @Post()
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  async create(@Body() body: unknown, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike, @Res({ passthrough: true }) response: unknown): Promise<object> {
    const created = await this.groups.create(actor, body, request);
    setResponseHeader(response, 'Location', (created.meta as { location: string }).location);
    return created;
  }

  @Get()
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  list(@Query() query: Record<string, unknown>, @CurrentPrincipal() actor: Principal): Promise<object> {
    return this.groups.list(actor, {
      filter: text(query.filter),
      startIndex: text(query.startIndex),
      count: text(query.count),
      excludedAttributes: text(query.excludedAttributes),
    });
  }

  @Get(':id')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  get(@Param('id') id: string, @Query('excludedAttributes') excluded: unknown, @CurrentPrincipal() actor: Principal): Promise<object> {
    return this.groups.get(actor, id, text(excluded));
  }

  @Put(':id')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  replace(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<object> {
    return this.groups.replace(actor, id, body, request);
  }

  @Patch(':id')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  patch(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<object> {
    return this.groups.patch(actor, id, body, request);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@Param('id') id: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    await this.groups.remove(actor, id, request);
  }
}

function text(value: unknown): string | undefined {
  if (Array.isArray(value)) return text(value[0]);
  return typeof value === 'string' ? value : undefined;
}
