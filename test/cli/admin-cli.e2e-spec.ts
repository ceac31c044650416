import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { verifyPassword } from 'nestjs-fabric-auth';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS, type DatabaseKind, scratchDatabase, type ScratchDatabase, TEST_SECRET } from '../support/test-app.js';

// The CLI as a user runs it: a process, the built package, a config file, DATABASE_URL.
const CLI = resolve('libs/fabric-auth/dist/cli/main.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A scratch database, the app's config file and a way to run the CLI as a process. */
function cliFixture(kind: DatabaseKind) {
  let db: ScratchDatabase;
  let dir: string;
  let databaseUrl: string;
  let env: NodeJS.ProcessEnv;

  function cli(args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end(options.stdin ?? '');
    return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
  }

  async function query<T>(sql: string): Promise<T[]> {
    const ds = await new DataSource(
      db.choice.type === 'postgres' ? { type: 'postgres', url: db.choice.url } : { type: 'better-sqlite3', database: db.choice.database },
    ).initialize();
    try {
      return await ds.query<T[]>(sql);
    } finally {
      await ds.destroy();
    }
  }

  /** Refused input: one line on stderr, a non-zero exit. */
  function expectRefused(result: Result, message: string, code = 1) {
    expect(result.code, result.stderr).toBe(code);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(message);
  }

  beforeAll(async () => {
    db = await scratchDatabase(kind);
    databaseUrl = db.choice.type === 'postgres' ? db.choice.url : db.choice.database;
    dir = mkdtempSync(join(tmpdir(), 'fabric-cli-'));
    // The app's own file: other sections are the app's; no admin password (the CLI never seeds).
    writeFileSync(
      join(dir, 'config.yaml'),
      [
        'app:',
        '  name: reports',
        'auth:',
        '  bcrypt_cost: 10',
        '  table_prefix: fab_',
        '  permissions: [reports:read]',
        '  roles:',
        '    viewer: [reports:read, users:list]',
        'server:',
        '  secure_cookies: false',
        '',
      ].join('\n'),
    );
    env = { DATABASE_URL: databaseUrl, CONFIG_FILE: join(dir, 'config.yaml'), FABRIC_AUTH__SECRET_KEY: TEST_SECRET, FABRIC_APP__NAME: 'ignored' };
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { cli, query, expectRefused, dir: () => dir };
}

// Each call is a fresh process booting Nest: a few seconds each on a busy machine.
describe.each(DATABASE_KINDS)('npx nestjs-fabric-auth on %s', { timeout: 300_000 }, (kind) => {
  const { cli, query, expectRefused } = cliFixture(kind);

  it('migrate applies the migrations once, naming tables with auth.table_prefix', async () => {
    const first = await cli(['migrate']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^applied \d+: /);
    expect((await cli(['migrate'])).stdout.trim()).toBe('up to date');
    expect(await query(`SELECT username FROM fab_users`)).toEqual([]);
  });

  it('create-admin creates the system admin once, with the password from stdin', async () => {
    const created = await cli(['create-admin', '--password-stdin'], { stdin: 'Cli-admin-pass-9\n' });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout.trim()).toBe('system admin "admin" created');
    if (kind === 'sqlite') {
      expect((await cli(['create-admin', '--password-stdin'], { stdin: 'Other-admin-pass-9' })).stdout.trim()).toBe('system admin "admin" already exists (unchanged)');
    }
    const [row] = await query<{ password_hash: string }>(`SELECT password_hash FROM fab_users WHERE username = 'admin'`);
    expect(await verifyPassword('Cli-admin-pass-9', row.password_hash)).toBe(true);
  });

  it('create-user applies the same validation and rules as the API, and an unknown role writes nothing', async () => {
    const created = await cli(['create-user', 'alice', '--email', 'alice@example.test', '--role', 'viewer', '--password-stdin'], { stdin: 'Alice-pass-12345' });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('created user "alice"');
    expect(created.stdout).toContain('with roles viewer');
    if (kind === 'sqlite') expectRefused(await cli(['create-user', 'bob', '--email', 'not-an-email']), 'email must be an email address');
    expectRefused(await cli(['create-user', 'carol', '--email', 'carol@example.test', '--role', 'ghost']), 'ghost');
    expectRefused(await cli(['create-user', 'dave', '--email', 'dave@example.test', '--password-stdin'], { stdin: 'password' }), 'password');
    const names = (await query<{ username: string }>(`SELECT username FROM fab_users ORDER BY username`)).map((r) => r.username);
    expect(names).toEqual(['admin', 'alice']);
    const [audit] = await query<{ actor_kind: string; actor_name: string }>(`SELECT actor_kind, actor_name FROM fab_audit_events WHERE action = 'user.create'`);
    expect(audit).toEqual({ actor_kind: 'system', actor_name: 'cli' });
  });

  it('create-user without a password prints the activation link', async () => {
    const created = await cli(['create-user', 'erin', '--email', 'erin@example.test']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/activation link for erin: http:\/\/localhost:3000\/activate\?token=\S+/);
    expect(created.stderr).toContain(
      'auth.public_base_url is not set: the link assumes the app at http://localhost:3000 (PORT, else 3000); set auth.public_base_url to where people reach it',
    );
    // The app's port by the PORT convention it listens on; a set public_base_url wins, without the note.
    const onPort = await cli(['create-user', 'fay', '--email', 'fay@example.test'], { env: { PORT: '8123' } });
    expect(onPort.stdout).toMatch(/activation link for fay: http:\/\/localhost:8123\/activate\?token=\S+/);
    const configured = await cli(['create-user', 'gil', '--email', 'gil@example.test'], { env: { PORT: '8123', FABRIC_AUTH__PUBLIC_BASE_URL: 'https://app.example.com' } });
    expect(configured.stdout).toMatch(/activation link for gil: https:\/\/app\.example\.com\/activate\?token=\S+/);
    expect(configured.stderr).not.toContain('public_base_url');
  });

  it('reset-password enforces the policy, sets the password and ends the sessions', async () => {
    expectRefused(await cli(['reset-password', 'alice', '--password-stdin'], { stdin: 'password' }), 'password');
    if (kind === 'sqlite') expectRefused(await cli(['reset-password', 'nobody', '--password-stdin'], { stdin: 'Whatever-pass-123' }), 'not found');
    const done = await cli(['reset-password', 'alice', '--password-stdin'], { stdin: 'New-alice-pass-678\n' });
    expect(done.code, done.stderr).toBe(0);
    const [row] = await query<{ password_hash: string }>(`SELECT password_hash FROM fab_users WHERE username = 'alice'`);
    expect(await verifyPassword('New-alice-pass-678', row.password_hash)).toBe(true);
    const generated = await cli(['reset-password', 'alice']);
    expect(generated.code, generated.stderr).toBe(0);
    const password = generated.stdout.trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const [after] = await query<{ password_hash: string }>(`SELECT password_hash FROM fab_users WHERE username = 'alice'`);
    expect(await verifyPassword(password, after.password_hash)).toBe(true);
  });

  it('create-api-key prints the raw key once, alone on stdout; only its hash is stored', async () => {
    const made = await cli(['create-api-key', '--user', 'alice', '--name', 'ci', '--scope', 'reports:read', '--days', '30']);
    expect(made.code, made.stderr).toBe(0);
    const lines = made.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^fab_[A-Za-z0-9]{40,}$/);
    const [row] = await query<{ key_hash: string; scopes: string }>(`SELECT key_hash, scopes FROM fab_api_keys`);
    expect(row.key_hash).toBe(createHash('sha256').update(lines[0]).digest('hex'));
    expect(JSON.parse(row.scopes)).toEqual(['reports:read']);
    expectRefused(await cli(['create-api-key', '--user', 'alice', '--name', 'x', '--scope', 'audit:read']), 'does not hold');
    if (kind === 'sqlite') {
      expectRefused(await cli(['create-api-key', '--name', 'x']), 'exactly one of --user or --service-account');
      expectRefused(await cli(['create-api-key', '--user', 'alice', '--name', 'x', '--days', 'many']), '--days');
    }
  });

  it('list-users prints one user per line', async () => {
    const listed = await cli(['list-users']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(
      listed.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t')[0]),
    ).toEqual(expect.arrayContaining(['admin', 'alice', 'erin']));
    const json = await cli(['list-users', '--q', 'ali', '--json']);
    expect(JSON.parse(json.stdout.trim()).roles).toEqual(['viewer']);
    // With organizations on in the app's config: no command serves them, and the CLI starts all the same.
    const withOrganizations = await cli(['list-users'], { env: { FABRIC_AUTH__ORGANIZATIONS__ENABLED: 'true' } });
    expect(withOrganizations.code, withOrganizations.stderr).toBe(0);
    if (kind === 'sqlite') expectRefused(await cli(['list-users', '--limit', '100000']), 'limit');
  });

  it('rotate-signing-key makes a new key sign while the old one verifies until its tokens expire', async () => {
    const signing = { FABRIC_AUTH__SIGNING__ALGORITHM: 'EdDSA', FABRIC_AUTH__ISSUER: 'https://auth.example.test' };
    expectRefused(await cli(['rotate-signing-key']), 'HS256');
    const first = await cli(['rotate-signing-key', '--reason', 'key ceremony'], { env: signing });
    expect(first.code, first.stderr).toBe(0);
    const second = await cli(['rotate-signing-key'], { env: signing });
    expect(second.code, second.stderr).toBe(0);
    const kidOf = (r: Result) => /signing with (\S+) \(EdDSA\)/.exec(r.stdout)?.[1];
    expect(kidOf(first)).toBeTruthy();
    expect(kidOf(second)).not.toBe(kidOf(first));
    const keys = await query<{ kid: string; retires_at: unknown; private_key: string }>(`SELECT kid, retires_at, private_key FROM fab_signing_keys`);
    expect(keys.find((k) => k.kid === kidOf(second))?.retires_at).toBeNull();
    expect(keys.find((k) => k.kid === kidOf(first))?.retires_at).not.toBeNull();
    // The private part is sealed: no PEM or JWK in the row.
    for (const key of keys) expect(key.private_key).not.toMatch(/PRIVATE KEY|"d":/);
    const audits = await query<{ actor_name: string; details: unknown }>(
      `SELECT actor_name, details FROM fab_audit_events WHERE action = 'signing_key.rotate' ORDER BY occurred_at`,
    );
    // The first start generated the first key (no actor); then the two rotations, by the CLI.
    expect(audits.map((a) => a.actor_name)).toEqual([null, 'cli', 'cli']);
    expect(JSON.stringify(audits[1].details)).toContain('key ceremony');
  });
});

// Refusals that happen before any database work: once, on SQLite.
describe('npx nestjs-fabric-auth refusing bad input', { timeout: 300_000 }, () => {
  const { cli, expectRefused, dir } = cliFixture('sqlite');

  it('unlock without Redis says where the locks are', async () => {
    expectRefused(await cli(['unlock', 'alice']), 'server.redis_url');
  });

  it('bad invocations and bad config get one line and a non-zero exit', async () => {
    expectRefused(await cli(['frobnicate']), "unknown command 'frobnicate'", 2);
    expectRefused(await cli(['reset-password']), "missing required argument 'username'", 2);
    expectRefused(await cli(['list-users'], { env: { DATABASE_URL: '' } }), 'set DATABASE_URL');
    expectRefused(await cli(['list-users'], { env: { FABRIC_AUTH__SECRET_KEY: 'short' } }), 'auth.secret_key: must be at least 32 characters');
    expectRefused(await cli(['list-users'], { env: { FABRIC_AUTH__SECRETKEY: 'x' } }), 'FABRIC_AUTH__SECRETKEY: does not name a known config key');
    expectRefused(await cli(['list-users'], { env: { CONFIG_FILE: join(dir(), 'missing.yaml') } }), 'does not exist');
  });
});
