import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Reads what `npm test` built: the files the tarball ships.
const LIB = resolve('libs/fabric-auth');
const DIST = join(LIB, 'dist');
const manifest = JSON.parse(readFileSync(join(LIB, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  exports: Record<string, { types?: string; default?: string } | string>;
  bin: Record<string, string>;
  license: string;
  keywords?: string[];
  repository?: { url?: string };
  files: string[];
};

/** The files under dir that the tarball ships: not dist/.build (tsc's per-module output, the bundle's input). */
function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(suffix) && !f.split(/[\\/]/).includes('.build'))
    .map((f) => join(dir, f));
}

interface Specifier {
  file: string;
  specifier: string;
  dynamic: boolean;
}

/** Every module a file names: static imports and re-exports, side-effect imports, import(), require(). */
function specifiersOf(file: string): Specifier[] {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const found: Specifier[] = [];
  for (const m of text.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g)) found.push({ file, specifier: m[1], dynamic: false });
  for (const m of text.matchAll(/(?:^|[\s;])import\s*['"]([^'"]+)['"]/g)) found.push({ file, specifier: m[1], dynamic: false });
  for (const m of text.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ file, specifier: m[1], dynamic: true });
  // createRequire's `require`: the bundle renames the ones two modules of a chunk declare (require2, …).
  for (const m of text.matchAll(/\brequire\d*\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ file, specifier: m[1], dynamic: false });
  return found;
}

const BUILTINS = new Set(builtinModules);
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
  return BUILTINS.has(name) ? undefined : name;
}

const declared = new Set([...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)]);
const optionalPeers = new Set(
  Object.entries(manifest.peerDependenciesMeta ?? {})
    .filter(([, m]) => m.optional)
    .map(([name]) => name),
);

describe('the built package declares what it imports', () => {
  const jsImports = filesUnder(DIST, '.js').flatMap(specifiersOf);
  const external = jsImports.map((s) => ({ ...s, pkg: packageOf(s.specifier) })).filter((s) => s.pkg !== undefined);

  it('reads a real build', () => {
    expect(external.length).toBeGreaterThan(50);
    expect(external.some((s) => s.pkg === 'typeorm')).toBe(true);
  });

  it('every package dist/ imports is a dependency or a peer', () => {
    const undeclared = [...new Set(external.filter((s) => !declared.has(s.pkg!)).map((s) => `${s.pkg} (${relative(DIST, s.file)})`))];
    expect(undeclared).toEqual([]);
  });

  it('optional peers are loaded only lazily (import()), never at load time', () => {
    const eager = external.filter((s) => optionalPeers.has(s.pkg!) && !s.dynamic).map((s) => `${s.pkg} in ${relative(DIST, s.file)}`);
    expect(eager).toEqual([]);
    expect(optionalPeers.has('ioredis')).toBe(true);
  });

  it('every dependency is used (no dead weight in every install)', () => {
    const used = new Set(external.map((s) => s.pkg));
    const typeOnly = Object.keys(manifest.dependencies).filter((d) => d.startsWith('@types/'));
    const unused = Object.keys(manifest.dependencies).filter((d) => !used.has(d) && !typeOnly.includes(d));
    expect(unused).toEqual([]);
  });

  it('every package the public .d.ts names has types a consumer gets with the install', () => {
    const reachable = new Set<string>();
    const pending = Object.values(manifest.exports)
      .map((e) => (typeof e === 'object' ? e.types : undefined))
      .filter((t): t is string => typeof t === 'string')
      .map((t) => join(LIB, t));
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (reachable.has(file) || !existsSync(file)) continue;
      reachable.add(file);
      for (const s of specifiersOf(file)) {
        if (s.specifier.startsWith('.')) pending.push(resolve(dirname(file), s.specifier.replace(/\.js$/, '.d.ts')));
      }
    }
    expect(reachable.size).toBeGreaterThan(20);
    const problems: string[] = [];
    for (const file of reachable) {
      for (const s of specifiersOf(file)) {
        const pkg = packageOf(s.specifier);
        if (!pkg) continue;
        if (optionalPeers.has(pkg)) problems.push(`${relative(DIST, file)} names optional peer ${pkg}`);
        else if (!declared.has(pkg)) problems.push(`${relative(DIST, file)} names undeclared ${pkg}`);
        else {
          const own = JSON.parse(readFileSync(join('node_modules', pkg, 'package.json'), 'utf8')) as { types?: string; typings?: string; exports?: unknown };
          const shipsTypes = own.types || own.typings || JSON.stringify(own.exports ?? '').includes('.d.') || existsSync(join('node_modules', pkg, 'index.d.ts'));
          const typesPackage = `@types/${pkg.replace(/^@([^/]+)\//, '$1__')}`;
          if (!shipsTypes && !manifest.dependencies[typesPackage]) problems.push(`${relative(DIST, file)} names ${pkg}, whose types (${typesPackage}) are not a dependency`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('the tarball', () => {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: LIB, encoding: 'utf8' })) as Array<{
    files: Array<{ path: string }>;
  }>;
  const files = packed[0].files.map((f) => f.path);

  it('ships the README, LICENSE and CHANGELOG, the entry points, the CLI and the testing helpers', () => {
    for (const f of ['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/testing/index.js', 'dist/cli/main.js']) {
      expect(files, f).toContain(f);
    }
    expect(readFileSync(join(LIB, manifest.bin['nestjs-fabric-auth']), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('ships every file the exports map names: the root, ./entities, ./migrations, ./testing', () => {
    const named = Object.values(manifest.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e)));
    expect(Object.keys(manifest.exports)).toEqual(['.', './entities', './migrations', './testing', './package.json']);
    expect(named.map((f) => f.replace(/^\.\//, '')).filter((f) => !files.includes(f))).toEqual([]);
  });

  it('ships the admin console built: the files its manifest names, each precompressed', () => {
    const built = JSON.parse(readFileSync(join(DIST, 'console', 'manifest.json'), 'utf8')) as { script: string; stylesheet: string };
    expect(built.script).toMatch(/^console-[A-Z0-9]{8}\.js$/);
    expect(built.stylesheet).toMatch(/^console-[A-Z0-9]{8}\.css$/);
    for (const name of [built.script, built.stylesheet]) {
      for (const variant of ['', '.gz', '.br']) expect(files, `${name}${variant}`).toContain(`dist/console/assets/${name}${variant}`);
    }
    expect(files).toContain('dist/console/manifest.json');
    expect(files.filter((f) => f.startsWith('console/') || f.startsWith('scripts/'))).toEqual([]);
  });

  it('ships nothing of the build internals or the sources', () => {
    expect(files.filter((f) => /\.tsbuildinfo$|\.map$|\.spec\.|^src\/|^dist\/\.build\//.test(f))).toEqual([]);
  });

  it('ships dist/ bundled: the entry points and a few dozen chunks, not a file per module; every module a typing', () => {
    const js = files.filter((f) => f.startsWith('dist/') && f.endsWith('.js') && !f.startsWith('dist/console/'));
    expect(js.filter((f) => !f.startsWith('dist/chunks/')).sort()).toEqual([
      'dist/cli/main.js',
      'dist/entities.js',
      'dist/index.js',
      'dist/migrations.js',
      'dist/testing/index.js',
    ]);
    expect(js.length).toBeLessThan(80);
    expect(files).toContain('dist/chunks/login.module.js');
    expect(files.filter((f) => f.endsWith('.d.ts')).length).toBeGreaterThan(200);
  });

  it('says what it is: MIT, repository, keywords; the README has the sections a user looks for', () => {
    expect(manifest.license).toBe('MIT');
    expect(readFileSync(join(LIB, 'LICENSE'), 'utf8')).toContain('MIT License');
    expect(manifest.repository?.url).toMatch(/^git\+https:\/\//);
    expect(manifest.keywords).toEqual(expect.arrayContaining(['nestjs', 'auth', 'jwt']));
    const readme = readFileSync(join(LIB, 'README.md'), 'utf8');
    for (const section of ['## Quick start', '## Configuration', '## Recipes', '## Security notes', '## Testing your app']) expect(readme, section).toContain(section);
  });
});
