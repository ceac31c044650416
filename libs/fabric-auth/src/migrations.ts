// nestjs-fabric-auth/migrations: the library's migrations, for the app's TypeORM options
// (`migrations: fabricAuthMigrations('postgres')`) or its own DataSource.
export { FABRIC_AUTH_POSTGRES_MIGRATIONS, FABRIC_AUTH_SQLITE_MIGRATIONS, fabricAuthMigrations } from './schema/migrations/index.js';
export { fabricSchema, type FabricSchemaNames } from './schema/migrations/fabric-schema.js';
