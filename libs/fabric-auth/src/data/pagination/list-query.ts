import { ApiPropertyOptional } from '../../core/open-api.js';
import { IsString, Matches, MaxLength } from '../../core/class-validator.js';
import { IntegerField } from '../../core/field-rules.js';
import { OptionalField } from '../../core/optional-field.decorator.js';

export const MAX_LIMIT = 500;
export const DEFAULT_LIMIT = 50;
/** Longest cursor we ever hand out is well under this; anything longer is not ours. */
export const MAX_CURSOR_LENGTH = 1024;

/**
 * `?limit=&offset=&cursor=` of every list: limit 1–500 (default 50); either `cursor` (the
 * `next_cursor` of the previous page: constant time however deep) or `offset` (≥ 0, walks
 * the skipped rows: the slow path kept for compatibility).
 */
export class ListQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: 'Items per page', example: 50 })
  @OptionalField()
  @IntegerField(1, MAX_LIMIT, { inQuery: true })
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0, description: 'Rows to skip (slow on deep pages: prefer `cursor`)', example: 0 })
  @OptionalField()
  @IntegerField(0, 10_000_000, { inQuery: true })
  offset?: number;

  @ApiPropertyOptional({ description: '`next_cursor` of the previous page, with the same sort and filters', example: 'eyJsIjoidXNlcnMiLCJzIjoiY3JlYXRlZF9hdCJ9.c2lnbmF0dXJl' })
  @OptionalField()
  @IsString()
  @MaxLength(MAX_CURSOR_LENGTH)
  @Matches(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, { message: 'cursor must be a next_cursor this list returned' })
  cursor?: string;
}

/**
 * The pinned list envelope (`items`, `total`, `limit`, `offset`) plus `next_cursor` (null on
 * the last page) and `total_is_estimate` (true when `total` is the planner's estimate).
 */
export interface ListEnvelope<T> {
  items: T[];
  total: number;
  total_is_estimate: boolean;
  limit: number;
  offset: number;
  next_cursor: string | null;
}

export function sortPattern(fields: readonly string[]): RegExp {
  return new RegExp(`^-?(${fields.join('|')})$`);
}

/** The page a list query asks for, defaults applied. */
export function pageOf(query: ListQueryDto): { limit: number; offset: number; cursor?: string } {
  return { limit: query.limit ?? DEFAULT_LIMIT, offset: query.offset ?? 0, cursor: query.cursor };
}
