import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '../../../core/open-api.js';
import { ArrayMaxSize, IsArray, IsString, Matches, MaxLength } from '../../../core/class-validator.js';
import { StoredText } from '../../../core/field-rules.js';
import { OptionalField } from '../../../core/optional-field.decorator.js';
import { ORG_ROLE_NAME } from './member.dto.js';

const OrgPermissions = () => applyDecorators(IsArray(), ArrayMaxSize(100), IsString({ each: true }), MaxLength(100, { each: true }));

export class CreateOrgRoleDto {
  @ApiProperty({ example: 'billing', description: 'Lowercase letters, digits, . _ - (at most 64); not a template role' })
  @IsString()
  @Matches(ORG_ROLE_NAME, { message: 'name must be lowercase letters, digits, . _ - (at most 64)' })
  name!: string;

  @ApiPropertyOptional({ example: 'Sees invoices' })
  @OptionalField()
  @StoredText(500)
  description?: string;

  @ApiProperty({ type: [String], example: ['org:audit:read'], description: '`org:*` permissions and the app’s own, each held by you here' })
  @OrgPermissions()
  permissions!: string[];
}

export class UpdateOrgRoleDto {
  @ApiPropertyOptional({ example: 'Sees invoices' })
  @OptionalField()
  @StoredText(500)
  description?: string;

  @ApiPropertyOptional({ type: [String], example: ['org:audit:read'], description: "Replaces the role's permissions, each held by you here" })
  @OptionalField()
  @OrgPermissions()
  permissions?: string[];
}

export class OrgRoleDto {
  @ApiProperty({ example: 'billing' }) name!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Sees invoices' }) description!: string | null;
  @ApiProperty({ type: [String], example: ['org:audit:read'] }) permissions!: string[];
  @ApiProperty({ description: 'From the configured template (auth.organizations.roles): read-only here', example: false }) from_template!: boolean;
}

export class OrgRoleListDto {
  @ApiProperty({ type: [OrgRoleDto], description: 'The template roles, then the organization’s own by name (at most 100 of those)' }) items!: OrgRoleDto[];
}
