import { isUuid } from '../../core/ids.js';

/** 2–63 of `a-z0-9-`, starting and ending with a letter or digit (a DNS label: it may become a subdomain). */
const SLUG = /^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/;

export const SLUG_RULE = 'slug must be 2–63 lowercase letters, digits and hyphens, starting and ending with a letter or digit, and not shaped like an id';

/**
 * A slug as it is stored and compared: NFKC (fullwidth `ａｃｍｅ` is `acme`) and lower case.
 * Undefined when what remains is not a slug — anything outside `a-z0-9-` (a Cyrillic `а`, an
 * invisible character) included, and a uuid, which a path would read as an id.
 */
export function normalizeSlug(raw: string): string | undefined {
  const slug = raw.normalize('NFKC').toLowerCase();
  return SLUG.test(slug) && !isUuid(slug) ? slug : undefined;
}

/**
 * Look-alike spellings folded together (Unicode TR #39's confusables within `a-z0-9-`): `0`
 * reads as `o`, `1` as `l`, `rn` as `m`, `vv` as `w`, `cl` as `d`, and a run of hyphens as
 * one. Two slugs with one key are one organization as far as a reader can tell, so the key
 * is unique.
 */
export function slugKey(slug: string): string {
  return slug.replace(/0/g, 'o').replace(/1/g, 'l').replace(/rn/g, 'm').replace(/vv/g, 'w').replace(/cl/g, 'd').replace(/-+/g, '-');
}
