import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Req, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '../../core/open-api.js';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { RequirePermission } from '../../access/guard/require-permission.decorator.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import type { Principal } from '../../core/principal.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import { NoStore } from '../../http/no-store.decorator.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';
import { fabricValidationPipe } from '../../http/validation.js';
import { CreatedWebhookDto, CreateWebhookDto, UpdateWebhookDto, WebhookDeliveryListDto, WebhookDto, WebhookListDto } from './dto/webhook.dto.js';
import { WebhooksService } from './webhooks.service.js';

/** Webhook endpoints and their deliveries (SPEC §18): `webhooks:read` to look, `webhooks:manage` to change. */
@ApiTags('webhooks')
@ApiFabricAuth()
@Controller('webhooks')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @NoStore()
  @RequirePermission('webhooks:manage')
  @ApiOperation({ summary: 'Register a webhook endpoint (webhooks:manage)', description: 'The signing secret (`whsec_…`) is in this answer only.' })
  @ApiCreatedResponse({ type: CreatedWebhookDto })
  create(@Body() dto: CreateWebhookDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<CreatedWebhookDto> {
    return this.webhooks.create(actor, dto, request);
  }

  @Get()
  @RequirePermission('webhooks:read')
  @ApiOperation({ summary: 'List the webhook endpoints (webhooks:read)' })
  @ApiOkResponse({ type: WebhookListDto })
  async list(): Promise<WebhookListDto> {
    return { items: await this.webhooks.list() };
  }

  @Get(':id')
  @RequirePermission('webhooks:read')
  @ApiOperation({ summary: 'A webhook endpoint (webhooks:read)' })
  @ApiOkResponse({ type: WebhookDto })
  get(@Param('id') id: string): Promise<WebhookDto> {
    return this.webhooks.get(id);
  }

  @Patch(':id')
  @RequirePermission('webhooks:manage')
  @ApiOperation({ summary: 'Change a webhook endpoint: url, events, description, enabled (webhooks:manage)' })
  @ApiOkResponse({ type: WebhookDto })
  update(@Param('id') id: string, @Body() dto: UpdateWebhookDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<WebhookDto> {
    return this.webhooks.update(actor, id, dto, request);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequirePermission('webhooks:manage')
  @ApiOperation({ summary: 'Delete a webhook endpoint and its deliveries (webhooks:manage)' })
  @ApiNoContentResponse()
  remove(@Param('id') id: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    return this.webhooks.remove(actor, id, request);
  }

  @Get(':id/deliveries')
  @RequirePermission('webhooks:read')
  @ApiOperation({ summary: "The endpoint's last 100 deliveries, newest first, with attempts and status codes (webhooks:read)" })
  @ApiOkResponse({ type: WebhookDeliveryListDto })
  async deliveries(@Param('id') id: string): Promise<WebhookDeliveryListDto> {
    return { items: await this.webhooks.deliveries(id) };
  }

  @Post(':id/deliveries/:delivery/redeliver')
  @HttpCode(HttpStatus.ACCEPTED)
  @RequirePermission('webhooks:manage')
  @ApiOperation({ summary: 'Send a delivery again from its first attempt, same webhook-id (webhooks:manage)' })
  @ApiAcceptedResponse()
  redeliver(@Param('id') id: string, @Param('delivery') delivery: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    return this.webhooks.redeliver(actor, id, delivery, request);
  }
}
