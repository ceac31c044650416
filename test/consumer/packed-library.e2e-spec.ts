import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase } from '../support/postgres.js';
import { REDIS_URL, scratchPrefix } from '../support/redis.js';
import { BETTER_SQLITE3, CONSUMER_APPS, type ConsumerApp, installCommandsOf, packageJsonOf, readmeInstallLines, sourcesOf } from './consumer-apps.js';

// The tarball is the product: pack it from a clean clone of the repository's HEAD (no dist/,
// nothing uncommitted), install it into fresh apps outside the workspace with the README's
// own install commands (npm, pnpm, Yarn; one app at a time, each package manager with its
// cache), build them and drive the flow a team relies on over HTTP.
const run = promisify(execFile);
const WORKSPACE = resolve('.');
const README = resolve('libs/fabric-auth/README.md');
const SECRET = 'consumer-secret-6f2a9c1e7b3d5f8a0c4e2b9d7f1a3c5e';
const ADMIN_PASSWORD = 'Consumer-admin-pass-1';
const INSTALL_TIMEOUT = 15 * 60_000;
// pnpm and Yarn are the workspace's own devDependencies, so CI needs nothing but `npm ci`.
const TOOLS_PATH = `${join(WORKSPACE, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}`;

let root: string;
let clone: string;
let tarball: string;
let packWithoutDependencies: { code: number | string; output: string };
let installEnv: NodeJS.ProcessEnv = {};

async function sh(cwd: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd, env: { ...process.env, PATH: TOOLS_PATH, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: INSTALL_TIMEOUT });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} in ${cwd} failed:\n${e.stderr?.slice(-4000) ?? ''}\n${e.stdout?.slice(-4000) ?? ''}\n${e.message}`, { cause: error });
  }
}

/**
 * better-sqlite3 has no reachable prebuilt binary here, and compiling it takes minutes per app:
 * hand prebuild-install the binary the workspace already built for this Node (same version).
 */
async function localSqlitePrebuild(): Promise<NodeJS.ProcessEnv> {
  const workspace = resolve('node_modules/better-sqlite3');
  const version = (JSON.parse(readFileSync(join(workspace, 'package.json'), 'utf8')) as { version: string }).version;
  const binary = join(workspace, 'build/Release/better_sqlite3.node');
  if (version !== BETTER_SQLITE3 || !existsSync(binary)) return {};
  const dir = join(root, 'prebuilds');
  mkdirSync(join(dir, 'stage/build/Release'), { recursive: true });
  writeFileSync(join(dir, 'stage/build/Release/better_sqlite3.node'), readFileSync(binary));
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await sh(join(dir, 'stage'), 'tar', ['czf', join(dir, name), 'build']);
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}

/** A README command with the package name pointing at the tarball (the one change a reader of an unpublished version makes). */
function withTarball(command: string): string {
  return command.replace(/(^|\s)nestjs-fabric-auth(?=\s|$)/g, `$1nestjs-fabric-auth@file:${tarball}`);
}

async function install(app: ConsumerApp): Promise<{ dir: string; commands: string[] }> {
  const dir = join(root, app.name);
  for (const [file, text] of Object.entries({ 'package.json': packageJsonOf(app), ...sourcesOf(app) })) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  const commands = installCommandsOf(app, readmeInstallLines(README));
  for (const command of commands) await sh(dir, 'sh', ['-c', withTarball(command)], installEnv);
  await sh(dir, 'node', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json']);
  return { dir, commands };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fabric-consumer-'));
  clone = join(root, 'clone');
  await sh(root, 'git', ['clone', '--quiet', WORKSPACE, clone]);
  const library = join(clone, 'libs/fabric-auth');
  mkdirSync(join(root, 'failed-pack'));
  packWithoutDependencies = await run('npm', ['pack', '--pack-destination', join(root, 'failed-pack')], { cwd: library, env: { ...process.env, PATH: TOOLS_PATH } }).then(
    (r) => ({ code: 0, output: r.stdout + r.stderr }),
    (e: { code: number | string; stdout?: string; stderr?: string }) => ({ code: e.code, output: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );
  // The clone's dependencies are the workspace's (the build needs only TypeScript and types).
  symlinkSync(join(WORKSPACE, 'node_modules'), join(clone, 'node_modules'));
  const packed = JSON.parse(await sh(library, 'npm', ['pack', '--json', '--pack-destination', root])) as Array<{ filename: string }>;
  tarball = join(root, packed[0].filename);
  const prebuild = await localSqlitePrebuild();
  installEnv = { ...prebuild, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', YARN_ENABLE_TELEMETRY: '0' };
}, INSTALL_TIMEOUT);

// Seven apps' node_modules take a while to remove on a busy machine.
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 });
}, INSTALL_TIMEOUT);

describe('npm pack of the library in a fresh clone', () => {
  it('fails loudly, writing no tarball, when the build cannot run (no dependencies installed)', () => {
    expect(packWithoutDependencies.code).not.toBe(0);
    expect(packWithoutDependencies.output).toMatch(/prepack/);
    expect(readdirSync(join(root, 'failed-pack'))).toEqual([]);
  });

  it('builds dist/ first: the tarball holds the entry points, the CLI and the typings', async () => {
    const listed = (await sh(root, 'tar', ['tzf', tarball])).split('\n');
    for (const file of [
      'package/dist/index.js',
      'package/dist/index.d.ts',
      'package/dist/entities.js',
      'package/dist/migrations.js',
      'package/dist/testing/index.js',
      'package/dist/cli/main.js',
      'package/README.md',
    ]) {
      expect(listed, file).toContain(file);
    }
    expect(listed.length).toBeGreaterThan(100);
  });
});

interface Running {
  url: string;
  process: ChildProcess;
}

function startNode(dir: string, script: string, env: NodeJS.ProcessEnv, marker: string): Promise<{ line: string; process: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [script], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not print ${marker} in 120 s:\n${output}`)), 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.startsWith(marker));
      if (line) {
        clearTimeout(timer);
        resolvePromise({ line: line.slice(marker.length).trim(), process: child, output: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before ${marker}:\n${output}`));
    });
  });
}

function cookiesOf(response: Response): Map<string, string> {
  return new Map(response.headers.getSetCookie().map((c) => c.split(';')[0].split('=') as [string, string]));
}

// Each step spawns a process (the app, the CLI, tsc) in an app that installed from scratch.
describe.each(CONSUMER_APPS)('the packed library in a fresh $name app', { timeout: 300_000 }, (app) => {
  let dir: string;
  let running: Running | undefined;
  let env: NodeJS.ProcessEnv;
  let commands: string[];
  const drops: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    // One app at a time: installs are CPU- and disk-bound.
    ({ dir, commands } = await install(app));
    let databaseUrl: string;
    if (app.database === 'postgres') {
      const db = await createScratchDatabase();
      databaseUrl = db.url;
      drops.push(db.drop);
    } else {
      databaseUrl = join(dir, 'app.sqlite');
    }
    env = { DATABASE_URL: databaseUrl, FABRIC_SECRET: SECRET, FABRIC_ADMIN_PASSWORD: ADMIN_PASSWORD };
    if (app.redis) {
      const redis = scratchPrefix();
      drops.push(redis.drop);
      env = { ...env, REDIS_URL, REDIS_KEY_PREFIX: redis.prefix };
    }
    const started = await startNode(dir, 'dist/main.js', env, 'LISTENING');
    running = { url: started.line, process: started.process };
  }, INSTALL_TIMEOUT);

  afterAll(async () => {
    if (running && running.process.exitCode === null) {
      const exited = new Promise((done) => running!.process.once('exit', done));
      running.process.kill();
      await exited;
    }
    for (const drop of drops) await drop();
  });

  it(`installs with the README's ${app.packageManager} lines as written, and the app needs none of the library's own dependencies`, () => {
    expect(commands.length).toBe(app.redis ? 3 : 2);
    expect(commands.every((c) => c.includes(app.packageManager === 'npm' ? 'npm install ' : `${app.packageManager} add `))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const own = Object.keys((JSON.parse(readFileSync(resolve('libs/fabric-auth/package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
    expect(Object.keys(manifest.dependencies).filter((d) => own.includes(d))).toEqual([]);
    const installedVersion = (pkg: string) => (JSON.parse(readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
    expect(installedVersion('@nestjs/core').split('.')[0]).toBe(String(app.nest));
    // A peer the app does not list is not in its node_modules under pnpm: read it where the library resolves it.
    const library = realpathSync(join(dir, 'node_modules/nestjs-fabric-auth'));
    const passport = [join(library, 'node_modules/@nestjs/passport'), join(dirname(library), '@nestjs/passport')].find((d) => existsSync(d));
    expect((JSON.parse(readFileSync(join(passport!, 'package.json'), 'utf8')) as { version: string }).version.split('.')[0]).toBe(String(app.nest));
    expect(existsSync(join(dir, 'node_modules/ioredis'))).toBe(app.redis);
    if (app.redis) expect(installedVersion('ioredis').split('.')[0]).toBe('5');
  });

  it('serves the whole flow: login, Bearer, permissions, API key, cookie + CSRF, logout, @Public(), APP_GUARD', async () => {
    const url = running!.url;
    const api = `${url}/api/v1`;
    const json = (token?: string) => ({ 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) });

    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/reports`)).status).toBe(401);

    const formLogin = async (username: string, password: string, extra: Record<string, string> = {}) =>
      fetch(`${api}/auth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', username, password, ...extra }) });
    const form = await formLogin('admin', ADMIN_PASSWORD);
    expect(form.status).toBe(200);
    const viaJson = await fetch(`${api}/auth/token`, {
      method: 'POST',
      headers: json(),
      body: JSON.stringify({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(viaJson.status).toBe(200);
    const admin = ((await form.json()) as { access_token: string }).access_token;

    for (const [username, roles] of [
      ['alice', ['reader']],
      ['bob', []],
    ] as const) {
      const created = await fetch(`${api}/users`, {
        method: 'POST',
        headers: json(admin),
        body: JSON.stringify({ username, email: `${username}@example.test`, password: `${username}-Pass-12345`, roles }),
      });
      expect(created.status, await created.clone().text()).toBe(201);
    }
    const alice = ((await (await formLogin('alice', 'alice-Pass-12345')).json()) as { access_token: string }).access_token;
    const bob = ((await (await formLogin('bob', 'bob-Pass-12345')).json()) as { access_token: string }).access_token;
    const aliceReports = await fetch(`${url}/reports`, { headers: json(alice) });
    expect(aliceReports.status).toBe(200);
    expect(await aliceReports.json()).toEqual({ for: 'alice', via: 'jwt' });
    expect((await fetch(`${url}/reports`, { headers: json(bob) })).status).toBe(403);

    const key = await fetch(`${api}/users/alice/api-keys`, { method: 'POST', headers: json(admin), body: JSON.stringify({ name: 'ci' }) });
    expect(key.status).toBe(201);
    const rawKey = ((await key.json()) as { key: string }).key;
    const byKey = await fetch(`${url}/reports`, { headers: { 'x-api-key': rawKey } });
    expect(byKey.status).toBe(200);
    expect(await byKey.json()).toEqual({ for: 'alice', via: 'api_key' });

    const cookies = cookiesOf(await formLogin('alice', 'alice-Pass-12345', { set_cookies: 'true' }));
    const cookieHeader = [...cookies].map(([n, v]) => `${n}=${v}`).join('; ');
    expect((await fetch(`${url}/reports`, { headers: { cookie: cookieHeader } })).status).toBe(200);
    expect((await fetch(`${url}/reports`, { method: 'POST', headers: { cookie: cookieHeader } })).status).toBe(403);
    const withCsrf = await fetch(`${url}/reports`, { method: 'POST', headers: { cookie: cookieHeader, 'x-csrf-token': cookies.get('csrf_token')! } });
    expect(withCsrf.status).toBe(201);

    expect((await fetch(`${api}/auth/me`, { headers: json(alice) })).status).toBe(200);
    expect((await fetch(`${api}/auth/logout`, { method: 'POST', headers: json(alice) })).status).toBe(204);
    expect((await fetch(`${url}/reports`, { headers: json(alice) })).status).toBe(401);
  });

  it('nestjs-fabric-auth/testing gives credentials with chosen permissions in one call; nestjs-fabric-auth/entities has their classes', async () => {
    const check = await startNode(dir, 'dist/credential-check.js', env, 'STATUSES');
    if (check.process.exitCode === null) await new Promise((done) => check.process.once('exit', done));
    expect(JSON.parse(check.line)).toEqual({ statuses: [200, 403], permissions: ['reports:read'], oneUserEntity: true });
  });

  it(`ships the admin CLI: ${app.packageManager === 'npm' ? 'npx' : `${app.packageManager} exec`} nestjs-fabric-auth reads DATABASE_URL and the FABRIC_ variables`, async () => {
    const [command, ...args] = { npm: ['npx', '--no-install'], pnpm: ['pnpm', 'exec'], yarn: ['yarn', 'exec'] }[app.packageManager];
    const listed = await sh(dir, command, [...args, 'nestjs-fabric-auth', 'list-users'], {
      ...env,
      FABRIC_AUTH__SECRET_KEY: SECRET,
    });
    expect(listed.split('\n').map((l) => l.split('\t')[0])).toEqual(expect.arrayContaining(['admin', 'alice', 'bob']));
  });

  it('its public types check with skipLibCheck: false', async () => {
    writeFileSync(join(dir, 'tsconfig.strict.json'), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { skipLibCheck: false, noEmit: true } }));
    const result = await run('node', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.strict.json'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 }).then(
      (r) => r.stdout,
      (e: { stdout?: string }) => e.stdout ?? '',
    );
    // Other packages' own declarations are theirs to fix; ours, and the app's use of them, must be clean.
    const ours = result.split('\n').filter((l) => l.includes('nestjs-fabric-auth') || l.startsWith('src/'));
    expect(ours).toEqual([]);
  });
});
