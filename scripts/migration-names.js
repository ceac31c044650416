// Turns the SQL TypeORM generates (with the library's plain table names) into migration code
// that names every table, index and constraint through `fabricSchema(queryRunner)`, so the
// shipped migrations honour the table prefix (libs/fabric-auth/src/schema/table-prefix.ts).
import { DefaultNamingStrategy } from 'typeorm';

const HASHED = /^(PK|UQ|FK|IDX|REL|CHK|DF|XPK)_[0-9a-f]{20,}$/;

function literal(value) {
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  return `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A call on `s` (the FabricSchemaNames of a migration) that yields `name` with no prefix. */
function call(method, ...args) {
  while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
  return { method, args, code: `s.${method}(${args.map(literal).join(', ')})` };
}

/** What each name found in the entities' metadata and in the database is made of. */
export async function namesOf(dataSource) {
  const naming = new DefaultNamingStrategy();
  const names = new Map();
  const columns = new Set();
  const add = (name, recipe) => {
    if (!names.has(name)) names.set(name, recipe);
  };
  for (const meta of dataSource.entityMetadatas) {
    const table = meta.tableName;
    add(table, call('table', table));
    add(`temporary_${table}`, call('table', `temporary_${table}`));
    for (const column of meta.columns) columns.add(column.databaseName);
    add(
      naming.primaryKeyName(
        table,
        meta.primaryColumns.map((c) => c.databaseName),
      ),
      call(
        'pk',
        table,
        meta.primaryColumns.map((c) => c.databaseName),
      ),
    );
    for (const u of meta.uniques)
      add(
        u.name,
        u.givenName
          ? call('name', u.givenName)
          : call(
              'unique',
              table,
              u.columns.map((c) => c.databaseName),
            ),
      );
    for (const i of meta.indices)
      add(
        i.name,
        i.givenName
          ? call('name', i.givenName)
          : call(
              'index',
              table,
              i.columns.map((c) => c.databaseName),
              i.where,
            ),
      );
    for (const fk of meta.foreignKeys) {
      add(fk.name, fk.givenName ? call('name', fk.givenName) : call('fk', table, fk.columnNames, fk.referencedEntityMetadata.tableName, fk.referencedColumnNames));
    }
    for (const c of meta.checks) add(c.name, c.givenName ? call('name', c.givenName) : call('check', table, c.expression));
  }
  // Names the database holds but the entities no longer describe (a later migration drops them).
  const runner = dataSource.createQueryRunner();
  try {
    const ownSchema = (t) => !t.name.includes('.') || t.name.startsWith('public.');
    const tables = (await runner.getTables()).filter((t) => ownSchema(t) && !['migrations', 'typeorm_metadata'].includes(t.name.replace(/^.*\./, '')));
    for (const t of tables) {
      const table = t.name.replace(/^.*\./, '');
      add(table, call('table', table));
      const primary = t.columns.filter((c) => c.isPrimary).map((c) => c.name);
      if (primary.length) add(naming.primaryKeyName(table, primary), call('pk', table, primary));
      for (const i of t.indices) {
        add(i.name, i.name === naming.indexName(table, i.columnNames, i.where || undefined) ? call('index', table, i.columnNames, i.where || undefined) : call('name', i.name));
      }
      for (const u of t.uniques) add(u.name, u.name === naming.uniqueConstraintName(table, u.columnNames) ? call('unique', table, u.columnNames) : call('name', u.name));
      for (const fk of t.foreignKeys) {
        const referenced = fk.referencedTableName.replace(/^.*\./, '');
        add(fk.name, fk.name === naming.foreignKeyName(table, fk.columnNames) ? call('fk', table, fk.columnNames, referenced, fk.referencedColumnNames) : call('name', fk.name));
      }
      for (const c of t.columns) columns.add(c.name);
    }
  } finally {
    await runner.release();
  }
  for (const name of names.keys()) {
    if (columns.has(name)) throw new Error(`"${name}" is both a column and a table/index/constraint name; rename one so migrations can prefix it unambiguously`);
  }
  return names;
}

function escapeTemplate(text) {
  return text.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
}

/** A template literal of `sql` where each name of ours is `${s.…}`; throws on a hashed name it cannot attribute. */
export function templateOf(sql, names) {
  let out = '';
  let plain = '';
  let last = 0;
  // `"public"."idx_x"`: PostgreSQL's own qualification is dropped; the search path finds the index.
  const identifier = /(?:"public"\.)?"((?:[^"]|"")+)"/g;
  for (const match of sql.matchAll(identifier)) {
    const name = match[1].replace(/""/g, '"');
    const recipe = names.get(name);
    if (!recipe) {
      if (HASHED.test(name)) throw new Error(`cannot tell which table and columns "${name}" names; give it an explicit name in the entity`);
      continue;
    }
    out += escapeTemplate(sql.slice(last, match.index)) + '${' + recipe.code + '}';
    plain += sql.slice(last, match.index) + match[0].replace(/^"public"\./, '');
    last = match.index + match[0].length;
  }
  return { template: '`' + out + escapeTemplate(sql.slice(last)) + '`', plain: plain + sql.slice(last) };
}

/** Checks that a template gives back `sql` with no prefix (so unprefixed databases see the same statements). */
export function assertSameWithoutPrefix({ template, plain }, fabricSchema) {
  const s = fabricSchema({ connection: { options: {}, hasMetadata: () => false, namingStrategy: new DefaultNamingStrategy() } });
  const rendered = new Function('s', `return ${template};`)(s);
  if (rendered !== plain) throw new Error(`migration names do not round-trip:\n  generated: ${plain}\n  template:  ${rendered}`);
}

/** The file of one migration class. */
export function migrationFile(className, upTemplates, downTemplates) {
  const body = (templates) =>
    templates.length === 0 ? '' : `    const s = fabricSchema(queryRunner);\n${templates.map((t) => `    await queryRunner.query(${t});`).join('\n')}\n`;
  return (
    `import type { MigrationInterface, QueryRunner } from 'typeorm';\n` +
    `import { fabricSchema } from '../fabric-schema.js';\n\n` +
    `export class ${className} implements MigrationInterface {\n  name = '${className}';\n\n` +
    `  async up(queryRunner: QueryRunner): Promise<void> {\n${body(upTemplates)}  }\n\n` +
    `  async down(queryRunner: QueryRunner): Promise<void> {\n${body(downTemplates)}  }\n}\n`
  );
}
