import { describe, expect, it } from 'vitest';
import { ScimError } from './scim-error.js';
import { MAX_FILTER_DEPTH, matchesElement, parseFilter } from './scim-filter.js';

/** Filters identity providers send, and what they parse to (a compact rendering). */
const VALID: ReadonlyArray<[string, string]> = [
  ['userName eq "bjensen"', 'userName eq "bjensen"'],
  ['USERNAME EQ "Bjensen"', 'USERNAME eq "Bjensen"'],
  ['externalId eq "00ub0oNGTSWTBKOLGLNR"', 'externalId eq "00ub0oNGTSWTBKOLGLNR"'],
  ['emails.value eq "a@b.c"', 'emails.value eq "a@b.c"'],
  ['emails[type eq "work" and value co "@example.com"]', 'emails[(type eq "work" and value co "@example.com")]'],
  ['displayName sw "Ada" or displayName co "Love"', '(displayName sw "Ada" or displayName co "Love")'],
  ['userName eq "a" and (displayName co "b" or externalId eq "c")', '(userName eq "a" and (displayName co "b" or externalId eq "c"))'],
  ['a eq "1" or b eq "2" and c eq "3"', '(a eq "1" or (b eq "2" and c eq "3"))'],
  ['not (userName eq "x")', 'not(userName eq "x")'],
  ['title pr', 'title pr'],
  ['active eq true', 'active eq true'],
  ['meta.lastModified gt "2011-05-13T04:42:34Z"', 'meta.lastModified gt "2011-05-13T04:42:34Z"'],
  ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"', 'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"'],
  ['userName eq "quote \\" and backslash \\\\"', 'userName eq "quote \\" and backslash \\\\"'],
  ['userName eq "\\u00e9"', 'userName eq "é"'],
  ['  userName   eq   "spaced"  ', 'userName eq "spaced"'],
];

/** Hostile or broken filters: each a 400 invalidFilter, never a crash. */
const HOSTILE: readonly string[] = [
  '',
  '   ',
  'userName',
  'userName eq',
  'userName eq "unterminated',
  'userName eq "bad escape \\q"',
  'userName eq "\\u12"',
  'userName zz "x"',
  'userName eq bare',
  'eq "x"',
  '"x" eq userName',
  '(userName eq "x"',
  'userName eq "x")',
  'userName eq "x" and',
  'userName eq "x" or or userName eq "y"',
  'not userName eq "x"',
  'emails[type eq "work"',
  'user-name"; DROP TABLE users; -- eq "x"',
  `${'('.repeat(MAX_FILTER_DEPTH + 1)}userName eq "x"${')'.repeat(MAX_FILTER_DEPTH + 1)}`,
  `${'not ('.repeat(200)}userName eq "x"${')'.repeat(200)}`,
  `userName eq "${'x'.repeat(5_000)}"`,
  Array.from({ length: 40 }, (_, i) => `userName eq "${i}"`).join(' or '),
  '('.repeat(100_000),
];

type Node = ReturnType<typeof parseFilter>;
function render(node: Node): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${render(node.left)} ${node.kind} ${render(node.right)})`;
    case 'not':
      return `not(${render(node.filter)})`;
    case 'present':
      return `${node.attribute} pr`;
    case 'valuePath':
      return `${node.attribute}[${render(node.filter)}]`;
    case 'compare':
      return `${node.attribute} ${node.op} ${JSON.stringify(node.value)}`;
  }
}

describe('SCIM filters (RFC 7644 §3.4.2.2)', () => {
  it.each(VALID)('parses %s', (input, expected) => {
    expect(render(parseFilter(input))).toBe(expected);
  });

  it.each(HOSTILE.map((h) => [h.length > 80 ? `${h.slice(0, 60)}… (${h.length} chars)` : h, h]))('refuses %s as invalidFilter', (_label, input) => {
    let caught: unknown;
    try {
      parseFilter(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ScimError);
    expect((caught as ScimError).scimType).toBe('invalidFilter');
    expect((caught as ScimError).getStatus()).toBe(400);
  });

  it('matches elements of a multi-valued attribute (PATCH paths), case-insensitively', () => {
    const filter = parseFilter('type eq "WORK" and primary eq true');
    expect(matchesElement({ Type: 'work', primary: true, value: 'a' }, filter)).toBe(true);
    expect(matchesElement({ type: 'home', primary: true }, filter)).toBe(false);
    expect(matchesElement('not an object', filter)).toBe(false);
  });
});
