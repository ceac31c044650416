import { BadRequestException, Controller, Get, Query, UseGuards, UsePipes } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { And, type FindOptionsWhere, LessThan, MoreThanOrEqual, type Repository } from 'typeorm';
import { FabricGuard } from '../authz/fabric.guard.js';
import { RequirePermission } from '../authz/require-permission.decorator.js';
import { ListQueryDto, pageOf } from '../common/list-query.js';
import { fabricValidationPipe } from '../common/validation.js';
import { type AuditDetails, AuditEventEntity } from './audit-event.entity.js';

export class AuditQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ description: 'Actor id or name' })
  @IsOptional()
  @IsString()
  @MaxLength(150)
  actor?: string;

  @ApiPropertyOptional({ example: 'login.failure' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z_.]{1,64}$/, { message: 'action must be an action name such as login.failure' })
  action?: string;

  @ApiPropertyOptional({ description: 'Target id (user id, session id, role name…)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  target?: string;

  @ApiPropertyOptional({ enum: ['success', 'failure'] })
  @IsOptional()
  @IsIn(['success', 'failure'])
  outcome?: string;

  @ApiPropertyOptional({ description: 'ISO 8601; events at or after' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({ description: 'ISO 8601; events before' })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;

  @ApiPropertyOptional({ enum: ['occurred_at', '-occurred_at'], default: '-occurred_at' })
  @IsOptional()
  @IsIn(['occurred_at', '-occurred_at'])
  sort?: string;
}

export class AuditEventDto {
  @ApiProperty() id!: string;
  @ApiProperty() occurred_at!: string;
  @ApiProperty() action!: string;
  @ApiProperty() outcome!: string;
  @ApiProperty({ type: String, nullable: true }) actor_kind!: string | null;
  @ApiProperty({ type: String, nullable: true }) actor_id!: string | null;
  @ApiProperty({ type: String, nullable: true }) actor_name!: string | null;
  @ApiProperty({ type: String, nullable: true }) target_type!: string | null;
  @ApiProperty({ type: String, nullable: true }) target_id!: string | null;
  @ApiProperty({ type: String, nullable: true }) ip!: string | null;
  @ApiProperty({ type: String, nullable: true }) user_agent!: string | null;
  @ApiProperty({ type: Object, nullable: true }) details!: AuditDetails | null;
}

export class AuditListDto {
  @ApiProperty({ type: [AuditEventDto] }) items!: AuditEventDto[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

@ApiTags('audit')
@ApiBearerAuth()
@ApiSecurity('api_key')
@ApiCookieAuth()
@Controller('audit')
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class AuditController {
  constructor(@InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>) {}

  @Get()
  @RequirePermission('audit:read')
  @ApiOperation({ summary: 'The audit log (audit:read), newest first' })
  @ApiOkResponse({ type: AuditListDto })
  async list(@Query() query: AuditQueryDto): Promise<AuditListDto> {
    const { limit, offset } = pageOf(query);
    const base: FindOptionsWhere<AuditEventEntity> = {};
    if (query.action) base.action = query.action;
    if (query.target) base.targetId = query.target;
    if (query.outcome) base.outcome = query.outcome;
    const since = query.since ? new Date(query.since) : undefined;
    const until = query.until ? new Date(query.until) : undefined;
    if (since && until && since >= until) throw new BadRequestException('since must be before until');
    if (since && until) base.occurredAt = And(MoreThanOrEqual(since), LessThan(until));
    else if (since) base.occurredAt = MoreThanOrEqual(since);
    else if (until) base.occurredAt = LessThan(until);
    const where = query.actor ? [{ ...base, actorId: query.actor }, { ...base, actorName: query.actor }] : base;
    const [rows, total] = await this.events.findAndCount({
      where,
      order: { occurredAt: query.sort === 'occurred_at' ? 'ASC' : 'DESC', id: 'ASC' },
      take: limit,
      skip: offset,
    });
    return {
      items: rows.map((e) => ({
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
      total,
      limit,
      offset,
    };
  }
}
