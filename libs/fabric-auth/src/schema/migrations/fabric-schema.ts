import type { QueryRunner } from 'typeorm';
import { fabricAuthTablePrefix } from '../table-prefix.js';
import { UserEntity } from '../entities/user.entity.js';

/**
 * The names a migration writes, under the table prefix in force (`setFabricAuthTablePrefix`,
 * `FabricAuthModule.forRoot({ tablePrefix })`). Every identifier of ours in a migration goes
 * through it; `npm run migration:generate` writes migrations this way. Each method returns the
 * name double-quoted, ready to splice into SQL:
 *
 *   const s = fabricSchema(queryRunner);
 *   await queryRunner.query(`CREATE INDEX ${s.name('idx_users_email')} ON ${s.table('users')} ("email")`);
 *
 * - `table('users')`: a table (the DataSource's own `entityPrefix`, if any, comes first, as
 *   TypeORM does for entities);
 * - `name('idx_users_email')`: an index or constraint name given explicitly in an entity;
 * - `pk`, `unique`, `fk`, `index`, `relation`, `check`, `default`: the names TypeORM derives
 *   (hashes of the prefixed table and the columns), computed by the DataSource's naming
 *   strategy so they match what the entities' metadata expects.
 *
 * @publicApi
 */
export interface FabricSchemaNames {
  readonly prefix: string;
  table(base: string): string;
  name(base: string): string;
  pk(table: string, columns: string[]): string;
  unique(table: string, columns: string[]): string;
  fk(table: string, columns: string[], referencedTable?: string, referencedColumns?: string[]): string;
  index(table: string, columns: string[], where?: string): string;
  relation(table: string, columns: string[], where?: string): string;
  check(table: string, expression: string): string;
  default(table: string, column: string): string;
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

/** @publicApi */
export function fabricSchema(queryRunner: QueryRunner): FabricSchemaNames {
  const connection = queryRunner.connection;
  const prefix = fabricAuthTablePrefix();
  const tablePrefix = (connection.options.entityPrefix ?? '') + prefix;
  if (connection.hasMetadata(UserEntity)) {
    const built = connection.getMetadata(UserEntity).tableName;
    if (built !== `${tablePrefix}users`) {
      throw new Error(
        `nestjs-fabric-auth: this DataSource's entities use the table "${built}" but the table prefix is now "${prefix}"; ` +
          'set the prefix (setFabricAuthTablePrefix or FabricAuthModule tablePrefix) before the DataSource is initialised',
      );
    }
  }
  const naming = connection.namingStrategy;
  const full = (table: string) => tablePrefix + table;
  return {
    prefix,
    table: (base) => quote(full(base)),
    name: (base) => quote(prefix + base),
    pk: (table, columns) => quote(naming.primaryKeyName(full(table), columns)),
    unique: (table, columns) => quote(naming.uniqueConstraintName(full(table), columns)),
    fk: (table, columns, referencedTable, referencedColumns) => quote(naming.foreignKeyName(full(table), columns, referencedTable && full(referencedTable), referencedColumns)),
    index: (table, columns, where) => quote(naming.indexName(full(table), columns, where)),
    relation: (table, columns, where) => quote(naming.relationConstraintName(full(table), columns, where)),
    check: (table, expression) => quote(naming.checkConstraintName(full(table), expression)),
    default: (table, column) => quote(naming.defaultConstraintName(full(table), column)),
  };
}
