import { invalidFilter } from './scim-error.js';

/**
 * RFC 7644 §3.4.2.2 filters, parsed by a small recursive descent over a bounded input:
 *
 *   filter     := or
 *   or         := and ("or" and)*
 *   and        := unary ("and" unary)*
 *   unary      := "not" "(" filter ")" | "(" filter ")" | attrPath "[" filter "]" | comparison
 *   comparison := attrPath "pr" | attrPath compareOp value
 *   value      := string | number | true | false | null
 *
 * Attribute names and operators are case-insensitive; a URN prefix (`urn:…:User:userName`) is
 * allowed. Whatever is refused (syntax, an unknown attribute, too long, too deep) is a 400
 * `invalidFilter`, never a 500.
 */

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type FilterValue = string | number | boolean | null;

export type Filter =
  | { kind: 'and' | 'or'; left: Filter; right: Filter }
  | { kind: 'not'; filter: Filter }
  | { kind: 'compare'; attribute: string; op: CompareOp; value: FilterValue }
  | { kind: 'present'; attribute: string }
  /** `emails[type eq "work"]`: a filter on the elements of a multi-valued attribute. */
  | { kind: 'valuePath'; attribute: string; filter: Filter };

/** Characters of a filter at most: an identity provider's filters are a few dozen. */
export const MAX_FILTER_LENGTH = 1_000;
/** Nesting of parentheses, `not` and value paths at most. */
export const MAX_FILTER_DEPTH = 8;
/** Comparisons in one filter at most. */
export const MAX_FILTER_TERMS = 32;

const COMPARE_OPS = new Set<string>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const ATTRIBUTE = /^(?:urn:[a-z0-9:._-]+:)?[a-z][a-z0-9_-]*(?:\.[a-z][a-z0-9_-]*)?$/i;

type Token = { type: 'word' | 'string' | 'number' | '(' | ')' | '[' | ']'; text: string; at: number };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      tokens.push({ type: c, text: c, at: i++ });
    } else if (c === '"') {
      const start = i++;
      let text = '';
      for (;;) {
        if (i >= input.length) throw invalidFilter(`unterminated string at ${start}`);
        const d = input[i++];
        if (d === '"') break;
        if (d === '\\') {
          if (i >= input.length) throw invalidFilter(`unterminated string at ${start}`);
          const e = input[i++];
          const escapes: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };
          if (e === 'u') {
            const hex = input.slice(i, i + 4);
            if (!/^[0-9a-f]{4}$/i.test(hex)) throw invalidFilter(`bad escape at ${i - 2}`);
            text += String.fromCharCode(parseInt(hex, 16));
            i += 4;
          } else if (escapes[e] !== undefined) text += escapes[e];
          else throw invalidFilter(`bad escape at ${i - 2}`);
        } else text += d;
      }
      tokens.push({ type: 'string', text, at: start });
    } else {
      const start = i;
      while (i < input.length && !' \t()[]"'.includes(input[i])) i++;
      const text = input.slice(start, i);
      tokens.push({ type: /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text) ? 'number' : 'word', text, at: start });
    }
  }
  return tokens;
}

class Parser {
  private position = 0;
  private terms = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): Filter {
    const filter = this.or(0);
    const extra = this.tokens[this.position];
    if (extra) throw invalidFilter(`unexpected "${extra.text}" at ${extra.at}`);
    return filter;
  }

  private peekWord(word: string): boolean {
    const token = this.tokens[this.position];
    return token?.type === 'word' && token.text.toLowerCase() === word;
  }

  private expect(type: Token['type']): Token {
    const token = this.tokens[this.position];
    if (token?.type !== type) throw invalidFilter(token ? `expected "${type}" at ${token.at}, found "${token.text}"` : `expected "${type}" at the end`);
    this.position++;
    return token;
  }

  private or(depth: number): Filter {
    let left = this.and(depth);
    while (this.peekWord('or')) {
      this.position++;
      left = { kind: 'or', left, right: this.and(depth) };
    }
    return left;
  }

  private and(depth: number): Filter {
    let left = this.unary(depth);
    while (this.peekWord('and')) {
      this.position++;
      left = { kind: 'and', left, right: this.unary(depth) };
    }
    return left;
  }

  private nested(depth: number): number {
    if (depth + 1 > MAX_FILTER_DEPTH) throw invalidFilter(`nested deeper than ${MAX_FILTER_DEPTH}`);
    return depth + 1;
  }

  private unary(depth: number): Filter {
    if (this.peekWord('not')) {
      this.position++;
      this.expect('(');
      const filter = this.or(this.nested(depth));
      this.expect(')');
      return { kind: 'not', filter };
    }
    const token = this.tokens[this.position];
    if (token?.type === '(') {
      this.position++;
      const filter = this.or(this.nested(depth));
      this.expect(')');
      return filter;
    }
    const attribute = this.attribute();
    if (this.tokens[this.position]?.type === '[') {
      this.position++;
      const filter = this.or(this.nested(depth));
      this.expect(']');
      return { kind: 'valuePath', attribute, filter };
    }
    if (++this.terms > MAX_FILTER_TERMS) throw invalidFilter(`more than ${MAX_FILTER_TERMS} comparisons`);
    const op = this.expect('word').text.toLowerCase();
    if (op === 'pr') return { kind: 'present', attribute };
    if (!COMPARE_OPS.has(op)) throw invalidFilter(`unknown operator "${op}"`);
    return { kind: 'compare', attribute, op: op as CompareOp, value: this.value() };
  }

  private attribute(): string {
    const token = this.tokens[this.position];
    if (token?.type !== 'word' || !ATTRIBUTE.test(token.text)) {
      throw invalidFilter(token ? `expected an attribute at ${token.at}, found "${token.text}"` : 'expected an attribute at the end');
    }
    this.position++;
    return token.text;
  }

  private value(): FilterValue {
    const token = this.tokens[this.position++];
    if (!token) throw invalidFilter('expected a value at the end');
    if (token.type === 'string') return token.text;
    if (token.type === 'number') return Number(token.text);
    if (token.type === 'word') {
      const word = token.text.toLowerCase();
      if (word === 'true') return true;
      if (word === 'false') return false;
      if (word === 'null') return null;
    }
    throw invalidFilter(`expected a value at ${token.at}, found "${token.text}"`);
  }
}

export function parseFilter(input: string): Filter {
  if (input.length > MAX_FILTER_LENGTH) throw invalidFilter(`longer than ${MAX_FILTER_LENGTH} characters`);
  const tokens = tokenize(input);
  if (tokens.length === 0) throw invalidFilter('empty filter');
  return new Parser(tokens).parse();
}

/** The attribute's name without the schema URN prefix a client may put before it, lower-cased: `urn:…:User:userName` → `username`. */
export function attributeKey(attribute: string, schemaUrns: readonly string[]): string {
  const lower = attribute.toLowerCase();
  for (const urn of schemaUrns) {
    const prefix = `${urn.toLowerCase()}:`;
    if (lower.startsWith(prefix)) return lower.slice(prefix.length);
  }
  return lower;
}

/** Whether a plain value (an element of a multi-valued attribute, for a PATCH path) matches a filter. */
export function matchesElement(element: unknown, filter: Filter): boolean {
  if (typeof element !== 'object' || element === null) return false;
  const read = (attribute: string): unknown => {
    const key = attribute.toLowerCase();
    const entry = Object.entries(element).find(([k]) => k.toLowerCase() === key);
    return entry?.[1];
  };
  switch (filter.kind) {
    case 'and':
      return matchesElement(element, filter.left) && matchesElement(element, filter.right);
    case 'or':
      return matchesElement(element, filter.left) || matchesElement(element, filter.right);
    case 'not':
      return !matchesElement(element, filter.filter);
    case 'present': {
      const value = read(filter.attribute);
      return value !== undefined && value !== null && value !== '';
    }
    case 'valuePath':
      throw invalidFilter('a value path inside a value path');
    case 'compare':
      return compareValues(read(filter.attribute), filter.op, filter.value);
  }
}

function compareValues(actual: unknown, op: CompareOp, expected: FilterValue): boolean {
  if (typeof actual === 'string' && typeof expected === 'string') {
    const a = actual.toLowerCase();
    const e = expected.toLowerCase();
    switch (op) {
      case 'eq':
        return a === e;
      case 'ne':
        return a !== e;
      case 'co':
        return a.includes(e);
      case 'sw':
        return a.startsWith(e);
      case 'ew':
        return a.endsWith(e);
      case 'gt':
        return a > e;
      case 'ge':
        return a >= e;
      case 'lt':
        return a < e;
      case 'le':
        return a <= e;
    }
  }
  if (op === 'eq') return actual === expected || (typeof actual === 'string' && String(expected).toLowerCase() === actual.toLowerCase());
  if (op === 'ne') return actual !== expected;
  return false;
}
