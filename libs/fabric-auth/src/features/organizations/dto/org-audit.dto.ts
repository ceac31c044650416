import { ISO_DATE_TIME } from '../../../core/field-rules.js';
import { IsIn, IsString, Matches } from '../../../core/class-validator.js';
import { ApiProperty, ApiPropertyOptional } from '../../../core/open-api.js';
import { OptionalField } from '../../../core/optional-field.decorator.js';
import { ListEnvelopeDto } from '../../../data/pagination/list-envelope.dto.js';
import { ListQueryDto } from '../../../data/pagination/list-query.js';
import type { AuditDetails } from '../../../schema/entities/audit-event.entity.js';

export class OrgAuditQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ example: 'organization.member.add', description: 'Event name' })
  @OptionalField()
  @IsString()
  @Matches(/^[a-z_.]{1,64}$/, { message: 'action must be an action name such as organization.member.add' })
  action?: string;

  @ApiPropertyOptional({ enum: ['success', 'failure'], description: 'Only successes or only failures', example: 'success' })
  @OptionalField()
  @IsIn(['success', 'failure'])
  outcome?: string;

  @ApiPropertyOptional({ description: 'Date or date-time (ISO 8601 extended); events at or after', example: '2026-11-28T00:00:00Z' })
  @OptionalField()
  @IsString()
  @Matches(ISO_DATE_TIME, { message: 'since must be an ISO 8601 date or date-time such as 2026-11-28T12:00:00Z' })
  since?: string;

  @ApiPropertyOptional({ description: 'Date or date-time (ISO 8601 extended); events before', example: '2026-11-29' })
  @OptionalField()
  @IsString()
  @Matches(ISO_DATE_TIME, { message: 'until must be an ISO 8601 date or date-time such as 2026-11-28T12:00:00Z' })
  until?: string;

  @ApiPropertyOptional({ enum: ['occurred_at', '-occurred_at'], default: '-occurred_at', description: 'Oldest first or newest first', example: '-occurred_at' })
  @OptionalField()
  @IsIn(['occurred_at', '-occurred_at'])
  sort?: string;
}

/** An event of the organization; the client address and agent stay in the platform's log. */
export class OrgAuditEventDto {
  @ApiProperty({ description: 'Event id (UUID)', example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' }) id!: string;
  @ApiProperty({ description: 'When it happened (ISO 8601)', example: '2026-11-28T12:00:00.000Z' }) occurred_at!: string;
  @ApiProperty({ description: 'Event name', example: 'organization.member.add' }) action!: string;
  @ApiProperty({ description: 'success or failure', example: 'success' }) outcome!: string;
  @ApiProperty({ type: String, nullable: true, description: 'user or service_account', example: 'user' }) actor_kind!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Id of the principal that acted', example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' }) actor_id!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Its username or name at the time', example: 'alice' }) actor_name!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'What was acted on', example: 'user' }) target_type!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Id of what was acted on', example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' }) target_id!: string | null;
  @ApiProperty({ type: Object, nullable: true, description: 'Event-specific facts; never a secret', example: { roles: 'member' } }) details!: AuditDetails | null;
}

export class OrgAuditListDto extends ListEnvelopeDto(OrgAuditEventDto, 'audit events') {}
