import { ApiProperty, ApiPropertyOptional } from '../../../core/open-api.js';
import { IsString, Matches } from '../../../core/class-validator.js';
import { StoredText } from '../../../core/field-rules.js';
import { OptionalField } from '../../../core/optional-field.decorator.js';
import { ListEnvelopeDto } from '../../../data/pagination/list-envelope.dto.js';
import { OrgRoleNames } from './member.dto.js';

/** Its name within the organization (2–63 characters); two organizations may each have one of the same name. */
export const ORG_SERVICE_ACCOUNT_NAME = /^[a-z0-9][a-z0-9_.-]{1,62}$/;

export class CreateOrgServiceAccountDto {
  @ApiProperty({ example: 'ci-deploy', description: 'Unique within the organization: 2–63 lowercase letters, digits, . _ -' })
  @IsString()
  @Matches(ORG_SERVICE_ACCOUNT_NAME, { message: 'name must be 2–63 lowercase letters, digits, . _ -' })
  name!: string;

  @ApiPropertyOptional({ example: 'deploys from CI', description: 'What the account is for' })
  @OptionalField()
  @StoredText(500)
  description?: string;

  @ApiPropertyOptional({ type: [String], example: ['reader'], description: 'Its org roles here (not owner), each within what you hold here; default `member`' })
  @OptionalField()
  @OrgRoleNames()
  roles?: string[];
}

export class OrgServiceAccountDto {
  @ApiProperty({ description: 'Service account id (UUID): the client_id of its client-credentials grant', example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' }) id!: string;
  @ApiProperty({ example: 'ci-deploy' }) name!: string;
  @ApiProperty({ type: String, nullable: true, example: 'deploys from CI' }) description!: string | null;
  @ApiProperty({ type: [String], example: ['reader'] }) roles!: string[];
  @ApiProperty({ description: 'When it was created (ISO 8601)', example: '2026-11-28T12:00:00.000Z' }) created_at!: string;
}

export class OrgServiceAccountListDto extends ListEnvelopeDto(OrgServiceAccountDto, 'service accounts') {}
