import { ApiProperty, ApiPropertyOptional } from '../../../core/open-api.js';
import { MinLength } from '../../../core/class-validator.js';
import { DisplayName, IntegerField } from '../../../core/field-rules.js';
import { OptionalField } from '../../../core/optional-field.decorator.js';

export class CreateScimTokenDto {
  @ApiProperty({ example: 'okta', description: 'A label for the token, shown in listings and as the actor of what it provisions' })
  @DisplayName(100)
  @MinLength(1)
  name!: string;

  @ApiPropertyOptional({ example: 365, description: 'Default and maximum set by auth.api_key_default_days / api_key_max_days' })
  @OptionalField()
  @IntegerField(1, 3650)
  expires_in_days?: number;
}
