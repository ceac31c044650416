import type { Type } from '@nestjs/common';
import { ApiProperty } from '../../core/open-api.js';

/**
 * The documented shape of every list answer (`ListEnvelope`): `class UserListDto extends
 * ListEnvelopeDto(UserDto, 'users') {}` names the schema, the fields are described once here.
 */
export function ListEnvelopeDto<T>(item: Type<T>, what: string) {
  class Envelope {
    @ApiProperty({ type: [item], description: `This page of ${what}, in the requested order` }) items!: T[];
    @ApiProperty({ description: `How many ${what} match the filters (see total_is_estimate)`, example: 1234 }) total!: number;
    @ApiProperty({ description: 'The page size used (?limit=, at most 500)', example: 50 }) limit!: number;
    @ApiProperty({ description: 'Position of the first item in the whole list (?offset=, or where the cursor points)', example: 0 }) offset!: number;
    @ApiProperty({ description: 'true when total is an estimate (large lists), false when counted', example: false }) total_is_estimate!: boolean;
    @ApiProperty({
      type: String,
      nullable: true,
      description: 'Pass as ?cursor= for the next page; null on the last page',
      example: 'eyJsIjoidXNlcnMiLCJzIjoiY3JlYXRlZF9hdCJ9.c2lnbmF0dXJl',
    })
    next_cursor!: string | null;
  }
  return Envelope;
}
