import { ApiProperty } from '../../../core/open-api.js';
import { ListEnvelopeDto } from '../../../data/pagination/list-envelope.dto.js';

export class IdentityDto {
  @ApiProperty({ description: 'Id of the link (UUID), for unlinking', example: '5b2e1f7a-3c4d-4e8a-9c61-2d5b8f0a4e17' }) id!: string;
  @ApiProperty({ description: 'Name of the configured provider the identity was linked through', example: 'oidc' }) provider!: string;
  @ApiProperty({ description: "The provider's issuer URL", example: 'https://login.example.com' }) issuer!: string;
  @ApiProperty({ description: "The person's `sub` at the issuer", example: '248289761001' }) subject!: string;
  @ApiProperty({ type: String, nullable: true, description: "The provider's email claim when the identity was linked", example: 'alice@example.com' }) email!: string | null;
  @ApiProperty({ description: 'When it was linked (ISO 8601)', example: '2026-11-28T12:00:00.000Z' }) created_at!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Last sign-in through it (ISO 8601), null if never', example: '2026-11-28T12:00:00.000Z' }) last_login_at!:
    string | null;
}

export class IdentityListDto extends ListEnvelopeDto(IdentityDto, 'identities') {}
