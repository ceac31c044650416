import { ApiProperty, ApiPropertyOptional } from '../../../core/open-api.js';
import { ArrayMaxSize, IsArray, IsString, Matches } from '../../../core/class-validator.js';
import { StoredText } from '../../../core/field-rules.js';
import { OptionalField } from '../../../core/optional-field.decorator.js';
import { ListEnvelopeDto } from '../../../data/pagination/list-envelope.dto.js';

const ROLE_NAME = /^[a-z][a-z0-9_.-]{0,63}$/;
const PERMISSION = /^[a-z][a-z0-9_-]*:[a-z0-9_*-]+$/;

export class CreateRoleDto {
  @ApiProperty({ example: 'support', description: 'Role name: lower case letters, digits, _ and -' })
  @IsString()
  @Matches(ROLE_NAME, { message: 'name must be lowercase letters, digits, . _ - (at most 64)' })
  name!: string;

  @ApiPropertyOptional({ description: 'What the role is for', example: 'Answers support tickets' })
  @OptionalField()
  @StoredText(500)
  description?: string;

  @ApiProperty({ type: [String], example: ['users:list', 'users:read'], description: 'Registered permissions, each held by you' })
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @Matches(PERMISSION, { each: true, message: 'each permission must look like resource:action' })
  permissions!: string[];
}

export class UpdateRoleDto {
  @ApiPropertyOptional({ description: 'What the role is for', example: 'Answers support tickets' })
  @OptionalField()
  @StoredText(500)
  description?: string;

  @ApiPropertyOptional({ type: [String], description: "Replaces the role's permissions; each registered and held by you", example: ['users:list', 'users:read'] })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @Matches(PERMISSION, { each: true, message: 'each permission must look like resource:action' })
  permissions?: string[];
}

export class RoleDto {
  @ApiProperty({ description: 'Role id (UUID)', example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' }) id!: string;
  @ApiProperty({ description: 'Role name', example: 'support' }) name!: string;
  @ApiProperty({ type: String, nullable: true, description: 'What the role is for', example: 'Answers support tickets' }) description!: string | null;
  @ApiProperty({ type: [String], description: 'Permissions the role grants', example: ['users:list', 'users:read'] }) permissions!: string[];
  @ApiProperty({ description: 'Declared in config: rewritten at every start', example: false }) from_config!: boolean;
  @ApiProperty({ description: 'When the role was created (ISO 8601)', example: '2026-11-28T12:00:00.000Z' }) created_at!: string;
  @ApiProperty({ description: 'Last change (ISO 8601)', example: '2026-11-28T12:00:00.000Z' }) updated_at!: string;
}

export class RoleListDto extends ListEnvelopeDto(RoleDto, 'roles') {}
