import { ApiProperty, ApiPropertyOptional } from '../../../core/open-api.js';
import { ArrayMaxSize, IsArray, IsString, Matches, MinLength } from '../../../core/class-validator.js';
import { DisplayName, IntegerField } from '../../../core/field-rules.js';
import { OptionalField } from '../../../core/optional-field.decorator.js';
import { ListEnvelopeDto } from '../../../data/pagination/list-envelope.dto.js';

const PERMISSION = /^[a-z][a-z0-9_-]*:[a-z0-9_*-]+$/;

export class CreateApiKeyDto {
  @ApiProperty({ example: 'ci-deploy', description: 'A label for the key, shown in listings' })
  @DisplayName(100)
  @MinLength(1)
  name!: string;

  @ApiPropertyOptional({ type: [String], example: ['audit:read', 'users:read'], description: 'Absent: the owner’s permissions' })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @Matches(PERMISSION, { each: true, message: 'each scope must be a permission name' })
  scopes?: string[];

  @ApiPropertyOptional({ example: 90, description: 'Default and maximum set by auth.api_key_default_days / api_key_max_days' })
  @OptionalField()
  @IntegerField(1, 3650)
  expires_in_days?: number;
}

export class ApiKeyDto {
  @ApiProperty({ description: 'Key id (UUID)', example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' }) id!: string;
  @ApiProperty({ description: "The key's label", example: 'ci-deploy' }) name!: string;
  @ApiProperty({ description: 'The first characters of the raw key', example: 'fab_3kQ9' }) prefix!: string;
  @ApiProperty({ type: [String], nullable: true, description: 'null: the owner’s permissions', example: ['audit:read'] }) scopes!: string[] | null;
  @ApiProperty({ type: String, nullable: true, description: 'When the key stops working (ISO 8601)', example: '2026-11-28T12:00:00.000Z' }) expires_at!: string | null;
  @ApiProperty({ description: 'When the key was created (ISO 8601)', example: '2026-11-28T12:00:00.000Z' }) created_at!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Last authenticated use (ISO 8601, updated every few seconds)', example: '2026-11-28T12:00:00.000Z' }) last_used_at!:
    string | null;
  @ApiProperty({ description: 'Authenticated uses so far', example: 42 }) use_count!: number;
  @ApiProperty({ type: String, nullable: true, description: 'When it was revoked; null while usable', example: null }) revoked_at!: string | null;
}

export class CreatedApiKeyDto {
  @ApiProperty({ description: 'Key id (UUID)', example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' }) id!: string;
  @ApiProperty({ description: "The key's label", example: 'ci-deploy' }) name!: string;
  @ApiProperty({ description: 'The raw key: shown in this answer only', example: 'fab_3kQ9vN8xZ2mR5tW9yB1cF4hJ7lP0sD6gA2eR3uI1oP4k0Xb2Yc4' }) key!: string;
  @ApiProperty({ description: 'The first characters of the key, as listings show it', example: 'fab_3kQ9' }) prefix!: string;
  @ApiProperty({ type: [String], nullable: true, description: "null: the owner's permissions", example: ['audit:read'] }) scopes!: string[] | null;
  @ApiProperty({ type: String, nullable: true, description: 'When the key stops working (ISO 8601)', example: '2026-11-28T12:00:00.000Z' }) expires_at!: string | null;
  @ApiProperty({ description: 'When the key was created (ISO 8601)', example: '2026-11-28T12:00:00.000Z' }) created_at!: string;
}

export class ApiKeyListDto extends ListEnvelopeDto(ApiKeyDto, 'API keys') {}
