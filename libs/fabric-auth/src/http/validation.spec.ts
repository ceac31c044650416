import 'reflect-metadata';
import { type ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { classValidatorPackage, IsIn, IsString, Matches, MaxLength } from '../core/class-validator.js';
import { DisplayName, ISO_DATE_TIME } from '../core/field-rules.js';
import { OptionalField } from '../core/optional-field.decorator.js';
import { ListQueryDto, sortPattern } from '../data/pagination/list-query.js';
import { fabricValidationPipe } from './validation.js';

/** A list query with every kind of rule the features' list queries use (users, audit, organizations, service accounts). */
class ListUsersQueryDto extends ListQueryDto {
  @OptionalField()
  @IsString()
  @MaxLength(150)
  q?: string;

  @OptionalField()
  @IsIn(['true', 'false'], { message: 'is_active must be true or false' })
  is_active?: 'true' | 'false';

  @OptionalField()
  @IsString()
  @Matches(sortPattern(['created_at', 'username']), { message: 'sort must be one of created_at, username (prefix - to descend)' })
  sort?: string;
}

class AuditQueryDto extends ListQueryDto {
  @OptionalField()
  @IsString()
  @Matches(/^[a-z_.]{1,64}$/, { message: 'action must be an action name such as login.failure' })
  action?: string;

  @OptionalField()
  @IsString()
  @Matches(ISO_DATE_TIME, { message: 'since must be an ISO 8601 date or date-time such as 2026-11-28T12:00:00Z' })
  since?: string;

  @OptionalField()
  @IsIn(['success', 'failure'])
  outcome?: string;
}

/** A rule with a transformation of its own (NFC) and custom validators (stored length, invisible characters). */
class NamedQueryDto extends ListQueryDto {
  @OptionalField()
  @DisplayName(20)
  name?: string;
}

/** A query string as Express and Fastify parse it: a null-prototype object of strings. */
const query = (fields: Record<string, string>) => Object.assign(Object.create(null) as Record<string, string>, fields);
const metadataOf = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'query', metatype, data: undefined });

const CURSOR = 'eyJsIjoidXNlcnMiLCJzIjoiY3JlYXRlZF9hdCJ9.c2lnbmF0dXJlc2lnbmF0dXJl';
const DTOS = [ListQueryDto, ListUsersQueryDto, AuditQueryDto, NamedQueryDto];
/** Good and bad values of every list's parameters (each DTO refuses those it does not have). */
const QUERIES: Record<string, string>[] = [
  {},
  { limit: '50' },
  { limit: '1', offset: '0' },
  { limit: '500', offset: '10000000' },
  { limit: '0' },
  { limit: '501' },
  { limit: '1.5' },
  { limit: '0x10' },
  { limit: '1e3' },
  { limit: '-1' },
  { limit: ' 5' },
  { limit: '' },
  { limit: '05' },
  { offset: '10000001' },
  { cursor: CURSOR },
  { cursor: CURSOR, limit: '10' },
  { cursor: 'not a cursor' },
  { cursor: `${CURSOR}.extra` },
  { cursor: `${'a'.repeat(1024)}.b` },
  { cursor: '' },
  { q: 'ali' },
  { q: 'a'.repeat(150) },
  { q: 'a'.repeat(151) },
  { q: 'é\u0301' },
  { sort: 'username' },
  { sort: '-created_at' },
  { sort: '--username' },
  { sort: 'password_hash' },
  { is_active: 'true' },
  { is_active: 'yes' },
  { action: 'login.failure', outcome: 'failure' },
  { action: 'DROP TABLE' },
  { outcome: 'maybe' },
  { since: '2026-11-28T12:00:00Z' },
  { since: '2026-W48' },
  { name: 'Ali\u0301ce' },
  { name: 'n'.repeat(21) },
  { name: 'a\u200Bb' },
  { name: 'a\uFE0F'.repeat(10) },
  { unknown: '1' },
  { limit: '10', unknown: '1' },
];

describe('fabricValidationPipe on list queries', () => {
  afterEach(() => vi.restoreAllMocks());

  it('answers every query as the full pipe does: the same DTO, or the same 400 with the same messages', async () => {
    const pipe = fabricValidationPipe();
    const full = (value: unknown, metadata: ArgumentMetadata) => ValidationPipe.prototype.transform.call(pipe, value, metadata);
    const outcome = async (run: () => Promise<unknown>) => {
      try {
        const dto = (await run()) as object;
        return { class: dto.constructor.name, dto: { ...dto } };
      } catch (error) {
        return { refused: (error as { getResponse?: () => unknown }).getResponse?.() ?? String(error) };
      }
    };
    let accepted = 0;
    let refused = 0;
    for (const dto of DTOS) {
      for (const fields of QUERIES) {
        const metadata = metadataOf(dto);
        const fast = await outcome(() => pipe.transform(query(fields), metadata));
        expect(fast, `${dto.name} ${JSON.stringify(fields)}`).toEqual(await outcome(() => full(query(fields), metadata)));
        if ('refused' in fast) refused++;
        else accepted++;
      }
    }
    // Both sides of the rules were exercised.
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(80);
  });

  it("hands over the DTO with its query-string conversions applied (limit as a number), as the full pipe's", async () => {
    const dto = (await fabricValidationPipe().transform(query({ limit: '20', q: 'ali', sort: '-username' }), metadataOf(ListUsersQueryDto))) as ListUsersQueryDto;
    expect(dto).toBeInstanceOf(ListUsersQueryDto);
    expect({ ...dto }).toEqual(expect.objectContaining({ limit: 20, q: 'ali', sort: '-username' }));
  });

  it("checks a valid list query with the DTO's rules read once, without class-validator's executor on each request", async () => {
    const validate = vi.spyOn(classValidatorPackage, 'validate');
    const pipe = fabricValidationPipe();
    const valid: Record<string, string>[] = [{}, { limit: '10' }, { cursor: CURSOR }, { q: 'ali', is_active: 'true', sort: 'username' }];
    for (const fields of valid) {
      await pipe.transform(query(fields), metadataOf(ListUsersQueryDto));
    }
    expect(validate).not.toHaveBeenCalled();
    // A refusal still comes from the full pipe (its messages), and a body is validated as before.
    await expect(pipe.transform(query({ limit: '0' }), metadataOf(ListUsersQueryDto))).rejects.toThrow();
    expect(validate).toHaveBeenCalledTimes(1);
    await pipe.transform({ limit: 10 }, { type: 'body', metatype: ListQueryDto, data: undefined });
    expect(validate).toHaveBeenCalledTimes(2);
  });

  it('leaves a query with a repeated parameter (an array) to the full pipe, which refuses it', async () => {
    const validate = vi.spyOn(classValidatorPackage, 'validate');
    const repeated = Object.assign(Object.create(null) as Record<string, unknown>, { limit: ['1', '2'] });
    await expect(fabricValidationPipe().transform(repeated, metadataOf(ListQueryDto))).rejects.toThrow();
    expect(validate).toHaveBeenCalledTimes(1);
  });

  it('refuses a key that names what every object inherits (hasOwnProperty, valueOf, …), as an unknown field, on both paths', async () => {
    const pipe = fabricValidationPipe();
    for (const key of ['hasOwnProperty', 'valueOf', 'toString', '__defineGetter__', 'isPrototypeOf']) {
      const fields = { limit: '5', [key]: 'x' };
      await expect(pipe.transform(query(fields), metadataOf(ListUsersQueryDto)), key).rejects.toThrow(`must not contain the key ${key}`);
      await expect(pipe.transform({ limit: 10, [key]: 'x' }, { type: 'body', metatype: ListQueryDto, data: undefined }), key).rejects.toThrow(key);
    }
  });
});
