import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FabricAuthOptions, ResolvedFabricAuthOptions } from './fabric-auth.options.js';
import { FabricConfigError } from './fabric-config.error.js';
import { optionsFromYamlTree, resolveFabricAuthOptions, yamlKeyKind } from './resolve-options.js';

export const FABRIC_ENV_PREFIX = 'FABRIC_';

const require = createRequire(import.meta.url);

/**
 * js-yaml, required on the first YAML text: an app configured in code never loads it. A
 * `require`, since the loader is synchronous (a `@nestjs/config` load function, the CLI).
 */
function loadYaml(text: string): unknown {
  return (require('js-yaml') as typeof import('js-yaml')).load(text);
}

export type FabricConfigTree = Record<string, unknown>;

export interface FabricConfigSource {
  /** YAML file to read; absent means environment only. */
  file?: string;
  /** Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The sections the library owns; other `FABRIC_…` variables are the app's. */
const OWN_ENV_PREFIXES = [`${FABRIC_ENV_PREFIX}AUTH__`, `${FABRIC_ENV_PREFIX}SERVER__`];

/** `FABRIC_AUTH__SECRET_KEY` → `auth.secret_key`; only `FABRIC_AUTH__…` and `FABRIC_SERVER__…` are read. */
function envKeyToPath(name: string): string | undefined {
  if (!OWN_ENV_PREFIXES.some((prefix) => name.startsWith(prefix))) return undefined;
  return name.slice(FABRIC_ENV_PREFIX.length).toLowerCase().split('__').join('.');
}

/** A value inside a mapping: booleans and JSON lists/objects are parsed; anything else stays text. */
function nestedEnvValue(raw: string): unknown {
  const trimmed = raw.trim();
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return raw;
    }
  }
  return raw;
}

function coerceEnvValue(name: string, path: string, raw: string, problems: string[]): unknown {
  const kind = yamlKeyKind(path);
  switch (kind) {
    case 'string':
      return raw;
    case 'int':
      if (!/^-?\d+$/.test(raw.trim())) return void problems.push(`${path} (from ${name}): must be an integer`);
      return Number(raw.trim());
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      return void problems.push(`${path} (from ${name}): must be true or false`);
    }
    default:
      // Lists and mappings arrive as YAML or JSON text.
      try {
        return loadYaml(raw);
      } catch {
        return void problems.push(`${path} (from ${name}): is not valid YAML/JSON`);
      }
  }
}

/**
 * Reads the YAML file (snake_case, as fastapi-fabric-auth's `config.yaml`) and applies
 * `FABRIC_<SECTION>__<KEY>` environment overrides, without validating. Use it when you
 * need to look at what was configured before validation (the demo fills in dev secrets).
 *
 * @publicApi
 */
export function readFabricConfigTree(source: FabricConfigSource = {}): FabricConfigTree {
  const env = source.env ?? process.env;
  const problems: string[] = [];
  let tree: FabricConfigTree = {};
  if (source.file) {
    let text: string;
    try {
      text = readFileSync(source.file, 'utf8');
    } catch (error) {
      throw new FabricConfigError([`${source.file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
    }
    let parsed: unknown;
    try {
      parsed = loadYaml(text);
    } catch (error) {
      throw new FabricConfigError([`${source.file}: is not valid YAML (${(error as Error).message.split('\n')[0]})`]);
    }
    if (parsed !== undefined && parsed !== null && !isPlainObject(parsed)) {
      throw new FabricConfigError([`${source.file}: must contain a mapping at the top level`]);
    }
    tree = (parsed as FabricConfigTree | null) ?? {};
  }
  for (const [name, raw] of Object.entries(env)) {
    const path = envKeyToPath(name);
    if (!path || raw === undefined) continue;
    const parts = path.split('.');
    const keyPath = parts.slice(0, 2).join('.');
    const kind = yamlKeyKind(keyPath);
    // Deeper paths reach into mappings: FABRIC_AUTH__PROVIDERS__OIDC__CLIENT_ID, FABRIC_AUTH__ROLES__VIEWER.
    if (parts.length < 2 || !kind || (parts.length > 2 && kind !== 'mapping')) {
      problems.push(`${name}: does not name a known config key (${path})`);
      continue;
    }
    const value = parts.length === 2 || yamlKeyKind(path) === 'int' ? coerceEnvValue(name, path, raw, problems) : nestedEnvValue(raw);
    if (value === undefined) continue;
    let node = tree as Record<string, unknown>;
    for (const part of parts.slice(0, -1)) {
      if (!isPlainObject(node[part])) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts.at(-1)!] = value;
  }
  if (problems.length > 0) throw new FabricConfigError(problems);
  return tree;
}

/**
 * Validates a config tree and returns resolved module options; problems name YAML keys.
 *
 * @publicApi
 */
export function fabricAuthOptionsFromTree(tree: FabricConfigTree): ResolvedFabricAuthOptions {
  const { options, problems } = optionsFromYamlTree(tree);
  let resolved: ResolvedFabricAuthOptions | undefined;
  try {
    resolved = resolveFabricAuthOptions(options, 'yaml');
  } catch (error) {
    if (!(error instanceof FabricConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || !resolved) throw new FabricConfigError(problems);
  return resolved;
}

/**
 * A `load` factory for `@nestjs/config`: `ConfigModule.forRoot({ load: [fabricConfigLoader({ file })] })`.
 * The loaded value is validated at once (a bad file stops startup) and exposed as
 * `fabricAuth` (module options, camelCase) next to the raw snake_case sections.
 *
 * @publicApi
 */
export function fabricConfigLoader(source: FabricConfigSource = {}): () => FabricConfigTree & { fabricAuth: FabricAuthOptions } {
  return () => {
    const tree = readFabricConfigTree(source);
    return { ...tree, fabricAuth: fabricAuthOptionsFromTree(tree) };
  };
}
