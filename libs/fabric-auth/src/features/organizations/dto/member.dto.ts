import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '../../../core/open-api.js';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Matches, MaxLength } from '../../../core/class-validator.js';
import { OptionalField } from '../../../core/optional-field.decorator.js';
import { ListEnvelopeDto } from '../../../data/pagination/list-envelope.dto.js';

export const ORG_ROLE_NAME = /^[a-z][a-z0-9_.-]{0,63}$/;

/** One to twenty org role names. */
export const OrgRoleNames = () =>
  applyDecorators(IsArray(), ArrayMinSize(1), ArrayMaxSize(20), IsString({ each: true }), Matches(ORG_ROLE_NAME, { each: true, message: 'each role must be a role name' }));

export class AddMemberDto {
  @ApiProperty({ example: 'alice', description: 'Username of an existing, active account' })
  @IsString()
  @MaxLength(150)
  username!: string;

  @ApiPropertyOptional({ type: [String], example: ['member'], description: 'Org roles, each within what you hold here; default `member`' })
  @OptionalField()
  @OrgRoleNames()
  roles?: string[];
}

export class UpdateMemberDto {
  @ApiProperty({ type: [String], example: ['admin'], description: "Replaces the member's org roles; what you add or take away must be within what you hold here" })
  @OrgRoleNames()
  roles!: string[];
}

export class MemberDto {
  @ApiProperty({ description: 'User id (UUID)', example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' }) user_id!: string;
  @ApiProperty({ example: 'alice' }) username!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Alice Example' }) full_name!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Shown to holders of org:members:manage', example: 'alice@acme.example' }) email?: string | null;
  @ApiProperty({ type: [String], example: ['admin'] }) roles!: string[];
  @ApiProperty({ description: 'When they joined (ISO 8601)', example: '2026-11-28T12:00:00.000Z' }) joined_at!: string;
}

export class MemberListDto extends ListEnvelopeDto(MemberDto, 'members') {}
