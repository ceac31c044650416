import { ApiProperty, ApiPropertyOptional } from '../../../core/open-api.js';
import { IsString, Matches, MaxLength } from '../../../core/class-validator.js';
import { IdentityEmail } from '../../../core/field-rules.js';
import { PASSWORD_INPUT_MAX_LENGTH } from '../../../access/passwords/password-hasher.js';
import { OptionalField } from '../../../core/optional-field.decorator.js';

const ONE_TIME_TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

export class ActivateDto {
  @ApiProperty({ description: 'The token from the activation link', example: 'Zr4Kq0bM3w7pYx1vT9sJ2nL5cH8dF6gA0eR3uI1oP4k' })
  @IsString()
  @Matches(ONE_TIME_TOKEN, { message: 'token is malformed' })
  token!: string;

  @ApiProperty({ description: 'The first password; must satisfy the password policy', example: 'Corr3ct-horse-battery' })
  @IsString()
  @MaxLength(PASSWORD_INPUT_MAX_LENGTH)
  password!: string;
}

export class VerifyEmailDto {
  @ApiProperty({ description: 'The token from the email-verification link', example: 'kQ3vN8xZ2mR5tW9yB1cF4hJ7lP0sD6gAXb2Yc4Zd5eF' })
  @IsString()
  @Matches(ONE_TIME_TOKEN, { message: 'token is malformed' })
  token!: string;
}

export class PasswordResetRequestDto {
  @ApiPropertyOptional({ description: 'The account’s email (or give username)', example: 'alice@example.com' })
  @OptionalField()
  @IdentityEmail()
  email?: string;

  @ApiPropertyOptional({ description: 'The account’s username (or give email)', example: 'alice' })
  @OptionalField()
  @IsString()
  @MaxLength(150)
  username?: string;
}

export class PasswordResetConfirmDto {
  @ApiProperty({ description: 'The token from the reset link', example: 'Zr4Kq0bM3w7pYx1vT9sJ2nL5cH8dF6gA0eR3uI1oP4k' })
  @IsString()
  @Matches(ONE_TIME_TOKEN, { message: 'token is malformed' })
  token!: string;

  @ApiProperty({ description: 'Must satisfy the password policy', example: 'N3w-horse-battery-staple' })
  @IsString()
  @MaxLength(PASSWORD_INPUT_MAX_LENGTH)
  new_password!: string;
}

export class AcceptedDto {
  @ApiProperty({ example: 'If the account exists, a reset link has been sent', description: 'The same text whether or not the account exists' })
  detail!: string;
}
