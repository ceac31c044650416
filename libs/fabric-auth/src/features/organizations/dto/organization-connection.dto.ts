import { Type } from '../../../core/class-transformer.js';
import { IsBoolean, IsIn, IsString, Matches, MaxLength, MinLength, ValidateBy, ValidateNested } from '../../../core/class-validator.js';
import { DisplayName, INVISIBLE_CHARACTERS, MaxStoredLength } from '../../../core/field-rules.js';
import { ApiProperty, ApiPropertyOptional } from '../../../core/open-api.js';
import { OptionalField } from '../../../core/optional-field.decorator.js';
import { ORG_ROLE_NAME } from './member.dto.js';

/** IdP metadata inline at most: a large federation file is given by URL. */
export const MAX_INLINE_METADATA = 256 * 1024;
const MAX_MAPPED_VALUES = 100;

/** Claim value → org role names: at most 100 values, each mapping to 1–20 roles. */
function isRoleMapping(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  return (
    entries.length <= MAX_MAPPED_VALUES &&
    entries.every(
      ([claim, roles]) =>
        claim.length > 0 &&
        claim.length <= 200 &&
        !INVISIBLE_CHARACTERS.test(claim) &&
        Array.isArray(roles) &&
        roles.length > 0 &&
        roles.length <= 20 &&
        roles.every((r) => typeof r === 'string' && ORG_ROLE_NAME.test(r)),
    )
  );
}

const RoleMapping = () =>
  ValidateBy({
    name: 'roleMapping',
    validator: {
      validate: isRoleMapping,
      defaultMessage: () => 'role_mapping must map at most 100 claim values (1–200 characters) to 1–20 org role names each',
    },
  });

export class OidcConnectionSettingsDto {
  @ApiProperty({
    example: 'https://login.acme.example',
    description: "The provider's issuer: its discovery document is read at `<issuer>/.well-known/openid-configuration`; https",
  })
  @IsString()
  @MaxLength(2048)
  issuer!: string;

  @ApiProperty({ example: 'fabric-app' })
  @IsString()
  @MinLength(1)
  @MaxStoredLength(255)
  @ValidateBy({
    name: 'noInvisible',
    validator: { validate: (v: unknown) => typeof v === 'string' && !INVISIBLE_CHARACTERS.test(v), defaultMessage: () => 'client_id must not contain invisible characters' },
  })
  client_id!: string;

  @ApiPropertyOptional({ example: 's3cr3t…', description: 'Stored encrypted; never answered. Required at creation; on update, absent keeps the current one' })
  @OptionalField()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  client_secret?: string;
}

export class SamlConnectionSettingsDto {
  @ApiPropertyOptional({ description: "The IdP's metadata (an EntityDescriptor), at most 256 KiB; or give idp_metadata_url" })
  @OptionalField()
  @IsString()
  @MaxLength(MAX_INLINE_METADATA)
  idp_metadata?: string;

  @ApiPropertyOptional({ example: 'https://idp.acme.example/metadata', description: 'Read on the first login and every hour (https)' })
  @OptionalField()
  @IsString()
  @MaxLength(2048)
  idp_metadata_url?: string;
}

class ConnectionAccountFields {
  @ApiPropertyOptional({ example: 'groups', description: 'The claim (OIDC) or attribute (SAML) whose values role_mapping maps' })
  @OptionalField()
  @IsString()
  @ValidateBy({
    name: 'roleClaim',
    validator: {
      validate: (v: unknown) => typeof v === 'string' && v.length >= 1 && v.length <= 200 && /^\S+$/.test(v) && !INVISIBLE_CHARACTERS.test(v),
      defaultMessage: () => 'role_claim must be one claim or attribute name (at most 200 characters)',
    },
  })
  role_claim?: string;

  @ApiPropertyOptional({
    example: { 'acme-admins': ['admin'] },
    description: "Claim value → this organization's roles (never owner, each within what you hold here); an unmapped value grants nothing",
  })
  @OptionalField()
  @RoleMapping()
  role_mapping?: Record<string, string[]>;

  @ApiPropertyOptional({ example: true, description: 'Create an account for someone signing in the first time (default true)' })
  @OptionalField()
  @IsBoolean()
  jit_provisioning?: boolean;

  @ApiPropertyOptional({ example: false, description: 'Link to an existing account with the same email, when both sides verified it (default false)' })
  @OptionalField()
  @IsBoolean()
  link_verified_email?: boolean;

  @ApiPropertyOptional({ example: true, description: 'Off: nobody signs in through it and discovery ignores it (default true)' })
  @OptionalField()
  @IsBoolean()
  enabled?: boolean;
}

export class CreateConnectionDto extends ConnectionAccountFields {
  @ApiProperty({ example: 'Acme Okta' })
  @DisplayName(100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  @ApiProperty({ enum: ['oidc', 'saml'] })
  @IsIn(['oidc', 'saml'], { message: 'protocol must be oidc or saml' })
  protocol!: 'oidc' | 'saml';

  @ApiPropertyOptional({ type: OidcConnectionSettingsDto, description: 'With protocol oidc' })
  @OptionalField()
  @ValidateNested()
  @Type(() => OidcConnectionSettingsDto)
  oidc?: OidcConnectionSettingsDto;

  @ApiPropertyOptional({ type: SamlConnectionSettingsDto, description: 'With protocol saml' })
  @OptionalField()
  @ValidateNested()
  @Type(() => SamlConnectionSettingsDto)
  saml?: SamlConnectionSettingsDto;
}

export class UpdateConnectionDto extends ConnectionAccountFields {
  @ApiPropertyOptional({ example: 'Acme Okta' })
  @OptionalField()
  @DisplayName(100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;

  @ApiPropertyOptional({ type: OidcConnectionSettingsDto, description: 'Replaces the OIDC settings (an absent client_secret keeps the current one)' })
  @OptionalField()
  @ValidateNested()
  @Type(() => OidcConnectionSettingsDto)
  oidc?: OidcConnectionSettingsDto;

  @ApiPropertyOptional({ type: SamlConnectionSettingsDto, description: 'Replaces the SAML settings' })
  @OptionalField()
  @ValidateNested()
  @Type(() => SamlConnectionSettingsDto)
  saml?: SamlConnectionSettingsDto;
}

export class OidcConnectionViewDto {
  @ApiProperty() issuer!: string;
  @ApiProperty() client_id!: string;
  @ApiProperty({ description: 'A secret is stored (it is never answered)' }) client_secret_set!: boolean;
  @ApiProperty({ description: 'Register this redirect URI at the provider' }) redirect_uri!: string;
  @ApiProperty({ description: "Register this post-logout redirect URI at the provider (RP-initiated logout lands there: the site's root)" })
  post_logout_redirect_uri!: string;
  @ApiProperty({ description: 'Give the provider this back-channel logout URI (optional: sessions then end when the person signs out at the provider)' })
  backchannel_logout_uri!: string;
}

export class SamlConnectionViewDto {
  @ApiProperty({ type: String, nullable: true }) idp_metadata_url!: string | null;
  @ApiProperty({ description: 'Inline metadata is stored' }) idp_metadata_set!: boolean;
  @ApiProperty({ description: 'Give the IdP this SP entity id' }) sp_entity_id!: string;
  @ApiProperty({ description: 'Give the IdP this ACS URL (HTTP-POST)' }) acs_url!: string;
  @ApiProperty({ description: 'This SP’s metadata for the IdP' }) metadata_url!: string;
  @ApiProperty({ description: 'The SingleLogoutService (HTTP-Redirect) where the IdP answers a LogoutRequest; listed in the SP metadata' }) slo_url!: string;
}

export class ConnectionDto {
  @ApiProperty({ description: 'Connection id (UUID); its login routes are named by it' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['oidc', 'saml'] }) protocol!: 'oidc' | 'saml';
  @ApiProperty() enabled!: boolean;
  @ApiPropertyOptional({ type: OidcConnectionViewDto }) oidc?: OidcConnectionViewDto;
  @ApiPropertyOptional({ type: SamlConnectionViewDto }) saml?: SamlConnectionViewDto;
  @ApiProperty({ type: String, nullable: true }) role_claim!: string | null;
  @ApiProperty({ example: { 'acme-admins': ['admin'] } }) role_mapping!: Record<string, string[]>;
  @ApiProperty() jit_provisioning!: boolean;
  @ApiProperty() link_verified_email!: boolean;
  @ApiProperty({ description: 'Where a browser starts signing in through it (`?return_to=` accepted)' }) login_url!: string;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
}

export class ConnectionListDto {
  @ApiProperty({ type: [ConnectionDto] }) items!: ConnectionDto[];
}

export class ConnectionTestDto {
  @ApiProperty({ description: 'The IdP answered what a login needs' }) ok!: boolean;
  @ApiProperty({ type: [String], description: 'What is wrong, in words for the admin; empty when ok' }) problems!: string[];
  @ApiPropertyOptional({ description: 'What the IdP says of itself (issuer and endpoints; entity id, SSO URL and certificate count)' })
  idp?: Record<string, string | number | null>;
}
