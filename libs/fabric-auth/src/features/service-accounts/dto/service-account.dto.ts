import { ApiProperty, ApiPropertyOptional, PartialType } from '../../../core/open-api.js';
import { ArrayMaxSize, IsArray, IsIn, IsString, Matches } from '../../../core/class-validator.js';
import { StoredText } from '../../../core/field-rules.js';
import { ListQueryDto } from '../../../data/pagination/list-query.js';
import { OptionalField } from '../../../core/optional-field.decorator.js';
import { ListEnvelopeDto } from '../../../data/pagination/list-envelope.dto.js';

const NAME = /^[a-z0-9][a-z0-9_.-]{1,99}$/;
const ROLE_NAME = /^[a-z][a-z0-9_.-]{0,63}$/;

export class CreateServiceAccountDto {
  @ApiProperty({ example: 'data-pipeline', description: 'Unique name of the account' })
  @IsString()
  @Matches(NAME, { message: 'name must be 2–100 lowercase letters, digits, . _ -' })
  name!: string;

  @ApiPropertyOptional({ example: 'nightly ETL job', description: 'What the account is for' })
  @OptionalField()
  @StoredText(500)
  description?: string;

  @ApiPropertyOptional({ type: [String], description: 'Role names; only roles whose permissions you hold', example: ['auditor'] })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Matches(ROLE_NAME, { each: true, message: 'each role must be a role name' })
  roles?: string[];
}

export class UpdateServiceAccountDto extends PartialType(CreateServiceAccountDto, { skipNullProperties: false }) {}

export class ListServiceAccountsQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Only active (true) or deactivated (false) accounts', example: 'true' })
  @OptionalField()
  @IsIn(['true', 'false'], { message: 'is_active must be true or false' })
  is_active?: 'true' | 'false';
}

export class ServiceAccountDto {
  @ApiProperty({ description: 'Service account id (UUID)', example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' }) id!: string;
  @ApiProperty({ description: 'Unique name', example: 'data-pipeline' }) name!: string;
  @ApiProperty({ type: String, nullable: true, description: 'What the account is for', example: 'nightly ETL job' }) description!: string | null;
  @ApiProperty({ description: 'false once deactivated: its keys are refused', example: true }) is_active!: boolean;
  @ApiProperty({ type: [String], description: 'Names of the roles assigned', example: ['auditor'] }) roles!: string[];
  @ApiProperty({ description: 'When the account was created (ISO 8601)', example: '2026-11-28T12:00:00.000Z' }) created_at!: string;
}

export class ServiceAccountListDto extends ListEnvelopeDto(ServiceAccountDto, 'service accounts') {}
