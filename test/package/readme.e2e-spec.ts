import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getMetadataArgsStorage } from 'typeorm';
import { afterAll, describe, expect, it } from 'vitest';
import { FABRIC_AUTH_ENTITIES } from 'nestjs-fabric-auth/entities';
import { fabricConfigLoader } from 'nestjs-fabric-auth';
import { fabricConfigDefaults, fabricConfigKeyPaths } from '../../libs/fabric-auth/src/options/resolve-options.js';
import { readmeInstallLines } from '../consumer/consumer-apps.js';

// What a reader copies from the library README must be what the code accepts.
const README_PATH = resolve('libs/fabric-auth/README.md');
const README = readFileSync(README_PATH, 'utf8');

function section(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(0);
  const end = README.indexOf('\n## ', start + heading.length + 2);
  return README.slice(start, end < 0 ? undefined : end);
}

function between(marker: string): string {
  const found = new RegExp(`<!-- ${marker} -->\\n([\\s\\S]*?)<!-- /${marker} -->`).exec(README)?.[1];
  expect(found, `<!-- ${marker} --> in the README`).toBeDefined();
  return found!;
}

describe('the README configuration table', () => {
  // First cells of the table rows: one or more backticked keys; `….x` is a provider's key.
  const documented = section('## Configuration')
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...line.split('|')[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]))
    .map((key) => key.replace(/^….?/, 'auth.providers.<name>.').replace(/^auth\.providers\.(?!<name>)[a-z][a-z0-9_-]*/, 'auth.providers.<name>'));
  const accepted = fabricConfigKeyPaths();
  // Rows that introduce a group (`auth.providers.<name>`, `auth.trusted_issuers`) name no key of their own.
  const isGroup = (key: string) => accepted.some((path) => path.startsWith(`${key}.`) || path.startsWith(`${key}[`));

  it('reads the table', () => {
    expect(documented.length).toBeGreaterThan(60);
    expect(accepted).toContain('auth.secret_key');
    expect(accepted).toContain('auth.providers.<name>.client_id');
  });

  it('documents every key the options table accepts', () => {
    expect(accepted.filter((key) => !documented.includes(key))).toEqual([]);
  });

  it('documents no key the options table refuses', () => {
    expect(documented.filter((key) => !accepted.includes(key) && !isGroup(key))).toEqual([]);
  });

  it('gives each plain default as the options declare it', () => {
    // Rows naming one key whose default cell is one literal (`900`, `[openid, email, profile]`).
    const written = section('## Configuration')
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => line.split('|').map((cell) => cell.trim()))
      .filter(([, keys, value]) => /^`[^`]+`$/.test(keys) && /^`[^`]*`$/.test(value))
      .map(([, keys, value]) => [keys.slice(1, -1).replace(/^….?/, 'auth.providers.<name>.'), value.slice(1, -1)] as const);
    const render = (value: unknown): string =>
      Array.isArray(value) ? `[${value.join(', ')}]` : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
    const declared = fabricConfigDefaults();
    const compared = written.filter(([key]) => declared.get(key) !== undefined);
    expect(compared.length).toBeGreaterThan(40);
    expect(compared.filter(([key, value]) => render(declared.get(key)) !== value)).toEqual([]);
  });
});

describe('the README', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('lists the 15 tables the library creates, no more, no fewer', () => {
    const listed = between('tables')
      .split('\n')
      .slice(2)
      .map((row) => /^\| `([a-z_]+)` \|/.exec(row)?.[1])
      .filter((name) => name !== undefined);
    const entities = new Set<unknown>(FABRIC_AUTH_ENTITIES);
    const created = getMetadataArgsStorage()
      .tables.filter((table) => entities.has(table.target))
      .map((table) => table.name);
    expect([...listed].sort()).toEqual([...created].sort());
    expect(created.length).toBe(FABRIC_AUTH_ENTITIES.length);
    expect(README).toContain(`The library's ${created.length} tables`);
  });

  it('gives a minimal config.yaml that starts the module with the two secrets from the environment', () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(between('minimal-config'))?.[1];
    expect(yaml).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'fabric-readme-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'config.yaml'), yaml!);
    const env = { FABRIC_AUTH__SECRET_KEY: 'Jq8vN2xL5pR7tW1yB4dF6hK9mC3sZ0aE', FABRIC_AUTH__SYSTEM_ADMIN_PASSWORD: 'Readme-admin-pass-1' };
    const loaded = fabricConfigLoader({ file: join(dir, 'config.yaml'), env })();
    expect(loaded.fabricAuth.permissions).toEqual(['reports:read']);
    expect(() => fabricConfigLoader({ file: join(dir, 'config.yaml'), env: {} })()).toThrow(/auth\.secret_key: is required/);
  });

  it('has one install line per setup and package manager', () => {
    const lines = readmeInstallLines(README_PATH);
    expect([...lines.keys()]).toEqual(['NestJS 12', 'NestJS 11', 'PostgreSQL', 'SQLite', 'Redis']);
    for (const [setup, byManager] of lines) {
      expect(byManager.npm, setup).toMatch(/^npm install /);
      expect(byManager.pnpm, setup).toMatch(/^pnpm add /);
      expect(byManager.yarn, setup).toMatch(/(^|&& )yarn add /);
    }
  });

  it('names the notifier option the module reads, and FABRIC_NOTIFIER only as the token it provides', () => {
    const quickStart = section('## Quick start');
    expect(quickStart).toMatch(/`notifier` \(a class implementing `FabricNotifier`/);
    for (const line of README.split('\n').filter((l) => l.includes('FABRIC_NOTIFIER'))) expect(line).not.toMatch(/provide `?FABRIC_NOTIFIER`? to/i);
  });
});
