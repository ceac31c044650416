import { ApiProperty, ApiPropertyOptional, PartialType, OmitType } from '../../../core/open-api.js';
import { ArrayMaxSize, IsArray, IsIn, IsString, Matches, MaxLength, MinLength } from '../../../core/class-validator.js';
import { DisplayName, IdentityEmail, IdentityNormalized } from '../../../core/field-rules.js';
import { ListQueryDto, sortPattern } from '../../../data/pagination/list-query.js';
import { PASSWORD_INPUT_MAX_LENGTH } from '../../../access/passwords/password-hasher.js';
import { OptionalField } from '../../../core/optional-field.decorator.js';
import { ListEnvelopeDto } from '../../../data/pagination/list-envelope.dto.js';

const ROLE_NAME = /^[a-z][a-z0-9_.-]{0,63}$/;
const USERNAME = /^[a-z0-9][a-z0-9_.-]{1,149}$/;

export class CreateUserDto {
  @ApiProperty({ example: 'alice', description: 'Lowercase letters, digits and . _ -; 2–150 characters' })
  @IdentityNormalized()
  @IsString()
  @Matches(USERNAME, { message: 'username must be 2–150 lowercase letters, digits, . _ - and start with a letter or digit' })
  username!: string;

  @ApiProperty({ example: 'alice@example.com', description: 'Unique after NFKC and lower-casing' })
  @IdentityEmail()
  email!: string;

  @ApiPropertyOptional({ example: 'Alice Liddell', description: 'Display name, up to 200 characters' })
  @OptionalField()
  @DisplayName(200)
  full_name?: string;

  @ApiPropertyOptional({ description: 'Absent: the user receives an activation link and sets it', example: 'Corr3ct-horse-battery' })
  @OptionalField()
  @IsString()
  @MaxLength(PASSWORD_INPUT_MAX_LENGTH)
  password?: string;

  @ApiPropertyOptional({ type: [String], example: ['viewer'], description: 'Role names; only roles whose permissions you hold' })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Matches(ROLE_NAME, { each: true, message: 'each role must be a role name' })
  roles?: string[];
}

export class UpdateUserDto extends PartialType(OmitType(CreateUserDto, ['password'] as const), { skipNullProperties: false }) {
  @ApiPropertyOptional({ description: 'Required to change one’s own email', example: 'Corr3ct-horse-battery' })
  @OptionalField()
  @IsString()
  @MaxLength(PASSWORD_INPUT_MAX_LENGTH)
  current_password?: string;
}

export class ChangePasswordDto {
  @ApiPropertyOptional({ description: 'Required when changing one’s own password', example: 'Corr3ct-horse-battery' })
  @OptionalField()
  @IsString()
  @MaxLength(PASSWORD_INPUT_MAX_LENGTH)
  current_password?: string;

  @ApiProperty({ description: 'Must satisfy the password policy (length, at most 72 bytes, not a common password)', example: 'N3w-horse-battery-staple' })
  @IsString()
  @MinLength(1)
  @MaxLength(PASSWORD_INPUT_MAX_LENGTH)
  new_password!: string;
}

export const USER_SORT_FIELDS = ['created_at', 'username', 'email'] as const;

export class ListUsersQueryDto extends ListQueryDto {
  @ApiPropertyOptional({
    description:
      'Prefix of the username or email. Without `sort`: username matches by username, then email-only matches by email. ' +
      'With `sort`, past 10,000 matches a page may hold fewer than `limit` items: follow `next_cursor` until it is null.',
    example: 'ali',
  })
  @OptionalField()
  @IsString()
  @MaxLength(150)
  q?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Only active (true) or deactivated (false) users', example: 'true' })
  @OptionalField()
  @IsIn(['true', 'false'], { message: 'is_active must be true or false' })
  is_active?: 'true' | 'false';

  @ApiPropertyOptional({ enum: USER_SORT_FIELDS.flatMap((f) => [f, `-${f}`]), description: 'Default `created_at`; with `q`, match order (see `q`)', example: 'username' })
  @OptionalField()
  @IsString()
  @Matches(sortPattern(USER_SORT_FIELDS), { message: `sort must be one of ${USER_SORT_FIELDS.join(', ')} (prefix - to descend)` })
  sort?: string;
}

export class UserDto {
  @ApiProperty({ description: 'User id (UUID)', example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' }) id!: string;
  @ApiProperty({ description: 'Login name, lower case', example: 'alice' }) username!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Email address, lower case', example: 'alice@example.com' }) email!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Display name', example: 'Alice Liddell' }) full_name!: string | null;
  @ApiProperty({ description: 'false once deactivated: every credential of the user is refused', example: true }) is_active!: boolean;
  @ApiProperty({ description: 'Set by activation, an email-verification link or a provider that verified it; cleared when the email changes', example: true })
  email_verified!: boolean;
  @ApiProperty({ type: [String], description: 'Names of the roles assigned', example: ['viewer'] }) roles!: string[];
  @ApiProperty({ description: 'When the user was created (ISO 8601)', example: '2026-11-28T12:00:00.000Z' }) created_at!: string;
  @ApiProperty({ description: 'Last change to the account (ISO 8601)', example: '2026-11-28T12:00:00.000Z' }) updated_at!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Last successful login (ISO 8601), null if never', example: '2026-11-28T12:00:00.000Z' }) last_login_at!: string | null;
}

export class UserListDto extends ListEnvelopeDto(UserDto, 'users') {}

export class SessionDto {
  @ApiProperty({ description: "Session id (UUID), as in the access token's sid claim", example: '3f1c2a9e-7b4d-4e8a-9c61-2d5b8f0a4e17' }) id!: string;
  @ApiProperty({ description: 'When the session was opened (ISO 8601)', example: '2026-11-28T12:00:00.000Z' }) created_at!: string;
  @ApiProperty({ description: 'Last refresh of the session (ISO 8601)', example: '2026-11-28T12:00:00.000Z' }) last_used_at!: string;
  @ApiProperty({ description: 'When the refresh token stops working unless used', example: '2026-11-28T12:00:00.000Z' }) expires_at!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Client address that opened the session', example: '203.0.113.7' }) ip!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'User agent that opened the session', example: 'Mozilla/5.0 (X11; Linux x86_64)' }) user_agent!: string | null;
  @ApiProperty({ enum: ['password', 'oidc'], description: 'How the session was opened', example: 'password' }) login_method!: string;
  @ApiProperty({ description: 'The session of the calling credential', example: true }) current!: boolean;
}

export class SessionListDto extends ListEnvelopeDto(SessionDto, 'sessions') {}
