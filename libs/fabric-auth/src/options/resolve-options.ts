/**
 * Applies defaults and validates: one walk of the `FabricAuthOptions` field table, then the few
 * rules that relate two options. The YAML view (`{ auth: { secret_key }, server: { … } }`) reads
 * through the same table.
 */

import { argon2WorkProblem, scryptWorkProblem } from '../core/password-hashes.js';
import { FabricAuthOptions, type ResolvedFabricAuthOptions, type ResolvedSigningOptions, type ResolvedTrustedIssuerOptions } from './fabric-auth.options.js';
import { FabricConfigError } from './fabric-config.error.js';
import { fieldsOf, isPlainObject, type Naming, type OptionField, readSection, type ValueKind } from './option-field.js';
import { isHttpUrl } from './option-rules.js';

const TOP_LEVEL = fieldsOf(FabricAuthOptions);

/**
 * Applies defaults and validates. Throws `FabricConfigError` listing every problem, each
 * prefixed with the YAML key it concerns (and, for TypeScript options, the option's name).
 */
export function resolveFabricAuthOptions(input: FabricAuthOptions, naming: Naming = 'option'): ResolvedFabricAuthOptions {
  if (!isPlainObject(input)) throw new FabricConfigError(['options: must be an object']);
  const problems: string[] = [];
  const resolved = readSection(FabricAuthOptions, input, {
    where: '',
    naming,
    problems,
    nullIsAbsent: true,
    label: (field) => (naming === 'yaml' ? field.key : `${field.key} (${field.option})`),
    unknownKey: (key) => `${key}: unknown option`,
  });
  crossFieldProblems(resolved, naming, problems);
  if (problems.length > 0) throw new FabricConfigError(problems);
  return resolved as ResolvedFabricAuthOptions;
}

function crossFieldProblems(resolved: Record<string, unknown>, naming: Naming, problems: string[]): void {
  if (typeof resolved.apiKeyDefaultDays === 'number' && typeof resolved.apiKeyMaxDays === 'number' && resolved.apiKeyDefaultDays > resolved.apiKeyMaxDays) {
    problems.push('auth.api_key_default_days: must not exceed auth.api_key_max_days');
  }
  if (typeof resolved.argon2Memory === 'number' && typeof resolved.argon2Iterations === 'number') {
    const problem = argon2WorkProblem({ memory: resolved.argon2Memory, iterations: resolved.argon2Iterations, parallelism: 1 });
    if (problem) problems.push(`auth.argon2_memory, auth.argon2_iterations: ${problem}`);
  }
  if (typeof resolved.scryptCost === 'number' && typeof resolved.scryptBlockSize === 'number' && typeof resolved.scryptParallelism === 'number') {
    const problem = scryptWorkProblem({ cost: resolved.scryptCost, blockSize: resolved.scryptBlockSize, parallelism: resolved.scryptParallelism });
    if (problem) problems.push(`auth.scrypt_cost, auth.scrypt_block_size, auth.scrypt_parallelism: ${problem}`);
  }
  const algorithm = (resolved.signing as ResolvedSigningOptions | undefined)?.algorithm;
  if (algorithm && algorithm !== 'HS256' && typeof resolved.issuer === 'string' && !isHttpUrl(resolved.issuer)) {
    problems.push(
      `${naming === 'yaml' ? 'auth.issuer' : 'issuer'}: "${resolved.issuer}" is not a URL, which ${algorithm} signing needs (other services fetch ` +
        '<issuer>/.well-known/openid-configuration and compare its issuer); set auth.issuer (https://auth.example.com) or auth.public_base_url, which it defaults to',
    );
  }
  const trusted = resolved.trustedIssuers as ResolvedTrustedIssuerOptions[] | undefined;
  if (trusted?.some((t) => t.issuer === resolved.issuer)) {
    problems.push('auth.trusted_issuers: must not list auth.issuer (our own tokens are verified with our own keys)');
  }
}

/**
 * The kind of a YAML key, used to read `FABRIC_…` environment strings: a top-level key
 * (`auth.secret_key`) or one inside a section (`auth.mfa.step_up_seconds`,
 * `auth.providers.<name>.jwks_cooldown`).
 */
export function yamlKeyKind(path: string): ValueKind | undefined {
  const [section, key, ...inside] = path.split('.');
  const field = TOP_LEVEL.find((f) => f.key === `${section}.${key}`);
  if (!field || inside.length === 0) return field?.kind;
  const innerKey = field.nested?.join === '.<name>.' ? inside[1] : field.nested?.join === '.' ? inside[0] : undefined;
  if (!field.nested || innerKey === undefined) return undefined;
  return sectionTypes(field.nested)
    .flatMap((type) => fieldsOf(type))
    .find((f) => f.key === innerKey)?.kind;
}

/** The classes a nested section is read by: its own, then its variants. */
function sectionTypes(nested: NonNullable<OptionField['nested']>): ReadonlyArray<new () => object> {
  return [nested.type, ...(nested.variants ?? [])];
}

/** Turns the YAML view (`{auth: {secret_key}, server: {...}}`) into module options, reporting YAML paths. */
export function optionsFromYamlTree(tree: Record<string, unknown>): { options: FabricAuthOptions; problems: string[] } {
  const problems: string[] = [];
  const options: Record<string, unknown> = {};
  const bySection = new Map<string, Map<string, OptionField>>();
  for (const field of TOP_LEVEL) {
    const [section, key] = field.key.split('.') as [string, string];
    if (!bySection.has(section)) bySection.set(section, new Map());
    bySection.get(section)!.set(key, field);
  }
  for (const [section, body] of Object.entries(tree)) {
    const fields = bySection.get(section);
    // The file is the app's own: sections other than auth and server belong to it.
    if (!fields) continue;
    if (body === null || body === undefined) continue;
    if (!isPlainObject(body)) {
      problems.push(`${section}: must be a mapping`);
      continue;
    }
    for (const [key, value] of Object.entries(body)) {
      const field = fields.get(key);
      if (!field) problems.push(`${section}.${key}: unknown key`);
      else options[field.option] = value;
    }
  }
  return { options: options as unknown as FabricAuthOptions, problems };
}

/**
 * Every key the YAML file accepts, nested ones included, with its plain default (the initializer;
 * `undefined` when it has none or derives it): `<name>` stands for a provider's name, `[]` for
 * each entry of a list (`auth.trusted_issuers[].issuer`). The README's configuration table
 * documents exactly these keys and defaults (test/package/readme.e2e-spec.ts).
 */
export function fabricConfigDefaults(): Map<string, unknown> {
  const defaults = new Map<string, unknown>();
  const top = new FabricAuthOptions() as unknown as Record<string, unknown>;
  for (const field of TOP_LEVEL) {
    if (!field.nested) {
      defaults.set(field.key, field.derive ? undefined : top[field.option]);
      continue;
    }
    for (const type of sectionTypes(field.nested)) {
      const inner = new type() as Record<string, unknown>;
      for (const nested of fieldsOf(type)) {
        const key = field.key + field.nested.join + nested.key;
        // A key two variants share keeps the first one's default (`type`: `oidc`).
        if (!defaults.has(key)) defaults.set(key, nested.derive ? undefined : inner[nested.option]);
      }
    }
  }
  return defaults;
}

/** Every key the YAML file accepts (see `fabricConfigDefaults`). */
export function fabricConfigKeyPaths(): string[] {
  return [...fabricConfigDefaults().keys()];
}
