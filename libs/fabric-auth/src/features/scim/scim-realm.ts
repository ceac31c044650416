import { type EntityManager, type EntityTarget, In, type Repository } from 'typeorm';
import type { Principal } from '../../core/principal.js';
import { fabricError } from '../../core/fabric-error.js';
import { isUuid } from '../../core/ids.js';
import type { FabricTransaction, FabricTransactions } from '../../data/transactions.js';
import { invalidValue, notFound } from './scim-error.js';
import { type Filter, parseFilter } from './scim-filter.js';
import { MAX_PAGE_SIZE } from './scim-schemas.js';

/** What a SCIM token provisions: an organization, or the platform (organizations off). */
export interface ScimRealm {
  /** The unique keys' scope: the organization's id, or `platform`. */
  readonly key: string;
  readonly organizationId: string | null;
}

export const PLATFORM_REALM = 'platform';

/** Page size when the client names none. */
const DEFAULT_PAGE_SIZE = 100;

/** The realm of the request's SCIM token (the guard admits no other principal on these routes). */
export function realmOf(principal: Principal): ScimRealm {
  if (principal.kind !== 'scim_token' || principal.scim === undefined) throw fabricError('invalid_credentials', 'Invalid credentials', { detail: 'not a SCIM token' });
  const organizationId = principal.scim.organizationId;
  return { key: organizationId ?? PLATFORM_REALM, organizationId };
}

/** A list request's query parameters, as given (RFC 7644 §3.4.2). */
export interface ListParameters {
  filter?: string;
  startIndex?: string;
  count?: string;
}

/** A row of a realm: SCIM Users and Groups. */
interface RealmRow {
  id: string;
  realm: string;
}

type Resource = 'User' | 'Group';

function integer(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d{1,9}$/.test(raw)) throw invalidValue(`${name} must be an integer`);
  return Number(raw);
}

/** `LIKE` text for a value, with `\` escaping the wildcards (every `LIKE` here says `ESCAPE '\'`). */
export function likeText(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The realm's row of a path id; a malformed id or another realm's row is simply not found. */
export async function findInRealm<T extends RealmRow>(manager: EntityManager, entity: EntityTarget<T>, realm: ScimRealm, id: string, what: Resource): Promise<T> {
  const row = isUuid(id) ? await manager.findOneBy(entity, { id, realm: realm.key } as never) : null;
  if (!row) throw notFound(what);
  return row;
}

/** The same under the row's lock, so that a change racing a DELETE either sees the resource whole or answers 404. */
export async function lockInRealm<T extends RealmRow>(
  transactions: FabricTransactions,
  tx: FabricTransaction,
  entity: EntityTarget<T>,
  realm: ScimRealm,
  id: string,
  what: Resource,
): Promise<T> {
  if (!isUuid(id) || !(await transactions.lock(tx, entity, id))) throw notFound(what);
  return findInRealm(tx.manager, entity, realm, id, what);
}

/**
 * One page of a realm's rows in creation order (RFC 7644 §3.4.2.4: `startIndex` 1-based,
 * `count` at most `MAX_PAGE_SIZE`), `where` turning the filter into SQL over `alias`.
 *
 * Identity providers page by offset, so a page deep in 50,000 users must not read the 49,900
 * before it: the page's ids are taken from the `(realm, created_at, id)` index alone (an
 * index-only scan on PostgreSQL, a covering index on SQLite), then only those rows are read.
 * `totalResults` is a plain `COUNT(*)` over the same index (TypeORM's `getCount` counts
 * `DISTINCT id`, which sorts every id of the realm). A filter on an indexed key (`userName`,
 * `externalId`, `emails.value`, a group's `displayName`, `eq`) reaches its rows through that key.
 */
export async function realmPage<T extends RealmRow>(
  repository: Repository<T>,
  alias: string,
  realm: ScimRealm,
  parameters: ListParameters,
  where: (filter: Filter, params: Record<string, unknown>) => string,
): Promise<{ rows: T[]; total: number; startIndex: number }> {
  const startIndex = Math.max(1, integer(parameters.startIndex, 'startIndex', 1));
  const count = Math.min(MAX_PAGE_SIZE, Math.max(0, integer(parameters.count, 'count', DEFAULT_PAGE_SIZE)));
  const params: Record<string, unknown> = { realm: realm.key };
  const condition = parameters.filter !== undefined && parameters.filter !== '' ? where(parseFilter(parameters.filter), params) : null;
  const matching = () => {
    const query = repository.createQueryBuilder(alias).where(`${alias}.realm = :realm`);
    if (condition !== null) query.andWhere(condition);
    return query.setParameters(params);
  };
  const counted = await matching().select('COUNT(*)', 'total').getRawOne<{ total: string | number }>();
  const total = Number(counted?.total ?? 0);
  if (count === 0 || startIndex > total) return { rows: [], total, startIndex };
  const ids = (
    await matching()
      .select(`${alias}.id`, 'id')
      .orderBy(`${alias}.createdAt`, 'ASC')
      .addOrderBy(`${alias}.id`, 'ASC')
      .offset(startIndex - 1)
      .limit(count)
      .getRawMany<{ id: string }>()
  ).map((row) => row.id);
  const found = ids.length === 0 ? [] : await repository.findBy({ id: In(ids) } as never);
  const byId = new Map(found.map((row) => [row.id, row]));
  // A row deleted between the two reads is left out of the page rather than answered half.
  const rows = ids.map((id) => byId.get(id)).filter((row): row is T => row !== undefined);
  return { rows, total, startIndex };
}
