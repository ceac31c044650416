import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { OptionalField } from '../../common/optional-field.decorator.js';

export class TotpConfirmDto {
  @ApiProperty({ description: 'The 6-digit code the authenticator app shows', example: '123456' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'code must be 6 digits' })
  code!: string;
}

/** A current factor, for removing a factor or regenerating recovery codes (or a session that used one in the last 15 minutes). */
export class FactorProofDto {
  @ApiPropertyOptional({ description: 'A code of the authenticator app' })
  @OptionalField()
  @IsString()
  @Matches(/^\d{6}$/, { message: 'otp must be 6 digits' })
  otp?: string;

  @ApiPropertyOptional({ description: 'One unused recovery code (it is spent)' })
  @OptionalField()
  @IsString()
  @MaxLength(64)
  recovery_code?: string;
}

const PASSKEY_NAME = /^[^\p{Cc}\p{Cf}]+$/u;

export class PasskeyRegisterDto {
  @ApiProperty({ description: 'A name to tell the passkey apart (e.g. "Laptop")', maxLength: 64 })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  @Matches(PASSKEY_NAME, { message: 'name must not contain control or format characters' })
  name!: string;

  @ApiProperty({ description: 'The result of `navigator.credentials.create()` in its JSON form (RegistrationResponseJSON)', type: Object })
  @IsObject()
  credential!: Record<string, unknown>;
}

export class PasskeyRenameDto {
  @ApiProperty({ maxLength: 64 })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  @Matches(PASSKEY_NAME, { message: 'name must not contain control or format characters' })
  name!: string;
}

export class TotpEnrolmentDto {
  @ApiProperty({ description: 'Base32 secret, for typing into an app; shown in this answer only' }) secret!: string;
  @ApiProperty({ example: 'otpauth://totp/nestjs-fabric-auth:alice?secret=…&issuer=nestjs-fabric-auth' }) otpauth_uri!: string;
  @ApiProperty({ description: 'The URI as a QR code: an SVG data URI' }) qr_code!: string;
  @ApiProperty({ description: 'Seconds left to confirm the enrolment with a code' }) expires_in!: number;
}

export class RecoveryCodesDto {
  @ApiProperty({ type: [String], description: 'Ten single-use codes, shown once' }) recovery_codes!: string[];
}
