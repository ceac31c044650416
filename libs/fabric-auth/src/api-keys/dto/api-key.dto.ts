import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { OptionalField } from '../../common/optional-field.decorator.js';

const PERMISSION = /^[a-z][a-z0-9_-]*:[a-z0-9_*-]+$/;

export class CreateApiKeyDto {
  @ApiProperty({ example: 'ci-deploy' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[^\u0000-\u001f\u007f]+$/, { message: 'name must not contain control characters' })
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
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3650)
  expires_in_days?: number;
}

export class ApiKeyDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'The first characters of the raw key' }) prefix!: string;
  @ApiProperty({ type: [String], nullable: true, description: 'null: the owner’s permissions' }) scopes!: string[] | null;
  @ApiProperty({ type: String, nullable: true }) expires_at!: string | null;
  @ApiProperty() created_at!: string;
  @ApiProperty({ type: String, nullable: true }) last_used_at!: string | null;
  @ApiProperty() use_count!: number;
  @ApiProperty({ type: String, nullable: true }) revoked_at!: string | null;
}

export class CreatedApiKeyDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'The raw key: shown in this answer only' }) key!: string;
  @ApiProperty() prefix!: string;
  @ApiProperty({ type: [String], nullable: true }) scopes!: string[] | null;
  @ApiProperty({ type: String, nullable: true }) expires_at!: string | null;
  @ApiProperty() created_at!: string;
}

export class ApiKeyListDto {
  @ApiProperty({ type: [ApiKeyDto] }) items!: ApiKeyDto[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ description: 'true when total is an estimate (large lists), false when counted' }) total_is_estimate!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page' }) next_cursor!: string | null;
}
