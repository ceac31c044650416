/**
 * The table-prefix rule on its own: checking the option must not load the entities and TypeORM's
 * metadata that applying the prefix needs (`storage/table-prefix.ts`).
 */

const PREFIX_PATTERN = /^([a-z][a-z0-9_]{0,29})?$/;

/** Refuses prefixes that would need quoting or overflow PostgreSQL's 63-byte identifiers. */
export function tablePrefixProblem(prefix: unknown): string | undefined {
  return typeof prefix === 'string' && PREFIX_PATTERN.test(prefix)
    ? undefined
    : 'must be empty or lowercase letters, digits and _ (starting with a letter, at most 30), e.g. "fabric_"';
}
