import { Controller, Get, Header, Param, UseFilters, UseGuards } from '@nestjs/common';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { ScimRoute } from '../../access/guard/scim-route.decorator.js';
import { ApiTags } from '../../core/open-api.js';
import { ScimBase } from './scim-base.js';
import { notFound, SCIM_CONTENT_TYPE } from './scim-error.js';
import { ScimExceptionFilter } from './scim-exception.filter.js';
import { listResponse, resourceTypes, schemas, serviceProviderConfig } from './scim-schemas.js';

/** RFC 7644 §4: what this server supports, for the identity provider (behind the SCIM token, as every SCIM route). */
@ApiTags('scim')
@Controller('scim/v2')
@ScimRoute()
@UseGuards(FabricGuard)
@UseFilters(ScimExceptionFilter)
export class ScimDiscoveryController {
  constructor(private readonly base: ScimBase) {}

  @Get('ServiceProviderConfig')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  serviceProviderConfig(): object {
    return serviceProviderConfig(this.base.url());
  }

  @Get('ResourceTypes')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  resourceTypes(): object {
    const all = resourceTypes(this.base.url());
    return listResponse(all, all.length, 1);
  }

  @Get('ResourceTypes/:id')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  resourceType(@Param('id') id: string): object {
    const found = resourceTypes(this.base.url()).find((r) => (r as { id: string }).id === id);
    if (!found) throw notFound('ResourceType');
    return found;
  }

  @Get('Schemas')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  schemas(): object {
    const all = schemas(this.base.url());
    return listResponse(all, all.length, 1);
  }

  @Get('Schemas/:id')
  @Header('Content-Type', SCIM_CONTENT_TYPE)
  schema(@Param('id') id: string): object {
    const found = schemas(this.base.url()).find((s) => (s as { id: string }).id === id);
    if (!found) throw notFound('Schema');
    return found;
  }
}
