import { ApiProperty } from '../../../core/open-api.js';
import { DomainField } from './organization.dto.js';

export class ClaimDomainDto {
  @ApiProperty({ example: 'acme.example', description: 'An email domain; stored lower case in its ASCII (IDNA) form, without a trailing dot' })
  @DomainField()
  domain!: string;
}

export class DomainVerificationDto {
  @ApiProperty({ example: 'dns_txt', description: 'The only method an organization uses itself; a platform admin may also confirm a claim directly' })
  method!: 'dns_txt';
  @ApiProperty({ example: '_fabric-auth.acme.example', description: 'Where to publish the TXT record' })
  record_name!: string;
  @ApiProperty({ example: 'fabric-auth-domain-verification=4f0c…', description: 'What the TXT record holds (one of the records at that name)' })
  record_value!: string;
}

export class OrganizationDomainClaimDto {
  @ApiProperty({ example: 'acme.example' }) domain!: string;
  @ApiProperty({ example: false, description: 'Counts (joining by email domain, SSO discovery) only once verified' }) verified!: boolean;
  @ApiProperty({ enum: ['dns', 'admin'], nullable: true, example: null, description: 'How it was verified: its TXT record, or a platform admin' }) verified_by!:
    'dns' | 'admin' | null;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'ISO 8601' }) verified_at!: string | null;
  @ApiProperty({ type: DomainVerificationDto, nullable: true, description: 'How to prove the claim; null once verified' })
  verification!: DomainVerificationDto | null;
  @ApiProperty({ example: '2026-12-06T11:50:00.000Z' }) created_at!: string;
}

export class OrganizationDomainListDto {
  @ApiProperty({ type: [OrganizationDomainClaimDto] }) items!: OrganizationDomainClaimDto[];
}
