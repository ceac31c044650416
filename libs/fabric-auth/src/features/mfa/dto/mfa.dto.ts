import { ApiProperty, ApiPropertyOptional } from '../../../core/open-api.js';
import { IsObject, IsString, Matches, MaxLength, MinLength } from '../../../core/class-validator.js';
import { OptionalField } from '../../../core/optional-field.decorator.js';

export class TotpConfirmDto {
  @ApiProperty({ description: 'The 6-digit code the authenticator app shows', example: '123456' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'code must be 6 digits' })
  code!: string;
}

/** A current factor, for removing a factor or regenerating recovery codes (or a session that used one in the last 15 minutes). */
export class FactorProofDto {
  @ApiPropertyOptional({ description: 'A code of the authenticator app', example: '492039' })
  @OptionalField()
  @IsString()
  @Matches(/^\d{6}$/, { message: 'otp must be 6 digits' })
  otp?: string;

  @ApiPropertyOptional({ description: 'One unused recovery code (it is spent)', example: 'k3v9-x2mq-7b4d' })
  @OptionalField()
  @IsString()
  @MaxLength(64)
  recovery_code?: string;
}

const PASSKEY_NAME = /^[^\p{Cc}\p{Cf}]+$/u;

export class PasskeyRegisterDto {
  @ApiProperty({ description: 'A name to tell the passkey apart', maxLength: 64, example: 'Laptop' })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  @Matches(PASSKEY_NAME, { message: 'name must not contain control or format characters' })
  name!: string;

  @ApiProperty({
    description: 'The result of `navigator.credentials.create()` in its JSON form (RegistrationResponseJSON)',
    type: Object,
    example: { id: 'AQID', rawId: 'AQID', type: 'public-key', response: { clientDataJSON: '…', attestationObject: '…' } },
  })
  @IsObject()
  credential!: Record<string, unknown>;
}

export class PasskeyRenameDto {
  @ApiProperty({ maxLength: 64, description: 'The new name', example: 'Work phone' })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  @Matches(PASSKEY_NAME, { message: 'name must not contain control or format characters' })
  name!: string;
}

export class TotpEnrolmentDto {
  @ApiProperty({ description: 'Base32 secret, for typing into an app; shown in this answer only', example: 'JBSWY3DPEHPK3PXP' }) secret!: string;
  @ApiProperty({ description: 'The key URI authenticator apps read', example: 'otpauth://totp/nestjs-fabric-auth:alice?secret=…&issuer=nestjs-fabric-auth' }) otpauth_uri!: string;
  @ApiProperty({ description: 'The URI as a QR code: an SVG data URI', example: 'data:image/svg+xml;base64,PHN2Zy…' }) qr_code!: string;
  @ApiProperty({ description: 'Seconds left to confirm the enrolment with a code', example: 600 }) expires_in!: number;
}

export class RecoveryCodesDto {
  @ApiProperty({ type: [String], description: 'Ten single-use codes, shown once', example: ['k3v9-x2mq-7b4d', 'p8c2-h5rt-9wzy'] }) recovery_codes!: string[];
}
