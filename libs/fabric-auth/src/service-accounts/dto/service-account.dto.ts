import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { ListQueryDto } from '../../common/list-query.js';
import { OptionalField } from '../../common/optional-field.decorator.js';

const NAME = /^[a-z0-9][a-z0-9_.-]{1,99}$/;
const ROLE_NAME = /^[a-z][a-z0-9_.-]{0,63}$/;

export class CreateServiceAccountDto {
  @ApiProperty({ example: 'data-pipeline' })
  @IsString()
  @Matches(NAME, { message: 'name must be 2–100 lowercase letters, digits, . _ -' })
  name!: string;

  @ApiPropertyOptional({ example: 'nightly ETL job' })
  @OptionalField()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ type: [String] })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Matches(ROLE_NAME, { each: true, message: 'each role must be a role name' })
  roles?: string[];
}

export class UpdateServiceAccountDto extends PartialType(CreateServiceAccountDto, { skipNullProperties: false }) {}

export class ListServiceAccountsQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'] })
  @OptionalField()
  @IsIn(['true', 'false'], { message: 'is_active must be true or false' })
  is_active?: 'true' | 'false';
}

export class ServiceAccountDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty() is_active!: boolean;
  @ApiProperty({ type: [String] }) roles!: string[];
  @ApiProperty() created_at!: string;
}

export class ServiceAccountListDto {
  @ApiProperty({ type: [ServiceAccountDto] }) items!: ServiceAccountDto[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ description: 'true when total is an estimate (large lists), false when counted' }) total_is_estimate!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page' }) next_cursor!: string | null;
}
