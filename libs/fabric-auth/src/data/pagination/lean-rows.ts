import type { EntityMetadata, ObjectLiteral, SelectQueryBuilder } from 'typeorm';

type ColumnMetadata = EntityMetadata['columns'][number];

/**
 * Entities of a list page straight from its raw rows, for the one shape a page has: entities of
 * the main alias, whole or in part (what the entries show, the primary key among it), with at
 * most many-to-one relations inner-joined onto it, whole or in part (a member's user), and joins
 * by entity that only add raw columns (a standing's membership).
 * One entity per raw row: TypeORM's own hydration (getRawAndEntities) groups the rows by primary
 * key and works out which columns to read on every call, which a page read on every request
 * pays for nothing; here each (entity, alias) pair's columns are worked out once. Each value
 * still goes through the driver's prepareHydratedValue (dates, booleans, column transformers),
 * so an entity is the one TypeORM would build. Any other shape (an entity read in part without
 * its primary key, left joins of relations, relation ids, inheritance, load listeners or subscribers) answers undefined: the
 * caller then reads the page with getRawAndEntities.
 */
export type RowMapper<E> = (raw: Record<string, unknown>) => E;

type Columns = readonly (readonly [key: string, column: ColumnMetadata])[];

/** Columns to read per entity and alias: bounded by the entities times the aliases the lists use. */
const columnsOf = new WeakMap<EntityMetadata, Map<string, Columns>>();

export function leanMapper<E extends ObjectLiteral>(query: SelectQueryBuilder<E>): RowMapper<E> | undefined {
  const map = query.expressionMap;
  const main = map.mainAlias;
  const driver = query.connection.driver;
  if (!main?.hasMetadata || query.connection.subscribers.length > 0) return undefined;
  if (map.relationIdAttributes.length > 0 || map.relationLoadStrategy === 'query') return undefined;
  if (map.skip !== undefined || map.take !== undefined) return undefined;
  const selections = new Set(map.selects.map((s) => s.selection));
  const plain = (metadata: EntityMetadata) => !metadata.discriminatorColumn && metadata.childEntityMetadatas.length === 0 && metadata.afterLoadListeners.length === 0;
  // Columns selected under their own keys (`alias_column`): an entity may be read in part (a
  // member's user, a membership: what the page shows), its primary key always among them; an
  // unselected column is absent from the raw row, and left unset as TypeORM leaves it.
  const columnSelections = new Set(map.selects.filter((s) => s.aliasName === undefined).map((s) => s.selection));
  const selectedIn = (metadata: EntityMetadata, alias: string) =>
    selections.has(alias) || metadata.primaryColumns.every((column) => columnSelections.has(`${alias}.${column.propertyPath}`));
  // Of an entity read in part, only its selected columns: a raw key of the same name (an
  // expression selected as `alias_column`) sets no property, as with TypeORM.
  const readIn = (metadata: EntityMetadata, alias: string): Columns | undefined => {
    const columns = columnsFor(metadata, alias, driver.maxAliasLength);
    return columns && !selections.has(alias) ? columns.filter(([, column]) => columnSelections.has(`${alias}.${column.propertyPath}`)) : columns;
  };
  if (!selectedIn(main.metadata, main.name) || !plain(main.metadata)) return undefined;
  const joins: { alias: string; metadata: EntityMetadata; columns: Columns; set: (entity: E, value: unknown) => void }[] = [];
  for (const join of map.joinAttributes) {
    if (!join.isSelected) continue;
    const relation = join.relation;
    // A join by entity rather than by relation (a standing's membership) only lends columns to
    // the raw row: TypeORM's hydration leaves it out of the entity too.
    if (!relation && !join.mapToProperty && !selections.has(join.alias.name)) continue;
    if (!relation || !join.metadata || join.mapToProperty || join.direction !== 'INNER' || join.parentAlias !== main.name) return undefined;
    if (!(relation.isManyToOne || relation.isOneToOneOwner) || relation.propertyPath !== join.relationPropertyPath) return undefined;
    if (!main.metadata.relations.includes(relation) || !plain(join.metadata) || !selectedIn(join.metadata, join.alias.name)) return undefined;
    const columns = readIn(join.metadata, join.alias.name);
    if (!columns) return undefined;
    joins.push({ alias: join.alias.name, metadata: join.metadata, columns, set: (entity, value) => relation.setEntityValue(entity, value) });
  }
  const columns = readIn(main.metadata, main.name);
  if (!columns) return undefined;
  const build = (metadata: EntityMetadata, cols: Columns, raw: Record<string, unknown>): { entity: ObjectLiteral; hasData: boolean } => {
    const entity = metadata.create(undefined, { fromDeserializer: true }) as ObjectLiteral;
    let hasData = false;
    for (const [key, column] of cols) {
      const value = raw[key];
      if (value === undefined) continue;
      if (value !== null && !column.isVirtualProperty) hasData = true;
      column.setEntityValue(entity, driver.prepareHydratedValue(value, column));
    }
    return { entity, hasData };
  };
  return (raw) => {
    const { entity } = build(main.metadata, columns, raw);
    for (const join of joins) {
      const joined = build(join.metadata, join.columns, raw);
      // As TypeORM: a relation joined with no row there is null.
      join.set(entity as E, joined.hasData ? joined.entity : null);
    }
    return entity as E;
  };
}

/** The raw keys (TypeORM's `alias_column`) and columns of an entity under `alias`, all of them; undefined where TypeORM would shorten a key. */
function columnsFor(metadata: EntityMetadata, alias: string, maxAliasLength: number | undefined): Columns | undefined {
  let byAlias = columnsOf.get(metadata);
  if (!byAlias) columnsOf.set(metadata, (byAlias = new Map()));
  let columns = byAlias.get(alias);
  if (!columns) {
    columns = metadata.columns.filter((column) => !column.isVirtual).map((column) => [`${alias}_${column.databaseName}`, column] as const);
    if (maxAliasLength && columns.some(([key]) => key.length > maxAliasLength)) return undefined;
    byAlias.set(alias, columns);
  }
  return columns;
}
