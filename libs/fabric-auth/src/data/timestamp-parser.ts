/** PostgreSQL's `timestamp` (without time zone), the type of every timestamp column of ours. */
const TIMESTAMP_OID = 1114;

type TextParser = (text: string) => unknown;

/** What a pg connection answers for a column type: its parser (pg's `client.getTypeParser`). */
export interface TypeParsers {
  getTypeParser(oid: number, format?: string): unknown;
}

/**
 * The text PostgreSQL writes for a timestamp between the years 1000 and 9999
 * (`2026-12-07 08:00:00.123456`, zero to six fraction digits) as the Date pg's own parser
 * (postgres-date) makes of it: local time, the milliseconds computed as it does. Any other
 * text (`infinity`, a BC date, a year of five digits) answers undefined. pg's parser runs a
 * regular expression and a time zone search on every value, ~2 µs each, and a list page
 * reads a few hundred timestamps.
 */
export function parseTimestampText(text: string): Date | undefined {
  const length = text.length;
  if (length < 19 || length === 20 || length > 26) return undefined;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 32 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  const hour = digits(text, 11, 13);
  const minute = digits(text, 14, 16);
  const second = digits(text, 17, 19);
  if (year < 1000 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  let ms = 0;
  if (length > 19) {
    if (text.charCodeAt(19) !== 46 || digits(text, 20, length) < 0) return undefined;
    // postgres-date's own arithmetic, so that every fraction rounds as it does.
    ms = 1000 * parseFloat(text.slice(19));
  }
  return new Date(year, month - 1, day, hour, minute, second, ms);
}

/** The decimal number written in text[start, end); -1 if anything there is not a digit. */
function digits(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Texts on which a connection's timestamp parser must agree with ours before ours stands in for it. */
const PROBES = ['2001-02-03 04:05:06', '1999-12-31 23:59:59.5', '2026-07-01 12:00:00.123456', '1970-01-01 00:00:00.001'];

/**
 * Per parser of a connection: ours in front of it where it gives the same Dates, or itself.
 * Bounded by the parser functions a process has.
 */
const standIns = new WeakMap<TextParser, TextParser>();

function standInFor(theirs: TextParser): TextParser {
  let parser = standIns.get(theirs);
  if (parser === undefined) {
    parser = PROBES.every((text) => agreesOn(theirs, text)) ? (text: string) => parseTimestampText(text) ?? theirs(text) : theirs;
    standIns.set(theirs, parser);
  }
  return parser;
}

function agreesOn(theirs: TextParser, text: string): boolean {
  try {
    const expected = theirs(text);
    return expected instanceof Date && expected.getTime() === parseTimestampText(text)!.getTime();
  } catch {
    return false;
  }
}

/**
 * The connection's type parsers with ours for `timestamp` where the connection's own one is pg's
 * (or gives the same Dates): an app that set a parser of its own for the type keeps it.
 */
export function withFastTimestamps(connection: TypeParsers): TypeParsers {
  return {
    getTypeParser(oid: number, format?: string) {
      const theirs = connection.getTypeParser(oid, format);
      if (oid !== TIMESTAMP_OID || (format !== undefined && format !== 'text') || typeof theirs !== 'function') return theirs;
      return standInFor(theirs as TextParser);
    },
  };
}
