import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fabricAuthOptionsFromTree, readFabricConfigTree, type ResolvedFabricAuthOptions } from 'nestjs-fabric-auth';

export type DatabaseChoice = { type: 'postgres'; url: string } | { type: 'better-sqlite3'; database: string };

export interface DemoConfig {
  port: number;
  configFile: string | undefined;
  options: ResolvedFabricAuthOptions;
  database: DatabaseChoice;
  /** Set when no admin password was configured: printed once if the admin gets created. */
  generatedAdminPassword?: string;
  /** Loud notes about development-only defaults that were filled in. */
  devNotices: string[];
  /**
   * Mount the benchmark's routes (`DEMO_BENCH_ROUTES=1`, set by `npm run bench` only): one
   * of them skips revocation checks, so a normal start never serves it (SEC-89).
   */
  benchRoutes?: boolean;
}

const DEFAULT_CONFIG_FILE = 'apps/demo/config.yaml';

function section(tree: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = tree[name];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return value as Record<string, unknown>;
}

export function databaseFrom(url: string | undefined, dataDir: string): DatabaseChoice {
  if (url && /^postgres(ql)?:\/\//i.test(url)) return { type: 'postgres', url };
  const database = url && url.length > 0 ? url : resolve(dataDir, 'fabric-auth.sqlite');
  if (database !== ':memory:') mkdirSync(dirname(resolve(database)), { recursive: true });
  return { type: 'better-sqlite3', database };
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
  return {
    port: Number(portText),
    configFile,
    options: fabricAuthOptionsFromTree(tree),
    database: databaseFrom(env.DATABASE_URL, dataDir),
    generatedAdminPassword,
    devNotices,
    benchRoutes: env.DEMO_BENCH_ROUTES === '1',
  };
}
