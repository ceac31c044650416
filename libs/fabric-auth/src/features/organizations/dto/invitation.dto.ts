import { ApiProperty, ApiPropertyOptional } from '../../../core/open-api.js';
import { IsString, MaxLength } from '../../../core/class-validator.js';
import { IdentityEmail } from '../../../core/field-rules.js';
import { OptionalField } from '../../../core/optional-field.decorator.js';
import { ListEnvelopeDto } from '../../../data/pagination/list-envelope.dto.js';
import { OrgRoleNames } from './member.dto.js';
import { OrganizationDto } from './organization.dto.js';

export class CreateInvitationDto {
  @ApiProperty({ example: 'bob@acme.example', description: 'Whoever accepts must have verified this address' })
  @IdentityEmail()
  email!: string;

  @ApiPropertyOptional({ type: [String], example: ['member'], description: 'Org roles given on accepting, each within what you hold here; default `member`' })
  @OptionalField()
  @OrgRoleNames()
  roles?: string[];
}

export class AcceptInvitationDto {
  @ApiProperty({ description: 'The invitation token', example: 'q2Vh0kYb5l4mN8sT1xW7zA3cE6fJ9gL0pR2uY5iO8wD' })
  @IsString()
  @MaxLength(128)
  token!: string;
}

export class InvitationDto {
  @ApiProperty({ description: 'Invitation id (UUID)', example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' }) id!: string;
  @ApiProperty({ example: 'bob@acme.example' }) email!: string;
  @ApiProperty({ type: [String], example: ['member'] }) roles!: string[];
  @ApiProperty({ enum: ['pending', 'accepted', 'expired'], example: 'pending' }) status!: 'pending' | 'accepted' | 'expired';
  @ApiProperty({ example: '2026-11-28T12:00:00.000Z' }) created_at!: string;
  @ApiProperty({ example: '2026-12-05T12:00:00.000Z' }) expires_at!: string;
  @ApiProperty({ type: String, nullable: true, example: null }) accepted_at!: string | null;
}

export class CreatedInvitationDto extends InvitationDto {
  @ApiProperty({ description: 'The raw token, in this answer only (also sent to the invitee)', example: 'q2Vh0kYb5l4mN8sT1xW7zA3cE6fJ9gL0pR2uY5iO8wD' }) token!: string;
}

export class InvitationListDto extends ListEnvelopeDto(InvitationDto, 'invitations') {}

export class AcceptedInvitationDto {
  @ApiProperty({ type: OrganizationDto }) organization!: OrganizationDto;
  @ApiProperty({ type: [String], description: 'Your org roles there', example: ['member'] }) roles!: string[];
}
