import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loginToDemo, startDemo } from '../support/demo-process.js';
import { createScratchDatabase } from '../support/postgres.js';
import { scratchDirectories } from '../support/scratch-dirs.js';

// The CLI as a new user meets it: through the bin npm links, from a clean directory or the workspace.
const BIN = resolve('libs/fabric-auth/bin/nestjs-fabric-auth.js');
const VERSION = (JSON.parse(readFileSync('libs/fabric-auth/package.json', 'utf8')) as { version: string }).version;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<Result> {
  const child = spawn(command, args, { cwd: options.cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(options.stdin ?? '');
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}

const cli = (args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string } = {}) => run(process.execPath, [BIN, ...args], options);

describe('the admin CLI in the first hour', () => {
  const cleanDir = scratchDirectories('fabric-cli-first-');

  it('--version prints the package version', async () => {
    const result = await cli(['--version'], { cwd: cleanDir() });
    expect(result).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it('answers --help, a usage error and --version without loading Nest, TypeORM or the library', async () => {
    const cwd = cleanDir();
    // A module-resolution hook records every module the process resolves.
    const log = join(cwd, 'resolved.log');
    writeFileSync(
      join(cwd, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }\n`,
    );
    writeFileSync(join(cwd, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
    const traced = (args: string[]) => run(process.execPath, ['--import', './register.mjs', BIN, ...args], { cwd });
    const help = await traced(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['migrate', 'create-admin', 'create-user', 'reset-password', 'create-api-key', 'unlock', 'list-users', 'rotate-signing-key']) {
      expect(help.stdout).toContain(command);
    }
    const usage = await traced(['list-users', '--no-such-option']);
    expect(usage.code).toBe(2);
    expect(usage.stderr.trim().split('\n')).toEqual(["error: unknown option '--no-such-option'"]);
    expect((await traced(['frobnicate'])).code).toBe(2);
    const resolved = readFileSync(log, 'utf8');
    expect(resolved).toContain('commander');
    expect(resolved).not.toMatch(/@nestjs\/|\/typeorm\/|fabric-auth\.module\.js|bcrypt/);
  });

  it('reads ./config.yaml by default and names the file it read when a key is wrong', async () => {
    const cwd = cleanDir();
    writeFileSync(join(cwd, 'config.yaml'), 'auth:\n  secret_key: "too-short"\n');
    const result = await cli(['list-users'], { cwd, env: { DATABASE_URL: 'sqlite:auth.sqlite' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('nestjs-fabric-auth: invalid configuration: auth.secret_key: must be at least 32 characters (config file read: config.yaml)\n');
  });

  it('says it read no config file when a required key is missing', async () => {
    const cwd = cleanDir();
    const result = await cli(['list-users'], { cwd, env: { DATABASE_URL: 'sqlite:auth.sqlite' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('auth.secret_key: is required (no config file read: none given with --config or CONFIG_FILE, and no ./config.yaml in ');
  });

  it('refuses a DATABASE_URL it would have to guess at', async () => {
    const cwd = cleanDir();
    const result = await cli(['migrate'], { cwd, env: { DATABASE_URL: 'mysql://root@127.0.0.1/fabric', FABRIC_AUTH__SECRET_KEY: 'cli-first-hour-secret-2b7e9c4a1f6d3e8b0a5c' } });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('DATABASE_URL: the scheme "mysql:" is not supported; use `postgres://');
    expect(result.stderr).not.toContain('better-sqlite3');
  });

  it('works as `npx nestjs-fabric-auth` inside the workspace', async () => {
    const result = await run('npx', ['--no-install', 'nestjs-fabric-auth', '--version'], { cwd: resolve('.') });
    expect(result).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  describe.each(['sqlite', 'postgres'] as const)('resets the demo admin’s password as the README says (%s)', (kind) => {
    it('the demo printed a password once; the CLI sets a new one and the demo takes it', async () => {
      const dataDir = join(cleanDir(), 'data');
      const db = kind === 'postgres' ? await createScratchDatabase() : undefined;
      const databaseUrl = db?.url ?? join(dataDir, 'fabric-auth.sqlite');
      const env = { DATA_DIR: dataDir, CONFIG_FILE: 'apps/demo/config.yaml', ...(db ? { DATABASE_URL: db.url } : {}) };
      try {
        const first = await startDemo(env);
        await first.stop();
        expect(first.output()).toContain('created with the generated password');
        // README: FABRIC_AUTH__SECRET_KEY="$(cat data/dev-secret-key)" DATABASE_URL=data/fabric-auth.sqlite CONFIG_FILE=apps/demo/config.yaml npx nestjs-fabric-auth reset-password admin --password-stdin
        const reset = await run('npx', ['--no-install', 'nestjs-fabric-auth', 'reset-password', 'admin', '--password-stdin'], {
          cwd: resolve('.'),
          stdin: 'Reset-adm1n-passw0rd\n',
          env: { FABRIC_AUTH__SECRET_KEY: readFileSync(join(dataDir, 'dev-secret-key'), 'utf8').trim(), DATABASE_URL: databaseUrl, CONFIG_FILE: 'apps/demo/config.yaml' },
        });
        expect(reset.stderr).toBe('password of "admin" set; their sessions are revoked\n');
        expect(reset.code).toBe(0);
        const second = await startDemo(env);
        try {
          await loginToDemo(second, 'admin', 'Reset-adm1n-passw0rd');
        } finally {
          await second.stop();
        }
      } finally {
        await db?.drop();
      }
    }, 120_000);
  });
});
