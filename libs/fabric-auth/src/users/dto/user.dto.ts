import { ApiProperty, ApiPropertyOptional, PartialType, OmitType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsIn,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { ListQueryDto, sortPattern } from '../../common/list-query.js';
import { PASSWORD_INPUT_MAX_LENGTH } from '../../passwords/password-hasher.js';
import { OptionalField } from '../../common/optional-field.decorator.js';

const ROLE_NAME = /^[a-z][a-z0-9_.-]{0,63}$/;
const USERNAME = /^[a-z0-9][a-z0-9_.-]{1,149}$/;

/** NFKC + lower case before validation, so lookalike input cannot pass as another value. */
const normalized = () =>
  Transform(({ value }) => (typeof value === 'string' ? value.normalize('NFKC').trim().toLowerCase() : value));

export class CreateUserDto {
  @ApiProperty({ example: 'alice', description: 'Lowercase letters, digits and . _ -; 2–150 characters' })
  @normalized()
  @IsString()
  @Matches(USERNAME, { message: 'username must be 2–150 lowercase letters, digits, . _ - and start with a letter or digit' })
  username!: string;

  @ApiProperty({ example: 'alice@example.com' })
  @normalized()
  @IsString()
  @MaxLength(320)
  @IsEmail({}, { message: 'email must be an email address' })
  email!: string;

  @ApiPropertyOptional({ example: 'Alice Liddell' })
  @OptionalField()
  @IsString()
  @MaxLength(200)
  full_name?: string;

  @ApiPropertyOptional({ description: 'Absent: the user receives an activation link and sets it' })
  @OptionalField()
  @IsString()
  @MaxLength(PASSWORD_INPUT_MAX_LENGTH)
  password?: string;

  @ApiPropertyOptional({ type: [String], example: ['viewer'] })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Matches(ROLE_NAME, { each: true, message: 'each role must be a role name' })
  roles?: string[];
}

export class UpdateUserDto extends PartialType(OmitType(CreateUserDto, ['password'] as const), { skipNullProperties: false }) {
  @ApiPropertyOptional({ description: 'Required to change one’s own email' })
  @OptionalField()
  @IsString()
  @MaxLength(PASSWORD_INPUT_MAX_LENGTH)
  current_password?: string;
}

export class ChangePasswordDto {
  @ApiPropertyOptional({ description: 'Required when changing one’s own password' })
  @OptionalField()
  @IsString()
  @MaxLength(PASSWORD_INPUT_MAX_LENGTH)
  current_password?: string;

  @ApiProperty()
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
  })
  @OptionalField()
  @IsString()
  @MaxLength(150)
  q?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'] })
  @OptionalField()
  @IsIn(['true', 'false'], { message: 'is_active must be true or false' })
  is_active?: 'true' | 'false';

  @ApiPropertyOptional({ enum: USER_SORT_FIELDS.flatMap((f) => [f, `-${f}`]), description: 'Default `created_at`; with `q`, match order (see `q`)' })
  @OptionalField()
  @IsString()
  @Matches(sortPattern(USER_SORT_FIELDS), { message: `sort must be one of ${USER_SORT_FIELDS.join(', ')} (prefix - to descend)` })
  sort?: string;
}

export class UserDto {
  @ApiProperty() id!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ type: String, nullable: true }) email!: string | null;
  @ApiProperty({ type: String, nullable: true }) full_name!: string | null;
  @ApiProperty() is_active!: boolean;
  @ApiProperty({ type: [String] }) roles!: string[];
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
  @ApiProperty({ type: String, nullable: true }) last_login_at!: string | null;
}

export class UserListDto {
  @ApiProperty({ type: [UserDto] }) items!: UserDto[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ description: 'true when total is an estimate (large lists), false when counted' }) total_is_estimate!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page' }) next_cursor!: string | null;
}

export class SessionDto {
  @ApiProperty() id!: string;
  @ApiProperty() created_at!: string;
  @ApiProperty() last_used_at!: string;
  @ApiProperty({ description: 'When the refresh token stops working unless used' }) expires_at!: string;
  @ApiProperty({ type: String, nullable: true }) ip!: string | null;
  @ApiProperty({ type: String, nullable: true }) user_agent!: string | null;
  @ApiProperty({ enum: ['password', 'oidc'] }) login_method!: string;
  @ApiProperty({ description: 'The session of the calling credential' }) current!: boolean;
}

export class SessionListDto {
  @ApiProperty({ type: [SessionDto] }) items!: SessionDto[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ description: 'true when total is an estimate (large lists), false when counted' }) total_is_estimate!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page' }) next_cursor!: string | null;
}
