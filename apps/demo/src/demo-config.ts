import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  type FabricAuthFeatureName,
  fabricAuthOptionsFromTree,
  type FabricDatabaseChoice,
  parseDatabaseUrl,
  readFabricConfigTree,
  type ResolvedFabricAuthOptions,
} from 'nestjs-fabric-auth';

export type DatabaseChoice = FabricDatabaseChoice;

export interface DemoConfig {
  port: number;
  configFile: string | undefined;
  options: ResolvedFabricAuthOptions;
  database: DatabaseChoice;
  /** `DATABASE_CONNECT_ATTEMPTS`, 3 s apart, before startup stops on a database that does not answer. Default 10. */
  databaseConnectAttempts?: number;
  /** Set when no admin password was configured: printed once if the admin gets created. */
  generatedAdminPassword?: string;
  /** Loud notes about development-only defaults that were filled in. */
  devNotices: string[];
  /**
   * Mount the benchmark's routes (`DEMO_BENCH_ROUTES=1`, set by `npm run bench` only): one
   * of them skips revocation checks, so a normal start never serves it (SEC-89).
   */
  benchRoutes?: boolean;
  /** The library's features to load (`FabricAuthModule.forRoot({ features })`); default all. */
  features?: readonly FabricAuthFeatureName[];
}

const DEFAULT_CONFIG_FILE = 'apps/demo/config.yaml';

function section(tree: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = tree[name];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return value as Record<string, unknown>;
}

/** `DATABASE_URL` as the library reads it (never guessed); unset means `<DATA_DIR>/fabric-auth.sqlite`. */
export function databaseFrom(url: string | undefined, dataDir: string): DatabaseChoice {
  const choice: DatabaseChoice = url === undefined || url === '' ? { type: 'better-sqlite3', database: resolve(dataDir, 'fabric-auth.sqlite') } : parseDatabaseUrl(url);
  if (choice.type === 'better-sqlite3' && choice.database !== ':memory:') mkdirSync(dirname(resolve(choice.database)), { recursive: true });
  return choice;
}

/** The dev secret survives restarts (tokens stay valid); it lives next to the SQLite file, never in git. */
function developmentSecret(dataDir: string): string {
  const file = resolve(dataDir, 'dev-secret-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/**
 * Reads PORT, CONFIG_FILE, DATABASE_URL and the FABRIC_… overrides. Unlike the library,
 * the demo fills in a missing secret and admin password so that `npm start` works on a
 * fresh machine, and says loudly that this is a development setup.
 */
export function loadDemoConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  const dataDir = resolve(env.DATA_DIR ?? 'data');
  // First: a DATABASE_URL that is refused must leave nothing behind (no data directory, no secret).
  const database = databaseFrom(env.DATABASE_URL, dataDir);
  const configFile = env.CONFIG_FILE ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  const tree = readFabricConfigTree({ file: configFile, env });
  const auth = section(tree, 'auth');
  const devNotices: string[] = [];
  let generatedAdminPassword: string | undefined;
  if (auth.secret_key === undefined) {
    auth.secret_key = developmentSecret(dataDir);
    devNotices.push(`auth.secret_key is not set: using a generated development secret kept in ${resolve(dataDir, 'dev-secret-key')}`);
  }
  if (auth.system_admin_password === undefined) {
    generatedAdminPassword = randomBytes(18).toString('base64url');
    auth.system_admin_password = generatedAdminPassword;
    auth.seed_system_admin = false;
    devNotices.push('auth.system_admin_password is not set: a generated password is printed below if the admin is created now');
  }
  tree.auth = auth;
  const portText = env.PORT ?? '3000';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new Error(`PORT: "${portText}" is not a TCP port`);
  const attemptsText = env.DATABASE_CONNECT_ATTEMPTS ?? '10';
  if (!/^\d{1,4}$/.test(attemptsText) || Number(attemptsText) < 1) throw new Error(`DATABASE_CONNECT_ATTEMPTS: "${attemptsText}" is not a whole number ≥ 1`);
  return {
    port: Number(portText),
    databaseConnectAttempts: Number(attemptsText),
    configFile,
    options: fabricAuthOptionsFromTree(tree),
    database,
    generatedAdminPassword,
    devNotices,
    benchRoutes: env.DEMO_BENCH_ROUTES === '1',
  };
}
