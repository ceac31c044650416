import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { parseTimestampText, withFastTimestamps } from './timestamp-parser.js';

const TIMESTAMP = 1114;
const pgParser = pg.types.getTypeParser(TIMESTAMP, 'text') as (text: string) => unknown;

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** Texts as PostgreSQL writes a timestamp: every fraction length, the calendar's edges, odd times. */
function timestampTexts(): string[] {
  const texts = ['2026-12-07 08:00:00', '1000-01-01 00:00:00', '9999-12-31 23:59:59.999999', '2024-02-29 12:34:56.5', '1970-01-01 00:00:00'];
  let seed = 42;
  const next = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  for (let i = 0; i < 5_000; i++) {
    const fraction = next(7);
    const digits = fraction === 0 ? '' : `.${pad(next(10 ** fraction), fraction)}`;
    texts.push(`${pad(1000 + next(9000), 4)}-${pad(1 + next(12), 2)}-${pad(1 + next(28), 2)} ${pad(next(24), 2)}:${pad(next(60), 2)}:${pad(next(60), 2)}${digits}`);
  }
  return texts;
}

describe('the timestamp parser of list reads', () => {
  it('gives the Date pg gives for every timestamp PostgreSQL writes', () => {
    for (const text of timestampTexts()) {
      const expected = pgParser(text) as Date;
      expect(parseTimestampText(text)?.getTime(), text).toBe(expected.getTime());
    }
  });

  it('leaves every other text to pg: infinity, BC, five-digit years, zones, garbage', () => {
    for (const text of [
      'infinity',
      '-infinity',
      '0044-03-15 12:00:00 BC',
      '10000-01-01 00:00:00',
      '0099-01-01 00:00:00',
      '2026-12-07 08:00:00+02',
      '2026-12-07',
      '2026-12-07T08:00:00',
      '2026-12-07 08:00:00.',
      '2026-1a-07 08:00:00',
      '2026-12-07 08:00:00.1234567',
    ]) {
      expect(parseTimestampText(text), text).toBeUndefined();
    }
    const types = withFastTimestamps(pg.types);
    const parse = types.getTypeParser(TIMESTAMP, 'text') as (text: string) => unknown;
    for (const text of ['infinity', '0044-03-15 12:00:00 BC', '10000-01-01 00:00:00', '0099-01-01 00:00:00']) {
      expect(parse(text), text).toEqual(pgParser(text));
    }
  });

  it('stands in for pg’s parser only: a parser the app set for timestamps is kept', () => {
    const own = (text: string) => `app:${text}`;
    const app = { getTypeParser: (oid: number, format?: string) => (oid === TIMESTAMP ? own : pg.types.getTypeParser(oid, format as 'text')) };
    expect(withFastTimestamps(app).getTypeParser(TIMESTAMP, 'text')).toBe(own);
    const fast = withFastTimestamps(pg.types);
    expect(fast.getTypeParser(TIMESTAMP, 'text')).not.toBe(pgParser);
    // Other types and the binary format are the connection's own.
    expect(fast.getTypeParser(23, 'text')).toBe(pg.types.getTypeParser(23, 'text'));
    expect(fast.getTypeParser(TIMESTAMP, 'binary')).toBe(pg.types.getTypeParser(TIMESTAMP, 'binary'));
  });
});
