import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FabricConfigError } from './fabric-config.error.js';
import { resolveFabricAuthOptions } from './resolve-options.js';
import { fabricAuthOptionsFromTree, readFabricConfigTree } from './fabric-config.loader.js';

const SECRET = 'k3J9-x8Qv_2mZr7Lp4Tn6Wb1Yc5Hd0Fs';

function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fabric-config-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, text);
  return file;
}

function problemsOf(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof FabricConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a FabricConfigError');
}

describe('YAML config loader', () => {
  it('reads the reference keys and applies defaults', () => {
    const file = yamlFile(`auth:\n  secret_key: "${SECRET}"\n  system_admin_password: "Adm1n-passw0rd"\nserver:\n  secure_cookies: false\n`);
    const options = fabricAuthOptionsFromTree(readFabricConfigTree({ file, env: {} }));
    expect(options).toMatchObject({
      secretKey: SECRET,
      systemAdminPassword: 'Adm1n-passw0rd',
      systemAdminUsername: 'admin',
      accessTokenExpire: 900,
      refreshTokenExpire: 86_400,
      secureCookies: false,
      bcryptCost: 12,
    });
  });

  it('FABRIC_<SECTION>__<KEY> variables override the file, typed by the key', () => {
    const file = yamlFile(`auth:\n  secret_key: "${SECRET}"\n  access_token_expire: 900\n`);
    const options = fabricAuthOptionsFromTree(
      readFabricConfigTree({
        file,
        env: {
          FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: 'Env-passw0rd-123',
          FABRIC_AUTH__ACCESS_TOKEN_EXPIRE: '300',
          FABRIC_SERVER__SECURE_COOKIES: 'false',
          FABRIC_AUTH__ROLES: '{"viewer": ["users:list"]}',
          FABRIC_TEST_POSTGRES_URL: 'postgres://ignored',
        },
      }),
    );
    expect(options.accessTokenExpire).toBe(300);
    expect(options.secureCookies).toBe(false);
    expect(options.systemAdminPassword).toBe('Env-passw0rd-123');
    expect(options.roles).toEqual({ viewer: ['users:list'] });
  });

  it('deeper variables reach into mappings: providers and roles', () => {
    const tree = readFabricConfigTree({
      env: {
        FABRIC_AUTH__SECRET_KEY: SECRET,
        FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: 'Env-passw0rd-123',
        FABRIC_AUTH__PROVIDERS__OIDC__ISSUER: 'https://idp.example.com',
        FABRIC_AUTH__PROVIDERS__OIDC__CLIENT_ID: '1234567',
        FABRIC_AUTH__PROVIDERS__OIDC__REDIRECT_URI: 'https://app.example.com/api/v1/auth/oidc/callback',
        FABRIC_AUTH__PROVIDERS__OIDC__JIT_PROVISIONING: 'true',
        FABRIC_AUTH__ROLES__VIEWER: '["users:list"]',
      },
    });
    const options = fabricAuthOptionsFromTree(tree);
    expect(options.providers?.oidc).toMatchObject({ issuer: 'https://idp.example.com', clientId: '1234567', jitProvisioning: true });
    expect(options.roles).toEqual({ viewer: ['users:list'] });
    expect(problemsOf(() => readFabricConfigTree({ env: { FABRIC_AUTH__SECRET_KEY__X: 'y' } }))[0]).toContain('FABRIC_AUTH__SECRET_KEY__X');
  });

  it.each([
    ['a short secret', { auth: { secret_key: 'short', system_admin_password: 'Adm1n-passw0rd' } }, 'auth.secret_key: must be at least 32 characters'],
    ['a missing secret', { auth: { system_admin_password: 'Adm1n-passw0rd' } }, 'auth.secret_key: is required'],
    ['a predictable secret', { auth: { secret_key: 'changemechangemechangemechangeme', system_admin_password: 'Adm1n-passw0rd' } }, 'auth.secret_key: is too predictable'],
    ['a missing admin password', { auth: { secret_key: SECRET } }, 'auth.system_admin_password: is required'],
    ['a common admin password', { auth: { secret_key: SECRET, system_admin_password: 'changeme' } }, 'auth.system_admin_password: is a commonly used password'],
    ['an unknown key', { auth: { secret_key: SECRET, system_admin_password: 'Adm1n-passw0rd', secret: 'x' } }, 'auth.secret: unknown key'],
    ['a bad type', { auth: { secret_key: SECRET, system_admin_password: 'Adm1n-passw0rd', access_token_expire: 'soon' } }, 'auth.access_token_expire: must be an integer'],
    [
      'a bad boolean',
      { auth: { secret_key: SECRET, system_admin_password: 'Adm1n-passw0rd' }, server: { secure_cookies: 'maybe' } },
      'server.secure_cookies: must be true or false',
    ],
    [
      'a role naming a malformed permission',
      { auth: { secret_key: SECRET, system_admin_password: 'Adm1n-passw0rd', roles: { viewer: ['Users List'] } } },
      'auth.roles.viewer: "Users List" is not a permission name',
    ],
    [
      'an OIDC provider without client_id',
      { auth: { secret_key: SECRET, system_admin_password: 'Adm1n-passw0rd', providers: { oidc: { issuer: 'https://idp.example', redirect_uri: 'https://app.example/cb' } } } },
      'auth.providers.oidc.client_id: is required',
    ],
  ])('refuses %s, naming the key', (_, tree, message) => {
    const problems = problemsOf(() => fabricAuthOptionsFromTree(tree));
    expect(problems.some((p) => p.startsWith(message))).toBe(true);
  });

  it("reads the app's own file: only auth and server, only FABRIC_AUTH__/FABRIC_SERVER__ variables", () => {
    const file = yamlFile(
      [
        'app:',
        '  name: reports',
        'database:',
        '  url: postgres://x',
        'auth:',
        `  secret_key: ${SECRET}`,
        '  system_admin_password: Adm1n-passw0rd',
        'server:',
        '  secure_cookies: false',
      ].join('\n'),
    );
    const tree = readFabricConfigTree({ file, env: { FABRIC_APP__NAME: 'x', FABRIC_DATABASE__URL: 'y', FABRIC_ENV: 'prod', FABRIC_AUTH__ACCESS_TOKEN_EXPIRE: '300' } });
    const options = fabricAuthOptionsFromTree(tree);
    expect(options.accessTokenExpire).toBe(300);
    expect(options.secureCookies).toBe(false);
    // A typo inside the library's own sections is still an error.
    expect(problemsOf(() => fabricAuthOptionsFromTree({ ...tree, server: { secure_cookie: false } }))).toEqual(['server.secure_cookie: unknown key']);
  });

  it('needs no system admin password when seeding is off', () => {
    const options = fabricAuthOptionsFromTree({ auth: { secret_key: SECRET, seed_system_admin: false } });
    expect(options.systemAdminPassword).toBeUndefined();
    expect(problemsOf(() => fabricAuthOptionsFromTree({ auth: { secret_key: SECRET, seed_system_admin: true } }))).toEqual(['auth.system_admin_password: is required']);
  });

  it('names the environment variable that carried a bad value', () => {
    const problems = problemsOf(() => readFabricConfigTree({ env: { FABRIC_AUTH__ACCESS_TOKEN_EXPIRE: 'soon' } }));
    expect(problems).toEqual(['auth.access_token_expire (from FABRIC_AUTH__ACCESS_TOKEN_EXPIRE): must be an integer']);
    expect(problemsOf(() => readFabricConfigTree({ env: { FABRIC_AUTH__SECRETKEY: 'x' } }))[0]).toContain('FABRIC_AUTH__SECRETKEY');
  });

  it('reports an unreadable or invalid file clearly', () => {
    expect(problemsOf(() => readFabricConfigTree({ file: '/nonexistent/config.yaml', env: {} }))[0]).toContain('cannot be read');
    expect(problemsOf(() => readFabricConfigTree({ file: yamlFile('auth: [unclosed'), env: {} }))[0]).toContain('is not valid YAML');
    expect(problemsOf(() => readFabricConfigTree({ file: yamlFile('- a list'), env: {} }))[0]).toContain('mapping at the top level');
  });

  it('forRoot options report both the YAML key and the option name', () => {
    const problems = problemsOf(() => resolveFabricAuthOptions({ secretKey: 'short', systemAdminPassword: 'Adm1n-passw0rd' }));
    expect(problems).toEqual(['auth.secret_key (secretKey): must be at least 32 characters']);
    expect(problemsOf(() => resolveFabricAuthOptions({ secretKey: SECRET, systemAdminPassword: 'Adm1n-passw0rd', typo: 1 } as never))).toEqual(['typo: unknown option']);
  });

  it("password hashing: argon2id at OWASP's m=19 MiB, t=2, p=1 by default; the pool and queue bounded; weaker or huge settings refused", () => {
    const base = { secretKey: SECRET, systemAdminPassword: 'Adm1n-passw0rd' };
    const resolved = resolveFabricAuthOptions(base);
    expect(resolved).toMatchObject({
      passwordHash: 'argon2id',
      argon2Memory: 19_456,
      argon2Iterations: 2,
      argon2Parallelism: 1,
      scryptCost: 13,
      scryptBlockSize: 8,
      scryptParallelism: 10,
      bcryptCost: 12,
      passwordQueueDepth: 16,
    });
    expect(resolved.passwordHashConcurrency).toBeGreaterThanOrEqual(1);
    expect(resolved.passwordHashConcurrency).toBeLessThanOrEqual(3);
    // OWASP's other equivalent settings are accepted.
    for (const [scryptCost, scryptParallelism] of [
      [17, 1],
      [16, 2],
      [15, 3],
      [14, 5],
    ]) {
      expect(resolveFabricAuthOptions({ ...base, scryptCost, scryptParallelism })).toMatchObject({ scryptCost, scryptParallelism });
    }
    // OWASP's other equivalent argon2id settings are accepted; less work than the cheapest of them is not.
    for (const [argon2Memory, argon2Iterations] of [
      [47_104, 1],
      [12_288, 3],
      [9216, 4],
      [7168, 5],
    ]) {
      expect(resolveFabricAuthOptions({ ...base, argon2Memory, argon2Iterations })).toMatchObject({ argon2Memory, argon2Iterations });
    }
    expect(problemsOf(() => resolveFabricAuthOptions({ ...base, argon2Memory: 9216, argon2Iterations: 3 }))).toEqual([
      "auth.argon2_memory, auth.argon2_iterations: below OWASP's minimum: memory (KiB) × iterations must be at least 7168 × 5",
    ]);
    expect(problemsOf(() => resolveFabricAuthOptions({ ...base, argon2Memory: 262_145, argon2Iterations: 0, argon2Parallelism: 17 }))).toEqual([
      'auth.argon2_memory (argon2Memory): must be between 7168 and 262144',
      'auth.argon2_iterations (argon2Iterations): must be between 1 and 10',
      'auth.argon2_parallelism (argon2Parallelism): must be between 1 and 16',
    ]);
    // Better Auth's default (N=2^14, r=16, p=1) does less work than OWASP's minimum.
    expect(problemsOf(() => resolveFabricAuthOptions({ ...base, scryptCost: 14, scryptBlockSize: 16, scryptParallelism: 1 }))).toEqual([
      "auth.scrypt_cost, auth.scrypt_block_size, auth.scrypt_parallelism: below OWASP's minimum: 2^cost × block_size × parallelism must be at least 2^13 × 8 × 10",
    ]);
    expect(problemsOf(() => resolveFabricAuthOptions({ ...base, scryptCost: 20, scryptBlockSize: 8 }))).toEqual([
      'auth.scrypt_cost, auth.scrypt_block_size, auth.scrypt_parallelism: needs more than 256 MiB per hash (128 × 2^cost × block_size bytes)',
    ]);
    expect(problemsOf(() => resolveFabricAuthOptions({ ...base, passwordHash: 'argon2i' as never, scryptCost: 12, passwordHashConcurrency: 0, passwordQueueDepth: 0 }))).toEqual([
      'auth.password_hash (passwordHash): must be argon2id, scrypt or bcrypt',
      'auth.scrypt_cost (scryptCost): must be between 13 and 20',
      'auth.password_hash_concurrency (passwordHashConcurrency): must be between 1 and 64',
      'auth.password_queue_depth (passwordQueueDepth): must be between 1 and 10000',
    ]);
    const tree = readFabricConfigTree({
      env: {
        FABRIC_AUTH__SECRET_KEY: SECRET,
        FABRIC_AUTH__SEED_SYSTEM_ADMIN: 'false',
        FABRIC_AUTH__PASSWORD_QUEUE_DEPTH: '4',
        FABRIC_AUTH__PASSWORD_HASH: 'bcrypt',
        FABRIC_AUTH__ARGON2_MEMORY: '47104',
      },
    });
    expect(fabricAuthOptionsFromTree(tree)).toMatchObject({ passwordQueueDepth: 4, passwordHash: 'bcrypt', argon2Memory: 47_104 });
  });

  it('webhooks: deliveries and events are kept 30 days by default, 1 to 3650 allowed (a lifetime is never off)', () => {
    const base = { secretKey: SECRET, systemAdminPassword: 'Adm1n-passw0rd' };
    expect(resolveFabricAuthOptions(base).webhooks.retentionDays).toBe(30);
    expect(resolveFabricAuthOptions({ ...base, webhooks: { retentionDays: 1 } }).webhooks.retentionDays).toBe(1);
    for (const retentionDays of [0, 3651, 1.5]) {
      expect(problemsOf(() => resolveFabricAuthOptions({ ...base, webhooks: { retentionDays } }))).toEqual(['auth.webhooks.retention_days: must be an integer between 1 and 3650']);
    }
  });
});
