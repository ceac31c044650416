import { ApiProperty, ApiPropertyOptional } from '../../../core/open-api.js';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, Matches } from '../../../core/class-validator.js';
import { FABRIC_EVENT_TYPES } from '../../../core/fabric-event-catalog.js';
import { DisplayName, StoredText } from '../../../core/field-rules.js';
import { OptionalField } from '../../../core/optional-field.decorator.js';

const EVENT_NAMES = [...FABRIC_EVENT_TYPES, '*'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://hooks.example.com/fabric', description: 'https only (http and private addresses only with auth.webhooks.allow_private_targets)' })
  @StoredText(2048)
  url!: string;

  @ApiProperty({ example: ['user.created', 'login.failed'], description: 'Event types to receive, or ["*"] for all' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsIn(EVENT_NAMES, { each: true, message: 'events must name event types (see the README) or "*"' })
  events!: string[];

  @ApiPropertyOptional({ description: "An organization's id: the endpoint then receives that organization's events only" })
  @OptionalField()
  @Matches(UUID, { message: 'org must be an organization id' })
  org?: string;

  @ApiPropertyOptional({ example: 'CRM sync' })
  @OptionalField()
  @DisplayName(200)
  description?: string;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional()
  @OptionalField()
  @StoredText(2048)
  url?: string;

  @ApiPropertyOptional({ example: ['*'] })
  @OptionalField()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsIn(EVENT_NAMES, { each: true, message: 'events must name event types (see the README) or "*"' })
  events?: string[];

  @ApiPropertyOptional({ description: 'false pauses deliveries; true re-enables an endpoint (also one the failure streak disabled)' })
  @OptionalField()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional()
  @OptionalField()
  @DisplayName(200)
  description?: string;
}

export class WebhookDto {
  @ApiProperty() id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ type: [String] }) events!: string[];
  @ApiProperty({ nullable: true, type: String }) org!: string | null;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ nullable: true, type: String, description: 'Why the library disabled it (the failure streak)' }) disabled_reason!: string | null;
  @ApiProperty() failure_streak!: number;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
}

export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'The signing secret (Standard Webhooks): in this answer only' })
  secret!: string;
}

export class WebhookAttemptDto {
  @ApiProperty({ description: 'When the attempt started (ISO 8601)' }) at!: string;
  @ApiProperty({ nullable: true, type: Number, description: "The receiver's HTTP status; null when it did not answer" }) status_code!: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'Why it failed without an answer (timeout, refused target, connection error)' }) error!: string | null;
  @ApiProperty() duration_ms!: number;
}

export class WebhookDeliveryDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'The webhook-id header: the same on every attempt' }) event_id!: string;
  @ApiProperty() event_type!: string;
  @ApiProperty({ enum: ['pending', 'delivering', 'succeeded', 'failed'] }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ nullable: true, type: Number }) last_status_code!: number | null;
  @ApiProperty({ nullable: true, type: String }) last_error!: string | null;
  @ApiProperty({ nullable: true, type: String }) last_attempt_at!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'When the next attempt is due (pending only)' }) next_attempt_at!: string | null;
  @ApiProperty() created_at!: string;
  @ApiProperty({ type: [WebhookAttemptDto], description: 'The last 10 attempts, oldest first (also those before a redelivery)' })
  recent_attempts!: WebhookAttemptDto[];
}

export class WebhookDeliveryListDto {
  @ApiProperty({ type: [WebhookDeliveryDto] }) items!: WebhookDeliveryDto[];
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookDto] }) items!: WebhookDto[];
}
