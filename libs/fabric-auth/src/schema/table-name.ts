import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

/** An entity's table as raw SQL must name it (schema and any naming the app configured included), quoted. */
export function quotedTableName(dataSource: DataSource, entity: EntityTarget<ObjectLiteral>): string {
  const { schema, tableName } = dataSource.getMetadata(entity);
  const quote = (name: string) => dataSource.driver.escape(name);
  return schema ? `${quote(schema)}.${quote(tableName)}` : quote(tableName);
}
