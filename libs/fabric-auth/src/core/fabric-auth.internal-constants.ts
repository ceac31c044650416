/** Resolved (validated, defaulted) options; the raw ones sit under the module's MODULE_OPTIONS_TOKEN. */
export const FABRIC_RESOLVED_OPTIONS = Symbol('FABRIC_RESOLVED_OPTIONS');
/** Where FabricGuard leaves the principal on the request. */
export const REQUEST_PRINCIPAL = Symbol.for('fabric-auth:principal');
/** The instance's Redis clients, or null when `server.redis_url` is not set. */
export const FABRIC_REDIS = Symbol('FABRIC_REDIS');
/** The table prefix in force when the module was declared. */
export const FABRIC_TABLE_PREFIX = Symbol('FABRIC_TABLE_PREFIX');
/** Evaluated at startup only to refuse a DataSource whose table names disagree with it. */
export const FABRIC_TABLE_PREFIX_CHECK = Symbol('FABRIC_TABLE_PREFIX_CHECK');
/** Evaluated at startup only to switch the DataSource's named statements as `server.prepared_statements` says. */
export const FABRIC_NAMED_STATEMENTS = Symbol('FABRIC_NAMED_STATEMENTS');
/** Evaluated at startup only to refuse an opt-in feature whose option and loading disagree. */
export const FABRIC_FEATURE_SWITCHES_CHECK = Symbol('FABRIC_FEATURE_SWITCHES_CHECK');
/** The library's route prefix (`api/v1` by default), for URLs in issuer metadata. */
export const FABRIC_ROUTE_PREFIX = Symbol('FABRIC_ROUTE_PREFIX');
/** The permissions the app's code registers (`appPermissions` of forRoot/forRootAsync). */
export const FABRIC_APP_PERMISSIONS = Symbol('FABRIC_APP_PERMISSIONS');
/** The DNS resolver (`FabricDnsResolver`) domain claims are checked through: `dnsResolver` of the module's extras, else the system's. */
export const FABRIC_DNS_RESOLVER = Symbol('FABRIC_DNS_RESOLVER');
