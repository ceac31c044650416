import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsString, Matches, MaxLength } from 'class-validator';
import { OptionalField } from '../../common/optional-field.decorator.js';

const ROLE_NAME = /^[a-z][a-z0-9_.-]{0,63}$/;
const PERMISSION = /^[a-z][a-z0-9_-]*:[a-z0-9_*-]+$/;

export class CreateRoleDto {
  @ApiProperty({ example: 'support' })
  @IsString()
  @Matches(ROLE_NAME, { message: 'name must be lowercase letters, digits, . _ - (at most 64)' })
  name!: string;

  @ApiPropertyOptional()
  @OptionalField()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiProperty({ type: [String], example: ['users:list', 'users:read'] })
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @Matches(PERMISSION, { each: true, message: 'each permission must look like resource:action' })
  permissions!: string[];
}

export class UpdateRoleDto {
  @ApiPropertyOptional()
  @OptionalField()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ type: [String] })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @Matches(PERMISSION, { each: true, message: 'each permission must look like resource:action' })
  permissions?: string[];
}

export class RoleDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ type: [String] }) permissions!: string[];
  @ApiProperty({ description: 'Declared in config: rewritten at every start' }) from_config!: boolean;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
}

export class RoleListDto {
  @ApiProperty({ type: [RoleDto] }) items!: RoleDto[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ description: 'true when total is an estimate (large lists), false when counted' }) total_is_estimate!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page' }) next_cursor!: string | null;
}
