import { ISO_DATE_TIME, parsedDate } from '../../core/field-rules.js';
import { Controller, Get, Query, UseGuards, UsePipes, UseInterceptors } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '../../core/open-api.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import { InjectRepository } from '@nestjs/typeorm';
import { IsIn, IsString, Matches, MaxLength } from '../../core/class-validator.js';
import type { Repository } from 'typeorm';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { RequirePermission } from '../../access/guard/require-permission.decorator.js';
import { ListPager } from '../../data/pagination/list-pager.js';
import { ListQueryDto } from '../../data/pagination/list-query.js';
import { fabricValidationPipe } from '../../http/validation.js';
import { type AuditDetails, AuditEventEntity } from '../../schema/entities/audit-event.entity.js';
import { OptionalField } from '../../core/optional-field.decorator.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';
import { ListEnvelopeDto } from '../../data/pagination/list-envelope.dto.js';
import { fabricError } from '../../core/fabric-error.js';

export class AuditQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ description: 'Actor id or name', example: 'alice' })
  @OptionalField()
  @IsString()
  @MaxLength(150)
  actor?: string;

  @ApiPropertyOptional({ example: 'login.failure', description: 'Event name' })
  @OptionalField()
  @IsString()
  @Matches(/^[a-z_.]{1,64}$/, { message: 'action must be an action name such as login.failure' })
  action?: string;

  @ApiPropertyOptional({ description: 'Target id (user id, session id, role name…)', example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' })
  @OptionalField()
  @IsString()
  @MaxLength(200)
  target?: string;

  @ApiPropertyOptional({ enum: ['success', 'failure'], description: 'Only successes or only failures', example: 'failure' })
  @OptionalField()
  @IsIn(['success', 'failure'])
  outcome?: string;

  @ApiPropertyOptional({ description: 'Date or date-time (ISO 8601 extended, e.g. 2026-11-28T12:00:00Z); events at or after', example: '2026-11-28T00:00:00Z' })
  @OptionalField()
  @IsString()
  @Matches(ISO_DATE_TIME, { message: 'since must be an ISO 8601 date or date-time such as 2026-11-28T12:00:00Z' })
  since?: string;

  @ApiPropertyOptional({ description: 'Date or date-time (ISO 8601 extended); events before', example: '2026-11-29' })
  @OptionalField()
  @IsString()
  @Matches(ISO_DATE_TIME, { message: 'until must be an ISO 8601 date or date-time such as 2026-11-28T12:00:00Z' })
  until?: string;

  @ApiPropertyOptional({
    enum: ['occurred_at', '-occurred_at'],
    default: '-occurred_at',
    description: 'Oldest first (occurred_at) or newest first (-occurred_at)',
    example: '-occurred_at',
  })
  @OptionalField()
  @IsIn(['occurred_at', '-occurred_at'])
  sort?: string;
}

export class AuditEventDto {
  @ApiProperty({ description: 'Event id (UUID)', example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' }) id!: string;
  @ApiProperty({ description: 'When it happened (ISO 8601)', example: '2026-11-28T12:00:00.000Z' }) occurred_at!: string;
  @ApiProperty({ description: 'Event name', example: 'login.failure' }) action!: string;
  @ApiProperty({ description: 'success or failure', example: 'failure' }) outcome!: string;
  @ApiProperty({ type: String, nullable: true, description: 'user or service_account; null when nobody was authenticated', example: 'user' }) actor_kind!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Id of the principal that acted', example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' }) actor_id!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Its username or name at the time', example: 'alice' }) actor_name!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'What was acted on', example: 'user' }) target_type!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Id of what was acted on', example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' }) target_id!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Client address', example: '203.0.113.7' }) ip!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Client user agent', example: 'curl/8.5.0' }) user_agent!: string | null;
  @ApiProperty({ type: Object, nullable: true, description: 'Event-specific facts; never a secret', example: { method: 'password' } }) details!: AuditDetails | null;
}

export class AuditListDto extends ListEnvelopeDto(AuditEventDto, 'audit events') {}

@ApiTags('audit')
@ApiFabricAuth()
@Controller('audit')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class AuditController {
  constructor(
    @InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>,
    private readonly pager: ListPager,
  ) {}

  @Get()
  @RequirePermission('audit:read')
  @ApiOperation({
    summary: 'The audit log (audit:read), newest first',
    description: 'Security events (logins, lockouts, user, role, key and session changes), filterable by actor, action, target, outcome and time. No secret is ever recorded.',
  })
  @ApiOkResponse({ type: AuditListDto })
  async list(@Query() query: AuditQueryDto): Promise<AuditListDto> {
    const since = parsedDate(query.since, 'since');
    const until = parsedDate(query.until, 'until');
    if (since && until && since >= until) throw fabricError('invalid_request', 'since must be before until');
    const base = this.events.createQueryBuilder('e');
    if (query.action) base.andWhere('e.action = :action', { action: query.action });
    if (query.target) base.andWhere('e.targetId = :target', { target: query.target });
    if (query.outcome) base.andWhere('e.outcome = :outcome', { outcome: query.outcome });
    if (since) base.andWhere('e.occurredAt >= :since', { since });
    if (until) base.andWhere('e.occurredAt < :until', { until });
    // actor is an id or a name: two index ranges ((actor_id|actor_name, occurred_at, id)), each
    // read in time order and merged, rather than an OR the planner may answer by walking the
    // time index and filtering.
    const branches = query.actor
      ? [
          { where: 'e.actorId = :actor', parameters: { actor: query.actor } },
          { where: 'e.actorName = :actor', parameters: { actor: query.actor } },
        ]
      : undefined;
    const sortName = query.sort ?? '-occurred_at';
    const filters = { action: query.action, target: query.target, outcome: query.outcome, actor: query.actor, since: since?.toISOString(), until: until?.toISOString() };
    const sort = { property: 'occurredAt', descending: sortName === '-occurred_at' };
    return this.pager.page(base, { list: 'audit', sortName, sort, branches, filters, query }, (rows) =>
      rows.map((e) => ({
        id: e.id,
        occurred_at: e.occurredAt.toISOString(),
        action: e.action,
        outcome: e.outcome,
        actor_kind: e.actorKind,
        actor_id: e.actorId,
        actor_name: e.actorName,
        target_type: e.targetType,
        target_id: e.targetId,
        ip: e.ip,
        user_agent: e.userAgent,
        details: e.details,
      })),
    );
  }
}
