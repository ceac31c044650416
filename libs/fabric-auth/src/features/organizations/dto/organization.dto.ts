import { domainToASCII } from 'node:url';
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '../../../core/open-api.js';
import { Transform, Type } from '../../../core/class-transformer.js';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsString, Matches, MaxLength, ValidateBy, ValidateNested } from '../../../core/class-validator.js';
import { DisplayName, INVISIBLE_CHARACTERS } from '../../../core/field-rules.js';
import { OptionalField } from '../../../core/optional-field.decorator.js';
import { ListEnvelopeDto } from '../../../data/pagination/list-envelope.dto.js';
import { ListQueryDto } from '../../../data/pagination/list-query.js';
import { normalizeSlug, SLUG_RULE } from '../organization-slug.js';

/** NFKC, lower case; a slug that is not one stays as sent, for the rule below to refuse. */
const SlugField = () =>
  applyDecorators(
    Transform(({ value }) => (typeof value === 'string' && value.length <= 255 ? (normalizeSlug(value) ?? value) : value)),
    ValidateBy({ name: 'organizationSlug', validator: { validate: (v: unknown) => typeof v === 'string' && normalizeSlug(v) === v, defaultMessage: () => SLUG_RULE } }),
  );

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * An email domain in its ASCII (IDNA) form, lower case. Invisible characters are refused
 * rather than dropped (IDNA would map a soft hyphen to nothing: `ex\u00ADample.com` would
 * silently claim `example.com`).
 */
export const DomainField = ({ each = false } = {}) =>
  applyDecorators(
    Transform(({ value }) => (each && Array.isArray(value) ? value.map(asciiDomain) : asciiDomain(value))),
    IsString({ each }),
    Matches(HOST_NAME, { each, message: 'each domain must be a domain name (example.com)' }),
  );

/** Lower case, NFKC, without the root's trailing dot, IDNA (punycode) form; a value that is none stays as sent for the rule to refuse. */
export function asciiDomain(value: unknown): unknown {
  if (typeof value !== 'string' || value.length > 254 || INVISIBLE_CHARACTERS.test(value)) return value;
  const name = value.normalize('NFKC').toLowerCase();
  return domainToASCII(name.endsWith('.') ? name.slice(0, -1) : name) || value;
}

export class CreateOrganizationDto {
  @ApiProperty({ example: 'acme', description: '2–63 lowercase letters, digits and hyphens; unique, and not a look-alike of an existing slug' })
  @SlugField()
  slug!: string;

  @ApiProperty({ example: 'Acme Corporation', description: 'Display name' })
  @DisplayName(200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  @ApiPropertyOptional({ type: [String], example: ['acme.example'], description: 'Email domains the organization claims; unverified until a platform admin verifies them' })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(20)
  @DomainField({ each: true })
  domains?: string[];

  @ApiPropertyOptional({
    example: 'alice',
    description: 'Username of the first owner (holders of orgs:create only); default: you',
  })
  @OptionalField()
  @IsString()
  @MaxLength(150)
  owner?: string;
}

export class OrganizationDomainDto {
  @ApiProperty({ example: 'acme.example', description: 'Email domain (ASCII form)' })
  @DomainField()
  domain!: string;

  @ApiPropertyOptional({ example: true, description: 'Verified: only a platform admin (orgs:manage) sets it; default: as it was (false for a new domain)' })
  @OptionalField()
  @IsBoolean()
  verified?: boolean;
}

export class UpdateOrganizationDto {
  @ApiPropertyOptional({ example: 'acme-corp', description: 'A new slug, by the same rules; the old one stops naming the organization' })
  @OptionalField()
  @SlugField()
  slug?: string;

  @ApiPropertyOptional({ example: 'Acme Corporation', description: 'Display name' })
  @OptionalField()
  @DisplayName(200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;

  @ApiPropertyOptional({ example: true, description: 'Members need a second factor' })
  @OptionalField()
  @IsBoolean()
  mfa_required?: boolean;

  @ApiPropertyOptional({ type: [OrganizationDomainDto], description: "Replaces the organization's domains" })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => OrganizationDomainDto)
  domains?: OrganizationDomainDto[];
}

export class ListOrganizationsQueryDto extends ListQueryDto {
  @ApiPropertyOptional({
    enum: ['member', 'all'],
    description: '`member`: the organizations you belong to; `all` (orgs:list): every one. Default: `all` with orgs:list, else `member`',
    example: 'member',
  })
  @OptionalField()
  @IsIn(['member', 'all'], { message: 'scope must be member or all' })
  scope?: 'member' | 'all';
}

export class DomainViewDto {
  @ApiProperty({ example: 'acme.example' }) domain!: string;
  @ApiProperty({ example: false, description: 'Counts for joining by email domain only once verified' }) verified!: boolean;
}

export class OrganizationDto {
  @ApiProperty({ description: 'Organization id (UUID)', example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' }) id!: string;
  @ApiProperty({ example: 'acme' }) slug!: string;
  @ApiProperty({ example: 'Acme Corporation' }) name!: string;
  @ApiProperty({ type: [DomainViewDto] }) domains!: DomainViewDto[];
  @ApiProperty({ example: false, description: 'Members need a second factor' }) mfa_required!: boolean;
  @ApiProperty({ description: 'When it was created (ISO 8601)', example: '2026-11-28T12:00:00.000Z' }) created_at!: string;
}

export class OrganizationSummaryDto {
  @ApiProperty({ description: 'Organization id (UUID)', example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' }) id!: string;
  @ApiProperty({ example: 'acme' }) slug!: string;
  @ApiProperty({ example: 'Acme Corporation' }) name!: string;
  @ApiProperty({ example: false }) mfa_required!: boolean;
  @ApiProperty({ example: '2026-11-28T12:00:00.000Z' }) created_at!: string;
  @ApiPropertyOptional({ type: [String], description: 'Your org roles there (listing your own organizations)', example: ['owner'] }) roles?: string[];
}

export class OrganizationListDto extends ListEnvelopeDto(OrganizationSummaryDto, 'organizations') {}
