import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { OptionalField } from './optional-field.decorator.js';

export const MAX_LIMIT = 500;
export const DEFAULT_LIMIT = 50;

/** `?limit=&offset=` of every list: limit 1–500 (default 50), offset ≥ 0. */
export class ListQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT })
  @OptionalField()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @OptionalField()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  offset?: number;
}

export interface ListEnvelope<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** `sort=field` or `sort=-field` → TypeORM order, from an allowlist of indexed columns. */
export function orderFrom<K extends string>(sort: string | undefined, allowed: Record<string, K>, fallback: string): Record<K, 'ASC' | 'DESC'> {
  const value = sort ?? fallback;
  const descending = value.startsWith('-');
  const column = allowed[descending ? value.slice(1) : value]!;
  return { [column]: descending ? 'DESC' : 'ASC' } as Record<K, 'ASC' | 'DESC'>;
}

export function sortPattern(fields: readonly string[]): RegExp {
  return new RegExp(`^-?(${fields.join('|')})$`);
}

/** The page a list query asks for, defaults applied. */
export function pageOf(query: ListQueryDto): { limit: number; offset: number } {
  return { limit: query.limit ?? DEFAULT_LIMIT, offset: query.offset ?? 0 };
}
